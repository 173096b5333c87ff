import * as github from './fixtures/github';
import * as gitlab from './fixtures/gitlab';
import { fromGithub } from './github';
import { fromGitlab } from './gitlab';
import { planLinks, planPullRequestLinks, planPushLinks } from './link-plan';
import type { GitPullRequestEvent, GitPushEvent } from './model';

const known = new Set(['KER', 'OPS', 'BIL', 'A1']);

function pullRequest(fields: Partial<GitPullRequestEvent>): GitPullRequestEvent {
  return {
    kind: 'pull_request',
    provider: 'github',
    action: 'opened',
    repository: {
      id: '1',
      full_name: 'kera-labs/kera-app',
      url: 'https://github.com/kera-labs/kera-app',
    },
    number: 5,
    url: 'https://github.com/kera-labs/kera-app/pull/5',
    title: 'Untitled change',
    description: '',
    source_branch: 'topic',
    target_branch: 'main',
    state: 'open',
    draft: false,
    from_fork: false,
    head_sha: null,
    author: null,
    actor: { login: 'mara-dev', name: null, email: null },
    ...fields,
  };
}

interface Case {
  branch?: string;
  title?: string;
  description?: string;
  commits?: string[];
  move?: string[];
  ref?: string[];
  skip?: string[];
}

