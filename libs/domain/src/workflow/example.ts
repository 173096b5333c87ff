/**
 * The workflow loaded for project KER when none exists: the seed's transition, within the five
 * states of the specification and with its git automation.
 */
export const EXAMPLE_WORKFLOW_YAML = `# Workflow of project KER.
states: [backlog, todo, in_progress, in_review, done]
initial: backlog
transitions:
  - from: backlog
    to: todo
  - from: [backlog, todo]
    to: in_progress
  - from: in_progress
    to: in_review
    actions:
      - type: send_webhook
        url: https://ci.example.com/trigger
  - from: in_review
    to: in_progress
  - from: [in_progress, in_review]
    to: done
  - from: done
    to: todo
git:
  on_pull_request_opened: in_review
  on_merge: done
  on_pipeline_failed: in_progress
`;
