import { EXAMPLE_WORKFLOW_YAML } from './example';
import { WORKFLOW_LIMITS } from './limits';
import { parseWorkflow } from './parse-workflow';
import { redactWorkflowYaml } from './redact';
import { errorsOf, problem, yamlLines } from './test-helpers.spec';
import { type ParseWorkflowResult } from './types';

const NESTING = `collections nest deeper than ${WORKFLOW_LIMITS.maxNesting} levels`;

describe('input that cannot be read at all', () => {
  it('rejects a document over the size limit, counting UTF-8 bytes', () => {
    const limit = WORKFLOW_LIMITS.maxBytes;

    expect(errorsOf('#'.repeat(limit + 1))).toEqual([problem(1, 1, 'larger than 256 KiB')]);
    expect(errorsOf(`#${'é'.repeat(limit / 2)}`)).toEqual([problem(1, 1, 'larger than 256 KiB')]);
  });

  it('accepts a workflow of exactly the size limit', () => {
    const padding = WORKFLOW_LIMITS.maxBytes - EXAMPLE_WORKFLOW_YAML.length - 1;

    expect(parseWorkflow(`${EXAMPLE_WORKFLOW_YAML}#${'x'.repeat(padding)}`).ok).toBe(true);
  });

  it.each([[undefined], [null], [42], [Buffer.from('transitions: []')]])(
    'answers a problem instead of throwing for %p',
    (input) => {
      expect(errorsOf(input as unknown as string)).toEqual([
        problem(1, 1, 'the workflow must be YAML text'),
      ]);
    },
  );
});

