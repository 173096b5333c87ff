import { EXAMPLE_WORKFLOW_YAML } from './example';
import { parseWorkflow } from './parse-workflow';
import { definitionOf, errorsOf, problem, yamlLines } from './test-helpers.spec';

const SEED_FORM = yamlLines(
  'transitions:',
  '  - from: in_progress',
  '    to: in_review',
  '    actions:',
  '      - type: send_webhook',
  '        url: https://ci.example.com/trigger',
);

const FULL_FORM = yamlLines(
  'states: [backlog, todo, in_progress, in_review, done]',
  'initial: backlog                 # default: the first state listed or used',
  'transitions:',
  '  - from: [todo, in_progress]    # one state, a list, or "*"',
  '    to: in_review',
  '    actions:',
  '      - type: send_webhook',
  '        url: https://ci.example.com/trigger',
  '        secret: whsec_...        # optional: sign (section 5)',
  '        headers: {X-Team: core}  # optional extra request headers',
  '        timeout_ms: 5000         # optional, default 10000',
  '      - type: send_webhook       # several actions: each POSTs on its own',
  '        url: https://hooks.slack.example/T000',
  '  - from: backlog',
  '    to: todo',
  '  - from: todo',
  '    to: in_progress',
  '  - from: "*"',
  '    to: backlog',
  '  - from: in_review',
  '    to: done',
  '    actions:',
  '      - type: send_webhook',
  '        url: http://deploy.example.com/hook',
  '        retry: {attempts: 3}',
  'git:                             # automation from inbound events (section 6)',
  '  on_pull_request_opened: in_review',
  '  on_merge: done',
  '  on_pipeline_failed: in_progress',
);

describe('parseWorkflow: valid workflows', () => {
  it('reads the seed form, deriving states and initial state from the transition', () => {
    expect(parseWorkflow(SEED_FORM)).toEqual({
      ok: true,
      definition: {
        states: ['in_progress', 'in_review'],
        initial: 'in_progress',
        transitions: [
          {
            from: ['in_progress'],
            to: 'in_review',
            actions: [
              {
                type: 'send_webhook',
                url: 'https://ci.example.com/trigger',
                headers: {},
                timeout_ms: 10000,
              },
            ],
          },
        ],
        git: {},
      },
    });
  });

  it('reads the full form of the specification, completed so every state is reachable', () => {
    expect(definitionOf(FULL_FORM)).toEqual({
      states: ['backlog', 'todo', 'in_progress', 'in_review', 'done'],
      initial: 'backlog',
      transitions: [
        {
          from: ['todo', 'in_progress'],
          to: 'in_review',
          actions: [
            {
              type: 'send_webhook',
              url: 'https://ci.example.com/trigger',
              secret: 'whsec_...',
              headers: { 'X-Team': 'core' },
              timeout_ms: 5000,
            },
            {
              type: 'send_webhook',
              url: 'https://hooks.slack.example/T000',
              headers: {},
              timeout_ms: 10000,
            },
          ],
        },
        { from: ['backlog'], to: 'todo', actions: [] },
        { from: ['todo'], to: 'in_progress', actions: [] },
        { from: '*', to: 'backlog', actions: [] },
        {
          from: ['in_review'],
          to: 'done',
          actions: [
            {
              type: 'send_webhook',
              url: 'http://deploy.example.com/hook',
              headers: {},
              timeout_ms: 10000,
              retry: { attempts: 3 },
            },
          ],
        },
      ],
      git: {
        on_pull_request_opened: 'in_review',
        on_merge: 'done',
        on_pipeline_failed: 'in_progress',
      },
    });
  });

  it('reads the example workflow of project KER', () => {
    const definition = definitionOf(EXAMPLE_WORKFLOW_YAML);

    expect(definition.states).toEqual(['backlog', 'todo', 'in_progress', 'in_review', 'done']);
    expect(definition.initial).toBe('backlog');
    expect(definition.git).toEqual({
      on_pull_request_opened: 'in_review',
      on_merge: 'done',
      on_pipeline_failed: 'in_progress',
    });
    const review = definition.transitions.find((t) => t.to === 'in_review');
    expect(review).toEqual({
      from: ['in_progress'],
      to: 'in_review',
      actions: [
        {
          type: 'send_webhook',
          url: 'https://ci.example.com/trigger',
          headers: {},
          timeout_ms: 10000,
        },
      ],
    });
  });

  it('lists derived states in order of first use, from-states before the to-state', () => {
    const definition = definitionOf(
      yamlLines(
        'transitions:',
        '  - from: [b, a]',
        '    to: c',
        '  - from: "*"',
        '    to: d',
        '  - from: c',
        '    to: a',
      ),
    );

    expect(definition.states).toEqual(['b', 'a', 'c', 'd']);
    expect(definition.initial).toBe('b');
  });

  it('puts an explicit initial state that no transition uses first among derived states', () => {
    const definition = definitionOf(
      yamlLines('initial: triage', 'transitions:', '  - from: "*"', '    to: done'),
    );

    expect(definition.states).toEqual(['triage', 'done']);
    expect(definition.initial).toBe('triage');
  });

  it('follows aliases, so an anchored list of actions can be shared', () => {
    const definition = definitionOf(
      yamlLines(
        'transitions:',
        '  - from: a',
        '    to: b',
        '    actions: &ci',
        '      - type: send_webhook',
        '        url: https://ci.example.com/trigger',
        '  - from: b',
        '    to: c',
        '    actions: *ci',
      ),
    );

    expect(definition.transitions[1]?.actions).toEqual(definition.transitions[0]?.actions);
    expect(definition.transitions[1]?.actions).toHaveLength(1);
  });
});

