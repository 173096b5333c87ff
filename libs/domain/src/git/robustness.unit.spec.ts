import { githubFixtures } from './fixtures/github';
import { gitlabFixtures } from './fixtures/gitlab';
import { fromGithub } from './github';
import { fromGitlab } from './gitlab';
import { planLinks, planPullRequestLinks } from './link-plan';
import type { GitEvent, GitPullRequestEvent, GitRepository, GitUser } from './model';
import { extractTicketRefs } from './ticket-refs';

/** mulberry32: a small seeded generator, so that every run tries the same inputs. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const known = new Set(['KER', 'OPS']);
const KEY_SHAPE = /^[A-Z][A-Z0-9]{1,9}-[1-9][0-9]{0,8}$/;

// Pieces that real texts around keys are made of, plus hostile ones.
const PIECES = [
  'KER',
  'ker',
  'Ker',
  'OPS',
  'DOCS',
  'UTF',
  'SHA',
  'ISO',
  'XKER',
  'KE',
  'K',
  '-',
  '–',
  '_',
  '1',
  '0',
  '42',
  '007',
  '8',
  '256',
  '1234567890',
  ' ',
  '  ',
  '\n',
  '\r\n',
  '\t',
  '\u00a0',
  ',',
  '.',
  ';',
  ':',
  '#',
  '[',
  ']',
  '(',
  ')',
  '«',
  '»',
  '“',
  '”',
  '（',
  '）',
  '。',
  '@',
  '/',
  '://',
  'https://kera.example/browse/',
  'fixes',
  'Fixes:',
  'closes',
  'resolved',
  'refs',
  'part of',
  'related to',
  'see',
  'skip',
  'ignore',
  "doesn't",
  'not',
  'and',
  '&',
  '- ',
  '* [x] ',
  '1. ',
  '<!--',
  '-->',
  '**',
  '`',
  '修复',
  'é',
  '\u0301',
  '\u{1D400}',
  '\u212A',
  'ＫＥＲ',
  '\u200b',
  '\ud800',
  '\udfff',
  'issue ',
];

function randomText(next: () => number): string {
  const length = Math.floor(next() * 40);
  let text = '';
  for (let i = 0; i < length; i++) {
    text +=
      next() < 0.85
        ? (PIECES[Math.floor(next() * PIECES.length)] ?? '')
        : String.fromCodePoint(Math.floor(next() * 0x2ffff));
  }
  return text;
}

describe('extractTicketRefs under random input', () => {
  it('never throws and only yields well-formed keys of known projects, found where it says', () => {
    const next = prng(20250304);
    for (let round = 0; round < 5000; round++) {
      const text = randomText(next);
      for (const ref of extractTicketRefs(text, known)) {
        expect(known.has(ref.project)).toBe(true);
        expect(ref.key).toMatch(KEY_SHAPE);
        expect(ref.key).toBe(`${ref.project}-${ref.number}`);
        expect(text.slice(ref.index, ref.index + ref.key.length).toUpperCase()).toBe(ref.key);
      }
    }
  });

  it('keeps every pull request plan consistent', () => {
    const next = prng(7);
    for (let round = 0; round < 2000; round++) {
      const plan = planPullRequestLinks(
        randomPullRequest(randomText(next), randomText(next), randomText(next), [randomText(next)]),
        known,
      );
      const linked = new Set(plan.tickets);
      expect(linked.size).toBe(plan.tickets.length);
      expect(new Set([...plan.movable, ...plan.reference_only])).toEqual(linked);
      expect(plan.movable.filter((ticket) => plan.reference_only.includes(ticket))).toEqual([]);
      expect(plan.removed.filter((ticket) => linked.has(ticket))).toEqual([]);
      for (const ticket of [...plan.tickets, ...plan.removed]) {
        expect(known.has(ticket.split('-')[0] ?? '')).toBe(true);
      }
    }
  });

  it('answers hostile texts of the maximum size', () => {
    const huge = 65_536;
    const texts = [
      `fixes ${'http://a'.repeat(huge / 8)} KER-1`,
      `fix${'*'.repeat(huge)}KER-1`,
      `Fixes:${'\n'.repeat(huge)}KER-1`,
      `${"don't ".repeat(huge / 6)}fix KER-1`,
      '<!--'.repeat(huge / 4),
      'KER-'.repeat(huge / 4),
    ];
    for (const text of texts) expect(extractTicketRefs(text, known)).toEqual([]);
    expect(extractTicketRefs(`Fixes ${'KER-1,'.repeat(huge / 6)}`, known)).toHaveLength(
      Math.floor((huge - 6) / 6),
    );
  });
});

function randomPullRequest(
  source_branch: string,
  title: string,
  description: string,
  commit_messages: string[],
): GitPullRequestEvent {
  return {
    kind: 'pull_request',
    provider: 'gitlab',
    action: 'updated',
    repository: { id: '9', full_name: 'a/b', url: 'https://gitlab.example/a/b' },
    number: 1,
    url: 'https://gitlab.example/a/b/-/merge_requests/1',
    title,
    description,
    source_branch,
    target_branch: 'main',
    state: 'open',
    draft: false,
    from_fork: false,
    head_sha: null,
    author: null,
    actor: { login: null, name: null, email: null },
    commit_messages,
  };
}

const GARBAGE: unknown[] = [
  null,
  undefined,
  0,
  -1,
  Number.NaN,
  Infinity,
  '',
  'text',
  true,
  [],
  [1, 'a', null],
  {},
  { __proto__: { action: 'opened' } },
  Object.create(null),
  new Date(0),
  () => 'function',
  Symbol('payload'),
  10n,
];

const EVENT_NAMES: [map: (event: string, payload: unknown) => GitEvent, names: string[]][] = [
  [
    fromGithub,
    [
      'pull_request',
      'push',
      'create',
      'delete',
      'workflow_run',
      'check_suite',
      'check_run',
      'ping',
      'issues',
      '',
    ],
  ],
  [
    fromGitlab,
    ['Merge Request Hook', 'Push Hook', 'Tag Push Hook', 'Pipeline Hook', 'Note Hook', ''],
  ],
];

describe('mapping garbage payloads', () => {
  it.each(
    EVENT_NAMES.flatMap(([map, names]) => names.map((name) => [map.name, name, map] as const)),
  )('%s(%p, garbage) answers with a valid event', (_mapper, name, map) => {
    for (const payload of GARBAGE) {
      const event = map(name, payload);
      expect(problemsOf(event)).toEqual([]);
      if (name !== 'ping') expect(event.kind).toBe('ignored');
    }
  });

  it('survives an event name that is not a string', () => {
    expect(fromGithub(undefined as unknown as string, {}).kind).toBe('ignored');
    expect(fromGitlab(42 as unknown as string, {}).kind).toBe('ignored');
  });

  it('survives deeply nested payloads of the wrong shape', () => {
    let deep: unknown = 'bottom';
    for (let depth = 0; depth < 10_000; depth++) deep = { pull_request: deep, head: [deep] };
    expect(fromGithub('pull_request', deep).kind).toBe('ignored');
    expect(fromGitlab('Pipeline Hook', { object_attributes: deep }).kind).toBe('ignored');
  });

  it('answers with a valid event whatever single field of a real payload is replaced', () => {
    const replacements: unknown[] = [null, undefined, 42, -7, 'x', '', [], {}, true];
    const fixtures = [
      ...githubFixtures().map(([name, payload]) => [fromGithub, name, payload] as const),
      ...gitlabFixtures().map(([name, payload]) => [fromGitlab, name, payload] as const),
    ];
    const problems: string[] = [];
    let mapped = 0;
    for (const [map, name, payload] of fixtures) {
      for (const path of pathsOf(payload)) {
        for (const replacement of replacements) {
          const event = map(name, replacing(payload, path, replacement));
          planLinks(event, known);
          const where = `${name} ${path.join('.')} = ${String(replacement)}`;
          problems.push(...problemsOf(event).map((problem) => `${where}: ${problem}`));
          mapped++;
        }
      }
    }
    expect(problems).toEqual([]);
    expect(mapped).toBeGreaterThan(5000);
  });
});

type Path = (string | number)[];

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    return [path, ...pathsOf(child, path)];
  });
}

function replacing(value: unknown, path: Path, replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  copy[head] = replacing(copy[head], rest, replacement);
  return copy;
}

const isText = (value: unknown): boolean => typeof value === 'string';
const isTextOrNull = (value: unknown): boolean => value === null || typeof value === 'string';
const isName = (value: unknown): boolean => typeof value === 'string' && value.trim() !== '';
const isHttpUrl = (value: unknown): boolean =>
  typeof value === 'string' && /^https?:\/\//.test(value);
const isSha = (value: unknown): boolean =>
  value === null || (typeof value === 'string' && /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(value));
const isPositive = (value: unknown): boolean =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
const isId = (value: unknown): boolean => typeof value === 'string' && /^[1-9][0-9]*$/.test(value);

function userOk(user: GitUser | null): boolean {
  if (user === null) return true;
  const { login, name, email } = user;
  return [login, name, email].every(isTextOrNull) && (email === null || email.includes('@'));
}

function repositoryOk({ id, full_name, url }: GitRepository): boolean {
  return isId(id) && isName(full_name) && isHttpUrl(url);
}

/** The model's promises, whatever the payload was: the names of the broken ones. */
function problemsOf(event: GitEvent): string[] {
  const checks = checksOf(event);
  return Object.entries(checks)
    .filter(([, ok]) => !ok)
    .map(([name]) => `${event.kind}.${name}`);
}

