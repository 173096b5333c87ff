import { WORKFLOW_LIMITS } from './limits';
import { definitionOf, errorsOf, problem, yamlLines } from './test-helpers.spec';

/** A valid workflow whose single action gets the given lines (indented 8 spaces) appended. */
function withAction(...lines: string[]): string {
  return yamlLines(
    'transitions:',
    '  - from: a',
    '    to: b',
    '    actions:',
    '      - type: send_webhook',
    '        url: https://ci.example.com/trigger',
    ...lines.map((line) => `        ${line}`),
  );
}

/** A valid workflow with a `states` list, whose transitions are given as `from -> to` lines. */
function withStates(states: string, ...moves: string[]): string {
  return yamlLines(
    `states: ${states}`,
    'transitions:',
    ...moves.flatMap((move) => {
      const [from, to] = move.split(' -> ');
      return [`  - from: ${from}`, `    to: ${to}`];
    }),
  );
}

describe('YAML syntax', () => {
  it('reports every syntax error with its position, and what can still be checked', () => {
    const errors = errorsOf(
      yamlLines(
        'transitions:',
        '  - from: a',
        '    to: b: c',
        '  - from: [a, b',
        '    to: c',
        'git: {on_merge: b',
      ),
    );

    expect(errors).toEqual([
      problem(3, 9, 'Nested mappings are not allowed in compact mappings'),
      problem(3, 9, 'transitions[0].to must be a string, not a mapping'),
      problem(
        5,
        5,
        'Flow sequence in block collection must be sufficiently indented and end with a ]',
      ),
      problem(7, 1, 'Flow map in block collection must be sufficiently indented and end with a }'),
    ]);
  });

  it('explains that a bare * must be quoted', () => {
    expect(errorsOf(yamlLines('transitions:', '  - from: *', '    to: b'))).toEqual(
      expect.arrayContaining([problem(2, 11, 'quote it: "*"')]),
    );
  });

  it('rejects a second document', () => {
    expect(errorsOf(yamlLines('transitions: []', '---', 'transitions: []'))).toEqual(
      expect.arrayContaining([problem(2, 1, 'a workflow is a single YAML document')]),
    );
  });

  it('rejects an empty document', () => {
    expect(errorsOf('# nothing here\n')).toEqual([problem(1, 1, 'the workflow is empty')]);
  });

  it('rejects an alias that has no anchor before it', () => {
    expect(
      errorsOf(
        yamlLines(
          'transitions:',
          '  - from: *start',
          '    to: b',
          '  - from: &start a',
          '    to: c',
        ),
      ),
    ).toEqual([problem(2, 11, 'no anchor "&start" before this alias')]);
  });

  it('reports a repeated key at its second occurrence', () => {
    expect(errorsOf(yamlLines('transitions:', '  - from: a', '    to: b', '    to: c'))).toEqual([
      problem(4, 5, 'transitions[0] has the key "to" twice'),
    ]);
  });
});

describe('document shape', () => {
  it('rejects a root that is not a mapping', () => {
    expect(errorsOf(yamlLines('- from: a', '  to: b'))).toEqual([
      problem(1, 1, 'the workflow must be a mapping, not a list'),
    ]);
  });

  it('reports unknown keys at the top level, in a transition, an action, git and retry', () => {
    const errors = errorsOf(
      yamlLines(
        'name: x',
        'transitions:',
        '  - from: a',
        '    to: b',
        '    when: always',
        '    actions:',
        '      - type: send_webhook',
        '        url: https://ci.example.com/trigger',
        '        method: PUT',
        '        retry: {attempts: 2, backoff: 5}',
        'git:',
        '  on_push: b',
      ),
    );

    expect(errors).toEqual([
      problem(
        1,
        1,
        'unknown key "name" in the workflow; allowed: states, initial, transitions, git',
      ),
      problem(5, 5, 'unknown key "when" in transitions[0]; allowed: from, to, actions'),
      problem(9, 9, 'unknown key "method" in transitions[0].actions[0]'),
      problem(10, 30, 'unknown key "backoff" in transitions[0].actions[0].retry'),
      problem(12, 3, 'unknown key "on_push" in git'),
    ]);
  });

  it('rejects a key that is not a name', () => {
    expect(errorsOf(yamlLines('? [a, b]', ': 1', 'transitions: [{from: a, to: b}]'))).toEqual([
      problem(1, 3, 'the workflow has a key that is a list; keys must be names'),
    ]);
  });

  it('requires transitions', () => {
    expect(errorsOf(yamlLines('states: [a]'))).toEqual([
      problem(1, 1, 'the workflow needs a "transitions" list'),
    ]);
  });

  it('rejects an empty list of transitions', () => {
    expect(errorsOf(yamlLines('transitions: []'))).toEqual([
      problem(1, 14, 'transitions must list at least one transition'),
    ]);
  });

  it('rejects transitions that are not a list, pointing at the key when the value is empty', () => {
    expect(errorsOf(yamlLines('transitions: {from: a, to: b}'))).toEqual([
      problem(1, 14, 'transitions must be a list, not a mapping'),
    ]);
    expect(errorsOf(yamlLines('transitions:'))).toEqual([
      problem(1, 1, 'transitions must be a list, not empty'),
    ]);
  });
});