describe('nesting', () => {
  it('stops at the first flow bracket beyond the nesting limit', () => {
    // The gauge counts the root indentation as two levels and "transitions:" as one, so the
    // 62nd bracket is the 65th level; it sits at column 13 + 62.
    expect(errorsOf(`transitions: ${'['.repeat(100_000)}`)).toEqual([problem(1, 75, NESTING)]);
  });

  it('accepts the deepest nesting a real workflow has', () => {
    const deep = yamlLines(
      'transitions:',
      '  - from: a',
      '    to: b',
      '    actions:',
      '      - type: send_webhook',
      '        url: https://ci.example.com/trigger',
      '        headers: {X-Team: core}',
      '        retry: {attempts: 2}',
    );

    expect(parseWorkflow(deep).ok).toBe(true);
  });

  it.each([
    ['flow mappings', '{a: '.repeat(60_000)],
    ['compact block sequences', '- '.repeat(100_000)],
    ['explicit keys', '? '.repeat(100_000)],
    ['mixed brackets with anchors', '&x [{a: '.repeat(30_000)],
    [
      'indented mappings',
      Array.from({ length: 500 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n'),
    ],
  ])('rejects deeply nested %s without composing them', (_kind, text) => {
    const errors = errorsOf(text);

    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe(NESTING);
  });

  it('leaves moderately nested content to the ordinary checks', () => {
    const nested = `${'['.repeat(20)}${']'.repeat(20)}`;

    expect(errorsOf(yamlLines(`extra: ${nested}`, 'transitions: [{from: a, to: b}]'))).toEqual([
      problem(1, 1, 'unknown key "extra"'),
    ]);
  });
});

describe('aliases', () => {
  const laughs = yamlLines(
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
    'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
    'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
    'transitions: *i',
  );

  it('rejects a billion laughs at the alias where the expansion passes the limit', () => {
    // Expanded sizes: a 10, b 91, c 820, d 7381 nodes. Aliases in b, c and d add 8262 nodes;
    // each *d in e adds 7380 more, so the sixth one (column 23) passes 50000.
    expect(errorsOf(laughs)).toEqual([problem(5, 23, 'aliases expand the document by more than')]);
  });

  it('withholds the text of a billion laughs from redaction too', () => {
    expect(redactWorkflowYaml(laughs)).not.toContain('lol');
  });

  it('rejects one large anchor repeated many times', () => {
    // Each *big adds 5000 nodes, so the eleventh passes 50000; it starts at column 10 + 10 * 6.
    const items = Array.from({ length: 5_000 }, (_, i) => `s${i}`).join(', ');
    const repeats = Array.from({ length: 20 }, () => '*big').join(', ');

    expect(errorsOf(yamlLines(`big: &big [${items}]`, `states: [${repeats}]`))).toEqual([
      problem(2, 70, 'aliases expand the document by more than'),
    ]);
  });

  it('survives an alias inside its own anchor', () => {
    expect(errorsOf(yamlLines('transitions: &t [*t]'))).toEqual([
      problem(1, 18, 'transitions[0] must be a mapping, not a list'),
    ]);
  });
});

describe('stack traces', () => {
  it('restores the stack trace limit it turns off while composing', () => {
    const before = Error.stackTraceLimit;
    Error.stackTraceLimit = 17;
    try {
      expect(errorsOf(yamlLines('transitions: [', 'a: b: c'))).not.toEqual([]);
      expect(Error.stackTraceLimit).toBe(17);
    } finally {
      Error.stackTraceLimit = before;
    }
  });
});

describe('many problems', () => {
  it('lists at most the problem limit, then says how many more there are', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`);
    const errors = errorsOf(yamlLines(...keys, 'transitions: [{from: a, to: b}]'));
    const max = WORKFLOW_LIMITS.maxErrors;

    expect(errors).toHaveLength(max + 1);
    expect(errors[0]).toEqual(problem(1, 1, 'unknown key "k0"'));
    expect(errors[max]).toEqual(problem(max + 1, 1, '19800 more problems are not listed'));
  });
});

describe('random and mutated documents', () => {
  /** mulberry32: a small seeded generator, so that every run feeds the same inputs. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const BASES = [
    EXAMPLE_WORKFLOW_YAML,
    yamlLines(
      'transitions:',
      '  - from: [a, b]',
      '    to: c',
      '    actions:',
      '      - type: send_webhook',
      '        url: https://ci.example.com/trigger',
      '        secret: whsec_fuzz_secret_value',
      '        headers: {Authorization: "Bearer fuzz_token_value"}',
      '        timeout_ms: 5000',
      '        retry: {attempts: 3}',
      '  - {from: "*", to: a, actions: &x [{type: send_webhook, url: "http://h.example"}]}',
      '  - {from: c, to: b, actions: *x}',
    ),
  ];
  const PIECES = [
    ...['-', ':', ' ', '  ', '\n', '\t', '[', ']', '{', '}', ',', '"', "'", '*', '&a ', '*a'],
    ...['!', '!!str ', '!!map ', '#', '|', '>-', '?', '%YAML 1.2\n', '---\n', '...\n', '<<: '],
    ...['from', 'to', 'actions', 'type', 'send_webhook', 'url', 'headers', 'retry', 'attempts'],
    ...['timeout_ms', 'secret', 'states', 'initial', 'git', 'on_merge', '"*"', 'ftp://x', '0'],
    ...['1e3', '-1', '99999999999999999999', 'null', 'true', '~', 'é', '😀', '\r\n', '\u0000'],
    ...['\ufeff', '\\', '"\\u0000"', 'a'.repeat(200)],
  ];

  function mutate(text: string, next: () => number): string {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const at = Math.floor(next() * (text.length + 1));
    const lines = text.split('\n');
    switch (Math.floor(next() * 5)) {
      case 0:
        return text.slice(0, at) + pick(PIECES) + text.slice(at);
      case 1:
        return text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 20));
      case 2:
        return text.slice(0, at);
      case 3: {
        const line = Math.floor(next() * lines.length);
        lines.splice(line, 0, lines[line] ?? '');
        return lines.join('\n');
      }
      default: {
        const [i, j] = [Math.floor(next() * lines.length), Math.floor(next() * lines.length)];
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        return lines.join('\n');
      }
    }
  }

  function inputs(count: number): string[] {
    const next = random(20260424);
    return Array.from({ length: count }, () => {
      if (next() < 0.2) {
        return Array.from(
          { length: 1 + Math.floor(next() * 60) },
          () => PIECES[Math.floor(next() * PIECES.length)],
        ).join('');
      }
      let text = BASES[Math.floor(next() * BASES.length)] ?? '';
      for (let n = 1 + Math.floor(next() * 3); n > 0; n -= 1) text = mutate(text, next);
      return text;
    });
  }

  /** What is wrong with a result, or undefined when it has the promised shape. */
  function flaw(text: string, result: ParseWorkflowResult): string | undefined {
    if (result.ok) {
      const { states, initial, transitions } = result.definition;
      const named = transitions.flatMap((t) => [...(t.from === '*' ? [] : t.from), t.to]);
      const stray = [initial, ...named].find((state) => !states.includes(state));
      return stray === undefined ? undefined : `state ${stray} is not among the states`;
    }
    const lineCount = text.split('\n').length;
    if (result.errors.length === 0) return 'no problems listed';
    const bad = result.errors.find(
      (e) =>
        !Number.isInteger(e.line) ||
        !Number.isInteger(e.column) ||
        e.line < 1 ||
        e.column < 1 ||
        e.line > lineCount ||
        e.message.length === 0,
    );
    return bad && `bad problem ${JSON.stringify(bad)}`;
  }

  it('never throws and always answers a consistent definition or positioned problems', () => {
    const flaws: string[] = [];
    let valid = 0;
    for (const text of inputs(3000)) {
      let result: ParseWorkflowResult;
      try {
        result = parseWorkflow(text);
      } catch (error) {
        flaws.push(`threw ${String(error)} for ${JSON.stringify(text)}`);
        continue;
      }
      if (result.ok) valid += 1;
      const found = flaw(text, result);
      if (found) flaws.push(`${found} for ${JSON.stringify(text)}`);
    }

    expect(flaws).toEqual([]);
    // The mutations must leave some documents valid, or the valid branch goes untested.
    expect(valid).toBeGreaterThan(100);
  });

  it('never lets a secret or header value of a valid workflow through redaction', () => {
    const leaks: string[] = [];
    for (const text of inputs(500)) {
      const result = parseWorkflow(text);
      const redacted = redactWorkflowYaml(text);
      if (!result.ok) continue;
      const secrets = result.definition.transitions.flatMap((t) =>
        t.actions.flatMap((a) => [a.secret ?? '', ...Object.values(a.headers)]),
      );
      const leaked = secrets.find((secret) => secret.length > 3 && redacted.includes(secret));
      if (leaked) leaks.push(`${leaked} in ${redacted}`);
    }

    expect(leaks).toEqual([]);
  });
});
