import { EventTypes, type TicketLink } from '@kera/contracts';
import {
  fromGithub,
  fromGitlab,
  githubPayloads as github,
  gitlabPayloads as gitlab,
  parseWorkflow,
  planPullRequestLinks,
  planPushLinks,
  type CurrentWorkflow,
  type GitEvent,
  type GitPipelineEvent,
  type GitPullRequestEvent,
  type GitPushEvent,
  type TicketState,
} from '@kera/domain';
import {
  changeEventId,
  decideAutomatedMove,
  decideLink,
  decidePipeline,
  decideUnlink,
  pipelineView,
  toTicketLink,
  triggerOf,
} from './ticket-changes';

const WORKFLOW = `
states: [todo, in_progress, in_review, done]
initial: todo
transitions:
  - from: todo
    to: in_progress
  - from: [todo, in_progress]
    to: in_review
  - from: in_review
    to: in_progress
  - from: [in_progress, in_review]
    to: done
  - from: "*"
    to: todo
git:
  on_pull_request_opened: in_review
  on_merge: done
  on_pipeline_failed: in_progress
`;

function workflow(yaml = WORKFLOW): CurrentWorkflow {
  const parsed = parseWorkflow(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return { version: 3, definition: parsed.definition };
}

function ticket(overrides: Partial<TicketState> = {}): TicketState {
  return {
    id: 'KER-42',
    project: 'KER',
    number: 42,
    title: 'Sign in with passkeys',
    state: 'in_progress',
    fields: { priority: 'high' },
    links: [],
    pipeline: null,
    version: 7,
    created_at: '2025-03-01T08:00:00.000Z',
    updated_at: '2025-03-01T08:00:00.000Z',
    ...overrides,
  };
}

const KNOWN = new Set(['KER']);
const NOW = new Date('2025-03-04T10:00:00.000Z');

function mapped<K extends GitEvent['kind']>(
  kind: K,
  event: GitEvent,
): Extract<GitEvent, { kind: K }> {
  if (event.kind !== kind) throw new Error(`expected ${kind}, got ${JSON.stringify(event)}`);
  return event as Extract<GitEvent, { kind: K }>;
}

const pullRequest = (payload: unknown): GitPullRequestEvent =>
  mapped('pull_request', fromGithub('pull_request', payload));

const prLink = (payload: unknown = github.pullRequestOpened()): TicketLink =>
  toTicketLink(planPullRequestLinks(pullRequest(payload), KNOWN).view);

describe('toTicketLink', () => {
  it('keys a pull request link by repository id and number', () => {
    expect(prLink()).toEqual({
      key: 'github:pull_request:602184417#57',
      provider: 'github',
      kind: 'pull_request',
      number: 57,
      url: 'https://github.com/kera-labs/kera-app/pull/57',
      title: 'KER-42: sign in with passkeys',
      state: 'open',
    });
  });

  it('gives a commit link no number and keys it by sha', () => {
    const push = mapped('push', fromGithub('push', github.push())) as GitPushEvent;
    const [commit] = planPushLinks(push, KNOWN).commits;
    const link = toTicketLink(commit!.view);

    expect(link).toMatchObject({
      key: 'github:commit:602184417@b51e6df7f2a6d50f3901a77e31504cac7daaad59',
      kind: 'commit',
      number: null,
      title: 'KER-42 scaffold the passkey ceremony',
      state: 'pushed',
    });
  });
});

describe('decideLink', () => {
  it('adds a link the ticket does not have, with the git user as actor', () => {
    const change = decideLink(ticket(), prLink(), 'mara-dev');

    expect(change).toEqual({
      type: EventTypes.ticketLinked,
      data: { ticket_id: 'KER-42', link: prLink(), actor: 'mara-dev' },
    });
  });

  it('changes nothing when the ticket shows the same link already', () => {
    const stored = { ...prLink(), extra: 'kept by an older version' } as TicketLink;

    expect(decideLink(ticket({ links: [stored] }), prLink(), 'mara-dev')).toBeNull();
  });

  it('updates the link with the same key when the pull request was merged', () => {
    const merged = prLink(github.pullRequestMerged());
    const change = decideLink(ticket({ links: [prLink()] }), merged, 'jonas-k');

    expect(merged.key).toBe(prLink().key);
    expect(change?.data.link.state).toBe('merged');
  });
});

describe('decideUnlink', () => {
  it('removes a link the ticket has', () => {
    const change = decideUnlink(ticket({ links: [prLink()] }), prLink().key, 'mara-dev');

    expect(change).toEqual({
      type: EventTypes.ticketUnlinked,
      data: { ticket_id: 'KER-42', key: prLink().key, actor: 'mara-dev' },
    });
  });

  it('changes nothing when the ticket has no such link', () => {
    expect(decideUnlink(ticket(), prLink().key, 'mara-dev')).toBeNull();
  });
});

describe('pipelines', () => {
  const failed = mapped('pipeline', fromGitlab('Pipeline Hook', gitlab.pipelineFailed()));

  it('shows a run as provider, status, conclusion, url, ref, sha and the time it was received', () => {
    expect(pipelineView(failed as GitPipelineEvent, '2025-02-18T13:31:45.000Z')).toEqual({
      provider: 'gitlab',
      status: 'completed',
      conclusion: 'failure',
      url: 'https://gitlab.kera.example/platform/billing-service/-/pipelines/771203',
      ref: 'refs/heads/bil-3-vat-rounding',
      sha: 'aaa7eb0c78f0b11b46bc7c5d102b06a294232d57',
      updated_at: '2025-02-18T13:31:45.000Z',
    });
  });

  it('records a run state the ticket does not show yet', () => {
    const view = pipelineView(failed, '2025-02-18T13:31:45.000Z');

    expect(decidePipeline(ticket(), view)).toEqual({
      type: EventTypes.ticketPipelineUpdated,
      data: { ticket_id: 'KER-42', pipeline: view },
    });
  });

  it('changes nothing for the same run state received again later', () => {
    const first = pipelineView(failed, '2025-02-18T13:31:45.000Z');
    const again = pipelineView(failed, '2025-02-18T14:00:00.000Z');

    expect(decidePipeline(ticket({ pipeline: first }), again)).toBeNull();
  });
});

describe('triggerOf', () => {
  const withPullRequest = (changes: object) => {
    const payload = github.pullRequestOpened();
    return pullRequest({ ...payload, pull_request: { ...payload.pull_request, ...changes } });
  };

  it.each([
    ['opened', github.pullRequestOpened(), 'on_pull_request_opened'],
    ['reopened', { ...github.pullRequestOpened(), action: 'reopened' }, 'on_pull_request_opened'],
    [
      'ready for review',
      { ...github.pullRequestOpened(), action: 'ready_for_review' },
      'on_pull_request_opened',
    ],
    ['merged', github.pullRequestMerged(), 'on_merge'],
    ['closed without merge', github.pullRequestClosed(), null],
    ['edited', { ...github.pullRequestOpened(), action: 'edited' }, null],
  ])('maps a pull request %s to %s', (_name, payload, trigger) => {
    expect(triggerOf(pullRequest(payload))).toBe(trigger);
  });

  it('does not move on a draft being opened, only once it is ready', () => {
    expect(triggerOf(withPullRequest({ draft: true }))).toBeNull();
  });

  it('maps a GitLab merge request marked ready to on_pull_request_opened', () => {
    const ready = fromGitlab('Merge Request Hook', gitlab.mergeRequestMarkedReady());

    expect(triggerOf(ready)).toBe('on_pull_request_opened');
  });

  it('maps only a completed, failed run to on_pipeline_failed', () => {
    expect(triggerOf(fromGitlab('Pipeline Hook', gitlab.pipelineFailed()))).toBe(
      'on_pipeline_failed',
    );
    expect(triggerOf(fromGitlab('Pipeline Hook', gitlab.pipelineSucceeded()))).toBeNull();
    expect(triggerOf(fromGithub('check_suite', github.checkSuiteCompleted()))).toBe(
      'on_pipeline_failed',
    );
    expect(triggerOf(fromGithub('workflow_run', github.workflowRunFromFork()))).toBeNull();
  });

  it('fires nothing for pushes and tags', () => {
    expect(triggerOf(fromGithub('push', github.push()))).toBeNull();
    expect(triggerOf(fromGithub('push', github.tagPush()))).toBeNull();
  });
});

describe('decideAutomatedMove', () => {
  it('makes the move as an ordinary transition with the git user as actor', () => {
    const change = decideAutomatedMove(
      ticket(),
      workflow(),
      'on_pull_request_opened',
      'mara-dev',
      NOW,
    );

    expect(change).toEqual({
      type: EventTypes.ticketTransitioned,
      data: {
        ticket_id: 'KER-42',
        project: 'KER',
        title: 'Sign in with passkeys',
        from_state: 'in_progress',
        to_state: 'in_review',
        actor: 'mara-dev',
        fields: { priority: 'high' },
        workflow_version: 3,
        transitioned_at: NOW.toISOString(),
      },
    });
  });

  it('does nothing for a ticket already in the target state', () => {
    const change = decideAutomatedMove(ticket({ state: 'done' }), workflow(), 'on_merge', 'x', NOW);

    expect(change).toBeNull();
  });

  it('does nothing when the workflow names no target for the trigger', () => {
    const bare = WORKFLOW.replace(/git:[\s\S]*$/, 'git:\n  on_merge: done\n');

    expect(
      decideAutomatedMove(ticket(), workflow(bare), 'on_pull_request_opened', 'x', NOW),
    ).toBeNull();
  });

  it('records a move the workflow does not allow instead of forcing it', () => {
    const change = decideAutomatedMove(
      ticket({ state: 'todo' }),
      workflow(),
      'on_merge',
      'jonas-k',
      NOW,
    );

    expect(change).toEqual({
      type: EventTypes.ticketTransitionSkipped,
      data: {
        ticket_id: 'KER-42',
        from_state: 'todo',
        to_state: 'done',
        reason: 'on_merge: the workflow has no transition from "todo" to "done"',
        actor: 'jonas-k',
      },
    });
  });

  it('never moves a ticket back, even where the workflow allows it', () => {
    const reopening = WORKFLOW.replace(
      'on_pull_request_opened: in_review',
      'on_pull_request_opened: todo',
    );
    const change = decideAutomatedMove(
      ticket({ state: 'done' }),
      workflow(reopening),
      'on_pull_request_opened',
      'mara-dev',
      NOW,
    );

    expect(change?.type).toBe(EventTypes.ticketTransitionSkipped);
    expect(change?.data).toMatchObject({
      from_state: 'done',
      to_state: 'todo',
      reason: expect.stringContaining('never moves a ticket back'),
    });
  });

  it('sends work in review back when its pipeline failed', () => {
    const change = decideAutomatedMove(
      ticket({ state: 'in_review' }),
      workflow(),
      'on_pipeline_failed',
      'priya.raman@kera.example',
      NOW,
    );

    expect(change?.type).toBe(EventTypes.ticketTransitioned);
    expect(change?.data).toMatchObject({ from_state: 'in_review', to_state: 'in_progress' });
  });

  it('leaves a merged ticket where it is when a later pipeline fails', () => {
    const anyToInProgress = WORKFLOW.replace(
      '  - from: in_review\n    to: in_progress',
      '  - from: "*"\n    to: in_progress',
    );
    const change = decideAutomatedMove(
      ticket({ state: 'done' }),
      workflow(anyToInProgress),
      'on_pipeline_failed',
      'priya.raman@kera.example',
      NOW,
    );

    expect(change?.type).toBe(EventTypes.ticketTransitionSkipped);
    expect(change?.data).toMatchObject({
      reason: 'on_pipeline_failed: "done" is at or past the on_merge state "done"',
    });
  });
});

describe('changeEventId', () => {
  it('derives the same version 5 UUID from the same delivery, ticket and change', () => {
    const id = changeEventId('int_1/3f1c', 'KER-42', 'on_merge');

    expect(id).toBe(changeEventId('int_1/3f1c', 'KER-42', 'on_merge'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('derives different ids when any input differs, however they are split', () => {
    const ids = [
      changeEventId('int_1/3f1c', 'KER-42', 'on_merge'),
      changeEventId('int_1/3f1d', 'KER-42', 'on_merge'),
      changeEventId('int_1/3f1c', 'KER-43', 'on_merge'),
      changeEventId('int_1/3f1c', 'KER-42', 'pipeline'),
      changeEventId('int_1/3f1cKER-42', '', 'on_merge'),
    ];

    expect(new Set(ids).size).toBe(ids.length);
  });
});