describe('from and to', () => {
  it('accepts one state, a list of states, and "*"', () => {
    const definition = definitionOf(
      yamlLines(
        'transitions:',
        '  - {from: a, to: b}',
        '  - {from: [a, b], to: c}',
        "  - {from: '*', to: a}",
      ),
    );

    expect(definition.transitions.map((t) => t.from)).toEqual([['a'], ['a', 'b'], '*']);
  });

  it('rejects a from that is neither a state, a list of states nor "*"', () => {
    expect(errorsOf(yamlLines('transitions:', '  - from: {a: 1}', '    to: b'))).toEqual([
      problem(2, 11, 'transitions[0].from must be a state, a list of states or "*", not a mapping'),
    ]);
    expect(errorsOf(yamlLines('transitions:', '  - from: 3', '    to: b'))).toEqual([
      problem(2, 11, 'transitions[0].from must be a state, a list of states or "*", not 3'),
    ]);
  });

  it('rejects an empty from list and "*" inside a list', () => {
    expect(errorsOf(yamlLines('transitions:', '  - {from: [], to: b}'))).toEqual([
      problem(2, 12, 'transitions[0].from must name at least one state'),
    ]);
    expect(errorsOf(yamlLines('transitions:', '  - {from: [a, "*"], to: b}'))).toEqual([
      problem(2, 16, 'transitions[0].from[1] cannot be "*"'),
    ]);
  });

  it('requires from and to, reporting at the transition', () => {
    expect(errorsOf(yamlLines('transitions:', '  - to: b', '  - from: a'))).toEqual([
      problem(2, 5, 'transitions[0] needs "from"'),
      problem(3, 5, 'transitions[1] needs "to"'),
    ]);
  });

  it('rejects "*" as a target and a transition that is not a mapping', () => {
    expect(errorsOf(yamlLines('transitions:', '  - from: a', '    to: "*"', '  - a'))).toEqual([
      problem(3, 9, 'transitions[0].to cannot be "*"'),
      problem(4, 5, 'transitions[1] must be a mapping, not "a"'),
    ]);
  });

  it('rejects empty, overlong and control-character state names', () => {
    const long = 'x'.repeat(WORKFLOW_LIMITS.maxStateNameLength + 1);
    const errors = errorsOf(
      yamlLines(
        'transitions:',
        '  - from: ""',
        `    to: ${long}`,
        '  - from: "a\\tb"',
        '    to: c',
      ),
    );

    expect(errors).toEqual([
      problem(2, 11, 'transitions[0].from must not be empty'),
      problem(3, 9, `is longer than ${WORKFLOW_LIMITS.maxStateNameLength} characters`),
      problem(4, 11, 'contains control characters'),
    ]);
  });
});