// prettier-ignore
const cases: [name: string, input: Case][] = [
  ['lower-case key in a branch', { branch: 'feature/ker-42-login', move: ['KER-42'] }],
  ['bare key as branch', { branch: 'KER-42', move: ['KER-42'] }],
  ['key followed by an underscore in a branch', { branch: 'bugfix/KER-7_null-check', move: ['KER-7'] }],
  ['two keys in a branch', { branch: 'ker-42-ker-43-merge', move: ['KER-42', 'KER-43'] }],
  ['closing-looking prefix in a branch is just a name', { branch: 'fix/ker-1', move: ['KER-1'] }],
  ['key deep in a branch path', { branch: 'users/mara/OPS-12/retry', move: ['OPS-12'] }],
  ['key glued to a letter', { branch: 'xker-1-typo' }],
  ['release branch', { branch: 'release/2.4' }],
  ['look-alike of an unknown project in a branch', { branch: 'renovate/sha-256-1.x' }],
  ['leading zero', { branch: 'feature/ker-007' }],
  ['key glued to a trailing letter', { branch: 'ker-12a' }],
  ['key in brackets in a title', { title: '[KER-1] Add login', move: ['KER-1'] }],
  ['key in parentheses in a title', { title: '(KER-2) Add login', move: ['KER-2'] }],
  ['key with a colon in a title', { title: 'KER-3: Add login', move: ['KER-3'] }],
  ['hash before a key in a title', { title: '#KER-4 Add login', move: ['KER-4'] }],
  ['closing word in a title', { title: 'Fix KER-5 crash on start', move: ['KER-5'] }],
  ['"part of" in a title only links', { title: 'Part of KER-6: extract module', ref: ['KER-6'] }],
  ['"refs" in a title only links', { title: 'Refs KER-7 cleanup', ref: ['KER-7'] }],
  ['"skip" in a title is not an instruction', { title: 'Skip KER-8 flaky test', move: ['KER-8'] }],
  ['lower-case key in a title', { title: 'ker-9 lower-case title', move: ['KER-9'] }],
  ['UTF-8 and ISO-8601 in a title', { title: 'Bump UTF-8 handling and ISO-8601 dates' }],
  ['several keys in a title', { title: 'KER-10, KER-11: shared fix', move: ['KER-10', 'KER-11'] }],
  ['key of an unknown project', { title: 'Update docs-1234 link' }],
  ['"Fixes KER-1"', { description: 'Fixes KER-1', move: ['KER-1'] }],
  ['"Fixes: KER-1"', { description: 'Fixes: KER-1', move: ['KER-1'] }],
  ['"closes #KER-2"', { description: 'closes #KER-2', move: ['KER-2'] }],
  ['"Resolved KER-3"', { description: 'Resolved KER-3', move: ['KER-3'] }],
  ['closing word mid-sentence, key at the end of it', { description: 'This fixes ker-4.', move: ['KER-4'] }],
  ['upper-case closing word', { description: 'FIXES KER-5', move: ['KER-5'] }],
  ['one closing word for a list', { description: 'Closes KER-1, KER-2 and KER-3', move: ['KER-1', 'KER-2', 'KER-3'] }],
  ['ampersand in a list', { description: 'Fixes KER-1 & KER-2', move: ['KER-1', 'KER-2'] }],
  ['comma without space in a list', { description: 'Fixes KER-1,KER-2', move: ['KER-1', 'KER-2'] }],
  ['hashes in a list', { description: 'Fixes #KER-1, #KER-2', move: ['KER-1', 'KER-2'] }],
  ['space-separated list', { description: 'Fixes KER-1 KER-2', move: ['KER-1', 'KER-2'] }],
  ['"refs"', { description: 'Refs KER-1', ref: ['KER-1'] }],
  ['"References:"', { description: 'References: KER-1', ref: ['KER-1'] }],
  ['"Part of"', { description: 'Part of KER-1', ref: ['KER-1'] }],
  ['"Related to"', { description: 'Related to KER-1', ref: ['KER-1'] }],
  ['"See"', { description: 'See KER-1 for context', ref: ['KER-1'] }],
  ['plain mention in a description only links', { description: 'Mentioned KER-1 in passing', ref: ['KER-1'] }],
  ['closing and non-closing on two lines', { description: 'Fixes KER-1\nRefs KER-2', move: ['KER-1'], ref: ['KER-2'] }],
  ['Windows line breaks', { description: 'Fixes KER-1\r\nRefs KER-2', move: ['KER-1'], ref: ['KER-2'] }],
  ['negated closing word', { description: "Doesn't fix KER-1 yet", ref: ['KER-1'] }],
  ['negation with a typographic apostrophe', { description: 'This won’t close KER-1', ref: ['KER-1'] }],
  ['closing word inside another word', { description: 'Prefix KER-1 with the tenant', ref: ['KER-1'] }],
  ['"hotfix" is not a closing word', { description: 'Hotfix KER-1', ref: ['KER-1'] }],
  ['"fixed in" names another place, not this PR', { description: 'Fixed in KER-1', ref: ['KER-1'] }],
  ['a list does not continue on the next line', { description: 'Fixes KER-1\nKER-2 is next', move: ['KER-1'], ref: ['KER-2'] }],
  ['a list stops at other words', { description: 'Fixes KER-1 and also KER-2', move: ['KER-1'], ref: ['KER-2'] }],
  ['a list stops at a semicolon', { description: 'Closes KER-1; KER-2 unrelated', move: ['KER-1'], ref: ['KER-2'] }],
  ['Markdown list under "Closes:"', { description: 'Closes:\n- KER-1\n- KER-2\n\nAlso see KER-3', move: ['KER-1', 'KER-2'], ref: ['KER-3'] }],
  ['task list under "Fixes:" after a blank line', { description: 'Fixes:\n\n* [x] KER-1\n* [ ] KER-2', move: ['KER-1', 'KER-2'] }],
  ['numbered list under "Resolves:"', { description: 'Resolves:\n1. KER-1 login\n2. KER-2 logout', move: ['KER-1', 'KER-2'] }],
  ['a list under "Closes:" ends at another heading', { description: 'Closes:\n- KER-1\nNotes:\n- KER-2', move: ['KER-1'], ref: ['KER-2'] }],
  ['bold closing word', { description: '**Fixes** KER-1', move: ['KER-1'] }],
  ['bold closing word with its colon', { description: '**Fixes:** KER-1', move: ['KER-1'] }],
  ['key in inline code', { description: 'Fixes `KER-1`', move: ['KER-1'] }],
  ['Markdown link repeating the key', { description: 'Fixes [KER-1](https://kera.example/browse/KER-1)', move: ['KER-1'] }],
  ['closing word before a ticket URL', { description: 'Fixes https://kera.example/browse/KER-9', move: ['KER-9'] }],
  ['ticket URL after a label', { description: 'Docs: https://kera.example/browse/KER-9', ref: ['KER-9'] }],
  ['"issue" between word and key', { description: 'Resolves issue KER-3', move: ['KER-3'] }],
  ['key as a host name', { description: 'Preview at https://ker-1.preview.kera.example' }],
  ['key in an e-mail address and a handle', { description: 'Mail ker-1@kera.example or ping @ker-2' }],
  ['version and file names', { description: 'Bump to KER-1.5 and see KER-2.md' }],
  ['"skip"', { description: 'skip KER-42', skip: ['KER-42'] }],
  ['"ignore:"', { description: 'ignore: KER-42', skip: ['KER-42'] }],
  ['skip beats the branch name', { branch: 'feature/ker-42-login', description: 'skip KER-42', skip: ['KER-42'] }],
  ['ignore a list, beating a closing title', { title: 'Fix KER-1', description: 'ignore KER-1, KER-2', skip: ['KER-1', 'KER-2'] }],
  ['explicit "part of" beats the branch name', { branch: 'ker-1-part-2', description: 'Part of KER-1', ref: ['KER-1'] }],
  ['closing beats an earlier reference', { description: 'Refs KER-1\n\nFixes KER-1', move: ['KER-1'] }],
  ['closing beats a plain mention in the title', { title: 'KER-1 and KER-2 cleanup', description: 'Fixes KER-2', move: ['KER-1', 'KER-2'] }],
  ['HTML comment of a PR template', { description: '<!-- Write "Fixes KER-123" to close a ticket -->\nAdds caching.' }],
  ['unclosed HTML comment hides the rest', { description: 'Adds caching.\n<!-- Fixes KER-1' }],
  ['typographic quotes, guillemets, full-width brackets, CJK full stop', { description: '«KER-1» “KER-2” （KER-3） KER-4。', ref: ['KER-1', 'KER-2', 'KER-3', 'KER-4'] }],
  ['key inside Chinese text', { description: '修复了KER-1的问题', ref: ['KER-1'] }],
  ['key after an em dash', { description: 'Login—KER-1—done', ref: ['KER-1'] }],
  ['no-break space after a closing word', { description: 'Fixes\u00a0KER-1', move: ['KER-1'] }],
  ['full-width letters are not a key', { description: 'ＫＥＲ-1' }],
  ['look-alike Kelvin sign is not a key', { description: '\u212AER-1' }],
  ['list passes through an unknown project', { description: 'Fixes ABC-1, KER-2', move: ['KER-2'] }],
  ['two words, two projects', { description: 'Fixes KER-1 and refs OPS-3', move: ['KER-1'], ref: ['OPS-3'] }],
  ['project key with a digit', { description: 'A1-5 and KER-1', ref: ['A1-5', 'KER-1'] }],
  ['number of ten digits', { description: 'KER-1234567890' }],
  ['number zero', { description: 'Closes KER-0' }],
  ['hash look-alikes', { description: 'SHA-256: ab12, UTF-8, ISO-8601' }],
  ['closing word in a commit message', { commits: ['Fixes KER-5'], move: ['KER-5'] }],
  ['plain key in a commit message does not link the PR', { commits: ['KER-6 wip'] }],
  ['reference in a commit message does not link the PR', { commits: ['Refs KER-7'] }],
  ['skip in a commit message is not an instruction', { commits: ['skip KER-8'] }],
  ['repeated key across places', { title: 'KER-1 KER-1', description: 'KER-1', commits: ['fix KER-1 again'], move: ['KER-1'] }],
  ['nothing at all', { title: 'Tidy up', description: 'No ticket.' }],
];