function checksOf(event: GitEvent): Record<string, boolean> {
  switch (event.kind) {
    case 'pull_request':
      return {
        repository: repositoryOk(event.repository),
        number: isPositive(event.number),
        url: isHttpUrl(event.url),
        texts: isText(event.title) && isText(event.description),
        branches: isName(event.source_branch) && isName(event.target_branch),
        state: ['open', 'merged', 'closed'].includes(event.state),
        flags: typeof event.draft === 'boolean' && typeof event.from_fork === 'boolean',
        head_sha: isSha(event.head_sha),
        users: userOk(event.author) && userOk(event.actor),
        commit_messages: (event.commit_messages ?? []).every(isText),
      };
    case 'push':
      return {
        repository: repositoryOk(event.repository),
        refs: isName(event.ref) && isSha(event.before) && isSha(event.after),
        commits: event.commits.every(
          (commit) => isSha(commit.id) && isText(commit.message) && isHttpUrl(commit.url),
        ),
        pusher: userOk(event.pusher),
      };
    case 'tag':
      return {
        repository: repositoryOk(event.repository),
        ref: isName(event.tag) && event.ref === `refs/tags/${event.tag}`,
        sha: isSha(event.sha),
        message: isTextOrNull(event.message),
        pusher: userOk(event.pusher),
      };
    case 'pipeline':
      return {
        repository: repositoryOk(event.repository),
        id: isId(event.id),
        status: ['queued', 'waiting', 'in_progress', 'completed'].includes(event.status),
        conclusion: event.status === 'completed' || event.conclusion === null,
        url: isHttpUrl(event.url),
        sha: isSha(event.sha),
        provider_status: isName(event.provider_status),
        pull_request_numbers: event.pull_request_numbers.every(isPositive),
        actor: userOk(event.actor),
      };
    case 'ping':
      return {};
    case 'ignored':
      return { reason: isName(event.reason), event: event.event.length <= 64 };
  }
}