describe('actions', () => {
  it('defaults actions to none and rejects an empty actions key', () => {
    expect(
      definitionOf(yamlLines('transitions:', '  - {from: a, to: b}')).transitions[0]?.actions,
    ).toEqual([]);
    expect(errorsOf(yamlLines('transitions:', '  - from: a', '    to: b', '    actions:'))).toEqual(
      [problem(4, 5, 'transitions[0].actions must be a list, not empty')],
    );
  });

  it('rejects unknown action types without judging their other keys', () => {
    const errors = errorsOf(
      yamlLines(
        'transitions:',
        '  - from: a',
        '    to: b',
        '    actions:',
        '      - type: send_email',
        '        to: team@example.com',
      ),
    );

    expect(errors).toEqual([
      problem(5, 15, 'unknown action type "send_email"; the only type is send_webhook'),
    ]);
  });

  it('requires a type, still checking the rest as send_webhook', () => {
    const errors = errorsOf(
      yamlLines(
        'transitions:',
        '  - from: a',
        '    to: b',
        '    actions:',
        '      - url: gopher://x',
      ),
    );

    expect(errors).toEqual([
      problem(5, 9, 'transitions[0].actions[0] needs "type: send_webhook"'),
      problem(5, 14, 'url must be an http or https URL, not "gopher:"'),
    ]);
  });

  it('requires a url', () => {
    const errors = errorsOf(
      yamlLines(
        'transitions:',
        '  - from: a',
        '    to: b',
        '    actions:',
        '      - type: send_webhook',
      ),
    );

    expect(errors).toEqual([problem(5, 9, 'transitions[0].actions[0] needs "url"')]);
  });

  it('rejects urls that are not http(s) or do not parse', () => {
    expect(errorsOf(withAction('headers: {}').replace('https://ci', 'file:///etc'))).toEqual([
      problem(6, 14, 'must be an http or https URL, not "file:"'),
    ]);
    expect(
      errorsOf(withAction().replace('https://ci.example.com/trigger', 'ci.example.com')),
    ).toEqual([problem(6, 14, '"ci.example.com" is not a valid URL')]);
    expect(errorsOf(withAction().replace('https://ci.example.com/trigger', 'https://'))).toEqual([
      problem(6, 14, '"https://" is not a valid URL'),
    ]);
  });

  it('keeps the url exactly as written', () => {
    const url = 'HTTP://CI.example.com:8443/a%20b?x=1';
    const action = definitionOf(withAction().replace('https://ci.example.com/trigger', url))
      .transitions[0]?.actions[0];

    expect(action?.url).toBe(url);
  });
});

describe('headers', () => {
  it('accepts string values under valid names, a __proto__ header included', () => {
    const action = definitionOf(
      withAction('headers: {X-Team: core, Authorization: "Bearer t", __proto__: p}'),
    ).transitions[0]?.actions[0];

    expect(action?.headers).toEqual({
      'X-Team': 'core',
      Authorization: 'Bearer t',
      ['__proto__']: 'p',
    });
    expect(Object.keys(action?.headers ?? {})).toEqual(['X-Team', 'Authorization', '__proto__']);
  });

  it('rejects values that are not strings and names that are not HTTP tokens', () => {
    expect(
      errorsOf(
        withAction('headers:', '  X-Count: 3', '  X-List: [a]', '  "X Team": core', '  "X-é": a'),
      ),
    ).toEqual([
      problem(8, 20, 'headers["X-Count"] must be a string, not 3 (quote it to mean text)'),
      problem(9, 19, 'headers["X-List"] must be a string, not a list'),
      problem(10, 11, '"X Team" is not a valid header name'),
      problem(11, 11, '"X-é" is not a valid header name'),
    ]);
  });

  it('rejects values with line breaks and headers that Kera sets itself', () => {
    expect(
      errorsOf(
        withAction('headers:', '  X-Injected: "a\\r\\nHost: evil"', '  content-type: text/plain'),
      ),
    ).toEqual([
      problem(8, 23, 'headers["X-Injected"] has characters a header value cannot have'),
      problem(9, 11, '"content-type" is set by Kera and cannot be changed'),
    ]);
  });

  it('rejects the same header twice in different case', () => {
    expect(errorsOf(withAction('headers: {X-Team: a, x-team: b}'))).toEqual([
      problem(7, 30, 'headers: "x-team" repeats "X-Team" (names ignore case)'),
    ]);
  });
});