describe('planPullRequestLinks', () => {
  it('covers a broad table of real-world cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases)('%s', (_name, input) => {
    const plan = planPullRequestLinks(
      pullRequest({
        ...(input.branch === undefined ? {} : { source_branch: input.branch }),
        ...(input.title === undefined ? {} : { title: input.title }),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.commits === undefined ? {} : { commit_messages: input.commits }),
      }),
      known,
    );

    expect(plan.movable).toEqual(input.move ?? []);
    expect(plan.reference_only).toEqual(input.ref ?? []);
    expect(plan.removed).toEqual(input.skip ?? []);
    expect([...plan.tickets].sort()).toEqual([...(input.move ?? []), ...(input.ref ?? [])].sort());
  });

  it('lists tickets in first-seen order: branch, title, description, commits', () => {
    const plan = planPullRequestLinks(
      pullRequest({
        source_branch: 'ker-1-sync',
        title: 'OPS-2 port the job',
        description: 'Fixes BIL-3\nrefs KER-4. KER-1 again',
        commit_messages: ['closes BIL-5', 'Fixes OPS-2'],
      }),
      known,
    );
    expect(plan.tickets).toEqual(['KER-1', 'OPS-2', 'BIL-3', 'KER-4', 'BIL-5']);
    expect(plan.movable).toEqual(['KER-1', 'OPS-2', 'BIL-3', 'BIL-5']);
    expect(plan.reference_only).toEqual(['KER-4']);
  });

  it('counts tickets closed by earlier pushes of the branch, unless skipped', () => {
    const plan = planPullRequestLinks(pullRequest({ description: 'skip KER-3' }), known, {
      closed_by_commits: ['KER-2', 'ker-3', 'DOCS-1', 'not a key'],
    });
    expect(plan.movable).toEqual(['KER-2']);
    expect(plan.removed).toEqual(['KER-3']);
  });

  it('carries the link view of the pull request', () => {
    const plan = planPullRequestLinks(pullRequest({ title: 'KER-1 login' }), known);
    expect(plan.view).toEqual({
      provider: 'github',
      kind: 'pull_request',
      repository_id: '1',
      repository: 'kera-labs/kera-app',
      number: 5,
      url: 'https://github.com/kera-labs/kera-app/pull/5',
      title: 'KER-1 login',
      state: 'open',
    });
  });

  it('plans a GitHub pull request end to end from its webhook', () => {
    const plan = planLinks(fromGithub('pull_request', github.pullRequestOpened()), known);
    expect(plan).toMatchObject({
      kind: 'pull_request',
      tickets: ['KER-42', 'KER-17'],
      movable: ['KER-42'],
      reference_only: ['KER-17'],
      removed: [],
    });
  });

  it("plans a GitLab merge request end to end, counting its last commit's closing word", () => {
    const plan = planLinks(fromGitlab('Merge Request Hook', gitlab.mergeRequestOpened()), known);
    expect(plan).toMatchObject({
      kind: 'pull_request',
      tickets: ['BIL-3', 'KER-9', 'BIL-7'],
      movable: ['BIL-3', 'BIL-7'],
      reference_only: ['KER-9'],
      view: { kind: 'merge_request', number: 12, state: 'open' },
    });
  });
});

