import { EXAMPLE_WORKFLOW_YAML } from '@kera/domain';

/**
 * Reproducible hostile workflow bodies: real workflows mangled line by line
 * and character by character, plus documents built to hurt a parser (deep
 * nesting, alias bombs, huge scalars, control bytes). The same seed always
 * gives the same bodies.
 */

const FULL_EXAMPLE = `states: [backlog, todo, in_progress, in_review, done]
initial: backlog
transitions:
  - from: [todo, in_progress]
    to: in_review
    actions:
      - type: send_webhook
        url: https://ci.example.com/trigger
        secret: whsec_abc
        headers: {X-Team: core}
        timeout_ms: 5000
        retry: {attempts: 3}
      - type: send_webhook
        url: https://hooks.slack.example/T000
  - from: "*"
    to: backlog
git:
  on_pull_request_opened: in_review
  on_merge: backlog
`;

const SEEDS = [EXAMPLE_WORKFLOW_YAML, FULL_EXAMPLE];
const HOSTILE_CHARS = [
  ...':-[]{}&*!|>\'"%@`#,?\t\r\n\\ ',
  '\u0000',
  '\u00a0',
  '\ufeff',
  'ü',
  '🙂',
  '\u202e',
];
const SCALARS = [
  '*',
  '"*"',
  '~',
  'null',
  '-1',
  '1e309',
  '0x1F',
  '&a x',
  '*a',
  '!!binary aGk=',
  '<<: *a',
  '[]',
  '{}',
  '? x',
];

/** mulberry32: a small, well-spread generator, enough to pick mutations reproducibly. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;
const below = (random: Random, n: number) => Math.floor(random() * n);

/** Mutations of a document's lines; each returns the new lines. */
const LINE_MUTATIONS: ((lines: string[], random: Random) => string[])[] = [
  (lines, random) => lines.filter((_, i) => i !== below(random, lines.length)),
  (lines, random) => {
    const i = below(random, lines.length);
    return [...lines.slice(0, i + 1), lines[i] ?? '', ...lines.slice(i + 1)];
  },
  (lines, random) => {
    const copy = [...lines];
    const [a, b] = [below(random, copy.length), below(random, copy.length)];
    [copy[a], copy[b]] = [copy[b] ?? '', copy[a] ?? ''];
    return copy;
  },
  (lines, random) =>
    lines.map((line, i) =>
      i === below(random, lines.length) ? pick(random, ['\t', ' ', '   ']) + line : line,
    ),
  (lines, random) =>
    lines.map((line) =>
      random() < 0.15 ? line.replace(/:\s.*$/, `: ${pick(random, SCALARS)}`) : line,
    ),
];

function mangleCharacters(text: string, random: Random): string {
  let result = text;
  for (let n = 1 + below(random, 6); n > 0; n -= 1) {
    const at = below(random, result.length + 1);
    result =
      result.slice(0, at) + pick(random, HOSTILE_CHARS) + result.slice(at + below(random, 3));
  }
  return result;
}

/** Documents built to be expensive or strange to parse. */
const BUILT: ((random: Random) => string)[] = [
  (random) => `transitions: ${'['.repeat(50 + below(random, 5000))}`,
  (random) => `transitions:\n${'  - '.repeat(20 + below(random, 400))}from: a\n`,
  () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i += 1)
      levels.push(
        `l${i}: &l${i} [${Array(9)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(',')}]`,
      );
    return `${levels.join('\n')}\ntransitions: *l9\n`;
  },
  (random) => `transitions:\n  - from: ${'s'.repeat(1 + below(random, 100_000))}\n    to: b\n`,
  (random) =>
    Buffer.from(Array.from({ length: 1 + below(random, 4000) }, () => below(random, 256))).toString(
      'latin1',
    ),
  (random) => `%YAML 1.2\n---\ntransitions: []\n---\n${pick(random, SEEDS)}`,
  (random) =>
    `transitions:\n${Array.from({ length: 1 + below(random, 1500) }, (_, i) => `  - from: s${i}\n    to: s${i + 1}`).join('\n')}\n`,
  () => '',
  () => '\ufeff# only a comment\n',
];

/** `count` hostile bodies from `seed`: about two in three mangle a real workflow. */
export function fuzzedWorkflows(seed: number, count: number): string[] {
  const random = generator(seed);
  return Array.from({ length: count }, () => {
    if (random() < 0.3) return pick(random, BUILT)(random);
    let lines = pick(random, SEEDS).split('\n');
    for (let n = 1 + below(random, 3); n > 0; n -= 1)
      lines = pick(random, LINE_MUTATIONS)(lines, random);
    const text = lines.join('\n');
    return random() < 0.5 ? mangleCharacters(text, random) : text;
  });
}