describe('timeout_ms, retry and secret', () => {
  it('defaults timeout_ms to 10000 and accepts the bounds of its range', () => {
    const timeout = (lines: string[]) =>
      definitionOf(withAction(...lines)).transitions[0]?.actions[0]?.timeout_ms;

    expect(timeout([])).toBe(10000);
    expect(timeout([`timeout_ms: ${WORKFLOW_LIMITS.minTimeoutMs}`])).toBe(100);
    expect(timeout([`timeout_ms: ${WORKFLOW_LIMITS.maxTimeoutMs}`])).toBe(60000);
  });

  it.each([['99'], ['60001'], ['1.5'], ['"5000"'], ['-1']])('rejects timeout_ms: %s', (value) => {
    expect(errorsOf(withAction(`timeout_ms: ${value}`))).toEqual([
      problem(7, 21, 'timeout_ms must be a whole number from 100 to 60000'),
    ]);
  });

  it('accepts retry attempts from 1 to 10', () => {
    const retry = (n: number) =>
      definitionOf(withAction(`retry: {attempts: ${n}}`)).transitions[0]?.actions[0]?.retry;

    expect(retry(1)).toEqual({ attempts: 1 });
    expect(retry(10)).toEqual({ attempts: 10 });
  });

  it('rejects retry attempts outside 1 to 10, missing attempts and a retry that is no mapping', () => {
    expect(errorsOf(withAction('retry: {attempts: 0}'))).toEqual([
      problem(7, 27, 'retry.attempts must be a whole number from 1 to 10, not 0'),
    ]);
    expect(errorsOf(withAction('retry: {}'))).toEqual([problem(7, 16, 'retry needs "attempts"')]);
    expect(errorsOf(withAction('retry: 3'))).toEqual([
      problem(7, 16, 'retry must be a mapping, not 3'),
    ]);
  });

  it('rejects a secret that is empty or not a string', () => {
    expect(errorsOf(withAction("secret: ''"))).toEqual([
      problem(7, 17, 'secret must not be empty'),
    ]);
    expect(errorsOf(withAction('secret: 12345'))).toEqual([
      problem(7, 17, 'secret must be a string, not 12345 (quote it to mean text)'),
    ]);
  });
});

describe('duplicate transitions', () => {
  it('reports the same move at its later definition', () => {
    expect(
      errorsOf(yamlLines('transitions:', '  - {from: a, to: b}', '  - {from: a, to: b}')),
    ).toEqual([problem(3, 12, 'duplicate transition "a" → "b"; first on line 2')]);
  });

  it('reports a move that a list repeats, within the list or across transitions', () => {
    expect(
      errorsOf(yamlLines('transitions:', '  - {from: [a, c], to: b}', '  - {from: [d, c], to: b}')),
    ).toEqual([problem(3, 16, 'duplicate transition "c" → "b"; first on line 2')]);
    expect(errorsOf(yamlLines('transitions:', '  - {from: [a, a], to: b}'))).toEqual([
      problem(2, 16, 'duplicate transition "a" → "b"'),
    ]);
  });

  it('tells apart long state names that only differ near their end', () => {
    const stem = 'x'.repeat(90);

    expect(
      definitionOf(
        yamlLines('transitions:', `  - {from: ${stem}1, to: b}`, `  - {from: ${stem}2, to: b}`),
      ).transitions,
    ).toHaveLength(2);
  });

  it('reports two "*" transitions to one state but allows a "*" beside an explicit one', () => {
    expect(
      errorsOf(yamlLines('transitions:', "  - {from: '*', to: b}", "  - {from: '*', to: b}")),
    ).toEqual([problem(3, 12, 'duplicate transition "*" → "b"')]);
    expect(
      definitionOf(yamlLines('transitions:', "  - {from: '*', to: b}", '  - {from: a, to: b}'))
        .transitions,
    ).toHaveLength(2);
  });
});