describe('planPushLinks', () => {
  it('links each commit to every key in its message and reports closing words', () => {
    const push = fromGithub('push', github.push()) as GitPushEvent;
    const plan = planPushLinks(push, known);
    expect(plan.branch).toBe('feature/ker-42-passkeys');
    expect(plan.commits).toEqual([
      {
        view: {
          provider: 'github',
          kind: 'commit',
          repository_id: '602184417',
          repository: 'kera-labs/kera-app',
          sha: 'b51e6df7f2a6d50f3901a77e31504cac7daaad59',
          url: 'https://github.com/kera-labs/kera-app/commit/b51e6df7f2a6d50f3901a77e31504cac7daaad59',
          title: 'KER-42 scaffold the passkey ceremony',
          state: 'pushed',
        },
        tickets: ['KER-42'],
        closes: [],
      },
      {
        view: expect.objectContaining({
          sha: '50c133733754fcf0f4a9d57bfbffae29925fcaa4',
          title: 'Store credentials per device',
        }),
        tickets: ['KER-42', 'KER-17'],
        closes: ['KER-42'],
      },
    ]);
    expect(plan.closes).toEqual(['KER-42']);
  });

  it('reads GitLab pushes alike', () => {
    const plan = planLinks(fromGitlab('Push Hook', gitlab.push()), known);
    expect(plan).toMatchObject({
      kind: 'push',
      branch: 'bil-3-vat-rounding',
      commits: [
        { tickets: ['BIL-3'], closes: [] },
        { tickets: ['BIL-7'], closes: ['BIL-7'] },
      ],
      closes: ['BIL-7'],
    });
  });

  it('links nothing for a push whose commits name no known ticket', () => {
    const push = fromGithub('push', github.push()) as GitPushEvent;
    expect(planPushLinks(push, new Set(['OPS']))).toEqual({
      kind: 'push',
      branch: 'feature/ker-42-passkeys',
      commits: [],
      closes: [],
    });
  });
});

describe('planLinks', () => {
  it.each([
    ['a pipeline', fromGithub('workflow_run', github.workflowRunSucceeded())],
    ['a tag', fromGitlab('Tag Push Hook', gitlab.tagPush())],
    ['a ping', fromGithub('ping', github.ping())],
    ['an ignored event', fromGithub('issues', github.issueOpened())],
  ])('links nothing for %s', (_name, event) => {
    expect(planLinks(event, known)).toBeNull();
  });
});