describe('parseWorkflow: a workflow with many mistakes', () => {
  const WRONG = yamlLines(
    'states: [backlog, todo, in_progress, in_review, done, archived, todo]',
    'initial: 7',
    'colour: blue',
    'transitions:',
    '  - from: backlog',
    '    to: todo',
    '    priority: high',
    '  - from: [todo, 42]',
    '    to: in_progress',
    '  - from: todo',
    '    to: in_progress',
    '  - from: in_progress',
    '    to: in_review',
    '    actions:',
    '      - type: send_webhook',
    '        url: ftp://ci.example.com/trigger',
    '        headers: {X-Team: 5, "bad header": x}',
    '        timeout_ms: 0',
    '        retry: {attempts: 11}',
    '        secret: ""',
    '      - type: send_email',
    '      - type: send_webhook',
    '        url: "http://exa mple.com"',
    '        verbose: true',
    '  - from: in_review',
    '    to: shipped',
    '  - to: done',
    'git:',
    '  on_merge: deployed',
    '  on_close: done',
    '  on_pipeline_failed: in_progress: x',
  );

  it('reports every mistake at once, each at its line and column, in source order', () => {
    expect(errorsOf(WRONG)).toEqual([
      problem(1, 55, 'state "archived" cannot be reached'),
      problem(1, 65, 'state "todo" is listed twice'),
      problem(2, 10, 'initial must be a string, not 7'),
      problem(3, 1, 'unknown key "colour" in the workflow'),
      problem(7, 5, 'unknown key "priority" in transitions[0]'),
      problem(8, 18, 'transitions[1].from[1] must be a string, not 42'),
      problem(10, 11, 'duplicate transition "todo" → "in_progress"; first on line 8'),
      problem(16, 14, 'transitions[3].actions[0].url must be an http or https URL, not "ftp:"'),
      problem(17, 27, 'headers["X-Team"] must be a string, not 5'),
      problem(17, 30, '"bad header" is not a valid header name'),
      problem(18, 21, 'timeout_ms must be a whole number from 100 to 60000, not 0'),
      problem(19, 27, 'retry.attempts must be a whole number from 1 to 10, not 11'),
      problem(20, 17, 'secret must not be empty'),
      problem(21, 15, 'unknown action type "send_email"'),
      problem(23, 14, '"http://exa mple.com" is not a valid URL'),
      problem(24, 9, 'unknown key "verbose" in transitions[3].actions[2]'),
      problem(26, 9, 'unknown state "shipped"'),
      problem(27, 5, 'transitions[5] needs "from"'),
      problem(29, 13, 'unknown state "deployed"'),
      problem(30, 3, 'unknown key "on_close" in git'),
      problem(31, 23, 'Nested mappings are not allowed in compact mappings'),
      problem(31, 23, 'git.on_pipeline_failed must be a string, not a mapping'),
    ]);
  });
});