describe('states', () => {
  it('reports states named by transitions, initial and git that are not listed', () => {
    const errors = errorsOf(
      yamlLines(
        'states: [a, b]',
        'initial: c',
        'transitions:',
        '  - {from: [a, x], to: b}',
        '  - {from: b, to: y}',
        '  - {from: b, to: a}',
        'git:',
        '  on_merge: z',
      ),
    );

    expect(errors).toEqual([
      problem(2, 10, 'unknown state "c": it is not in "states"'),
      problem(4, 16, 'unknown state "x"'),
      problem(5, 19, 'unknown state "y"'),
      problem(8, 13, 'unknown state "z"'),
    ]);
  });

  it('reports a state listed twice at its second entry', () => {
    expect(errorsOf(withStates('[a, b, a]', 'a -> b'))).toEqual([
      problem(1, 16, 'state "a" is listed twice'),
    ]);
  });

  it('reports listed states that nothing uses, but not the initial one or a source', () => {
    expect(errorsOf(withStates('[a, b, c, d, e]', 'a -> b', 'c -> b'))).toEqual([
      problem(1, 19, 'state "d" cannot be reached: no transition or automation uses it'),
      problem(1, 22, 'state "e" cannot be reached'),
    ]);
  });

  it('accepts the full form of the specification as written', () => {
    const spec = yamlLines(
      'states: [backlog, todo, in_progress, in_review, done]',
      'initial: backlog',
      'transitions:',
      '  - from: [todo, in_progress]',
      '    to: in_review',
      '    actions:',
      '      - type: send_webhook',
      '        url: https://ci.example.com/trigger',
      '        secret: whsec_abc',
      '        headers: {X-Team: core}',
      '        timeout_ms: 5000',
      '      - type: send_webhook',
      '        url: https://hooks.slack.example/T000',
      'git:',
      '  on_pull_request_opened: in_review',
      '  on_merge: done',
      '  on_pipeline_failed: in_progress',
    );
    expect(definitionOf(spec).states).toEqual([
      'backlog',
      'todo',
      'in_progress',
      'in_review',
      'done',
    ]);
  });

  it('counts a state reachable only through "*" as reachable', () => {
    expect(definitionOf(withStates('[a, b, c]', 'a -> b', "'*' -> c")).states).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('counts the explicit initial state as reachable, not the first listed', () => {
    expect(
      errorsOf(yamlLines('states: [a, b]', 'initial: b', 'transitions:', '  - {from: b, to: b}')),
    ).toEqual([problem(1, 10, 'state "a" cannot be reached')]);
  });

  it('rejects an empty states list and a states key that is no list', () => {
    expect(errorsOf(yamlLines('states: []', 'transitions:', '  - {from: a, to: b}'))).toEqual(
      expect.arrayContaining([problem(1, 9, 'states must list at least one state')]),
    );
    expect(errorsOf(yamlLines('states: a', 'transitions:', '  - {from: a, to: b}'))).toEqual([
      problem(1, 9, 'states must be a list, not "a"'),
    ]);
  });

  it('without a states list, reports git moves to states no transition uses', () => {
    expect(
      errorsOf(yamlLines('transitions:', '  - {from: a, to: b}', 'git:', '  on_merge: done')),
    ).toEqual([problem(4, 13, 'git.on_merge names "done", which no transition uses')]);
  });

  it('rejects an initial state that is not a string', () => {
    expect(errorsOf(yamlLines('initial: [a]', 'transitions:', '  - {from: a, to: b}'))).toEqual([
      problem(1, 10, 'initial must be a string, not a list'),
    ]);
  });
});

describe('limits on counts', () => {
  it('rejects more transitions than the limit, at the first one beyond it', () => {
    const count = WORKFLOW_LIMITS.maxTransitions + 1;
    const moves = Array.from({ length: count }, (_, i) => `  - {from: s${i}, to: s${i + 1}}`);

    expect(errorsOf(yamlLines('transitions:', ...moves))).toEqual([
      problem(count + 1, 5, `a workflow has at most ${WORKFLOW_LIMITS.maxTransitions} transitions`),
    ]);
  });

  it('rejects more actions per transition than the limit, at the first one beyond it', () => {
    const count = WORKFLOW_LIMITS.maxActionsPerTransition + 1;
    const actions = Array.from(
      { length: count },
      () => '      - {type: send_webhook, url: "https://x.example"}',
    );

    expect(
      errorsOf(yamlLines('transitions:', '  - from: a', '    to: b', '    actions:', ...actions)),
    ).toEqual([
      problem(
        4 + count,
        9,
        `a transition has at most ${WORKFLOW_LIMITS.maxActionsPerTransition} actions`,
      ),
    ]);
  });
});
