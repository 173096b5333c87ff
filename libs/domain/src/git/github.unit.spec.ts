import * as github from './fixtures/github';
import { fromGithub } from './github';
import { actorOf } from './model';

const repository = {
  id: '602184417',
  full_name: 'kera-labs/kera-app',
  url: 'https://github.com/kera-labs/kera-app',
};
const mara = { login: 'mara-dev', name: null, email: null };
const jonas = { login: 'jonas-k', name: null, email: null };

describe('fromGithub: pull_request', () => {
  it('maps an opened pull request with branches, body, author and actor', () => {
    expect(fromGithub('pull_request', github.pullRequestOpened())).toEqual({
      kind: 'pull_request',
      provider: 'github',
      action: 'opened',
      repository,
      number: 57,
      url: 'https://github.com/kera-labs/kera-app/pull/57',
      title: 'KER-42: sign in with passkeys',
      description: 'Adds WebAuthn passkeys to the sign-in page.\r\n\r\nFixes KER-42\r\nRefs KER-17',
      source_branch: 'feature/ker-42-passkeys',
      target_branch: 'main',
      state: 'open',
      draft: false,
      from_fork: false,
      head_sha: 'c7dd4b09736dc2b90463381ef722ac2e1e686cdc',
      author: mara,
      actor: mara,
    });
  });

  it('maps closed with merged true to merged, with the merger as actor', () => {
    const event = fromGithub('pull_request', github.pullRequestMerged());
    expect(event).toMatchObject({ action: 'merged', state: 'merged', author: mara, actor: jonas });
    expect(actorOf(event)).toBe('jonas-k');
  });

  it('maps closed without merge to closed', () => {
    expect(fromGithub('pull_request', github.pullRequestClosed())).toMatchObject({
      action: 'closed',
      state: 'closed',
    });
  });

  it.each([
    ['reopened', 'reopened'],
    ['ready_for_review', 'ready_for_review'],
    ['edited', 'updated'],
    ['synchronize', 'updated'],
  ])('maps action %s to %s', (action, expected) => {
    const payload = { ...github.pullRequestOpened(), action };
    expect(fromGithub('pull_request', payload)).toMatchObject({
      kind: 'pull_request',
      action: expected,
    });
  });

  it('marks a draft pull request from a fork, with an empty description for a null body', () => {
    expect(fromGithub('pull_request', github.pullRequestFromFork())).toMatchObject({
      number: 61,
      source_branch: 'main',
      draft: true,
      from_fork: true,
      description: '',
    });
  });

  it('treats a pull request whose fork was deleted as coming from a fork', () => {
    const payload = github.pullRequestClosed();
    const pr = { ...payload.pull_request, head: { ...payload.pull_request.head, repo: null } };
    expect(fromGithub('pull_request', { ...payload, pull_request: pr })).toMatchObject({
      from_fork: true,
    });
  });

  it.each(['labeled', 'assigned', 'review_requested', 'converted_to_draft', 'locked'])(
    'ignores the %s action with a reason',
    (action) => {
      expect(fromGithub('pull_request', { ...github.pullRequestOpened(), action })).toEqual({
        kind: 'ignored',
        provider: 'github',
        event: 'pull_request',
        reason: `action '${action}' is not acted on`,
      });
    },
  );

  it('ignores a pull request whose URL is not http(s), naming the field', () => {
    const payload = github.pullRequestOpened();
    payload.pull_request.html_url = 'javascript:alert(1)';
    expect(fromGithub('pull_request', payload)).toEqual({
      kind: 'ignored',
      provider: 'github',
      event: 'pull_request',
      reason: 'malformed payload: payload.pull_request.html_url is missing or not an http(s) URL',
    });
  });

  it('ignores a pull request with an unknown state', () => {
    const payload = github.pullRequestOpened();
    payload.pull_request.state = 'limbo';
    expect(fromGithub('pull_request', payload)).toMatchObject({
      kind: 'ignored',
      reason: "malformed payload: payload.pull_request.state has the unknown value 'limbo'",
    });
  });
});

describe('fromGithub: push, create and tags', () => {
  it('maps a push with its commits, oldest first, and the pusher by e-mail', () => {
    const event = fromGithub('push', github.push());
    expect(event).toMatchObject({
      kind: 'push',
      provider: 'github',
      repository,
      ref: 'refs/heads/feature/ker-42-passkeys',
      branch: 'feature/ker-42-passkeys',
      before: 'c7dd4b09736dc2b90463381ef722ac2e1e686cdc',
      after: '536175313bb8e33ab93d11554a2444a64b4f21a8',
      created: false,
      deleted: false,
      pusher: { login: 'mara-dev', name: null, email: 'mara@kera.example' },
    });
    expect(event.kind === 'push' && event.commits).toEqual([
      {
        id: 'b51e6df7f2a6d50f3901a77e31504cac7daaad59',
        message: 'KER-42 scaffold the passkey ceremony',
        url: 'https://github.com/kera-labs/kera-app/commit/b51e6df7f2a6d50f3901a77e31504cac7daaad59',
        author_name: 'Mara Lindqvist',
        author_email: 'mara@kera.example',
        timestamp: '2025-03-04T10:01:12+01:00',
      },
      expect.objectContaining({ id: '50c133733754fcf0f4a9d57bfbffae29925fcaa4' }),
      expect.objectContaining({ id: '536175313bb8e33ab93d11554a2444a64b4f21a8' }),
    ]);
    expect(actorOf(event)).toBe('mara@kera.example');
  });

  it('leaves out a commit without an id but keeps the rest of the push', () => {
    const payload = github.push();
    const [first, ...rest] = payload.commits;
    const event = fromGithub('push', { ...payload, commits: [{ ...first, id: 42 }, ...rest] });
    expect(event.kind === 'push' && event.commits.map((commit) => commit.id)).toEqual([
      '50c133733754fcf0f4a9d57bfbffae29925fcaa4',
      '536175313bb8e33ab93d11554a2444a64b4f21a8',
    ]);
  });

  it('maps a deleted branch to a push without an after SHA', () => {
    const payload = {
      ...github.push(),
      after: '0000000000000000000000000000000000000000',
      deleted: true,
      commits: [],
      head_commit: null,
    };
    expect(fromGithub('push', payload)).toMatchObject({
      kind: 'push',
      deleted: true,
      after: null,
      commits: [],
    });
  });

  it('maps a push of a new tag to a created tag with its commit', () => {
    expect(fromGithub('push', github.tagPush())).toEqual({
      kind: 'tag',
      provider: 'github',
      repository,
      action: 'created',
      tag: 'v2.3.0',
      ref: 'refs/tags/v2.3.0',
      sha: 'fb0666b8fe33de95da27c3e1bc593fa990cc50da',
      message: null,
      pusher: { login: 'mara-dev', name: null, email: 'mara@kera.example' },
    });
  });

  it('maps create of a tag to a created tag and ignores create of a branch', () => {
    expect(fromGithub('create', github.tagCreated())).toEqual({
      kind: 'tag',
      provider: 'github',
      repository,
      action: 'created',
      tag: 'v2.3.0',
      ref: 'refs/tags/v2.3.0',
      sha: null,
      message: null,
      pusher: jonas,
    });
    expect(fromGithub('create', github.branchCreated())).toMatchObject({
      kind: 'ignored',
      reason: 'create of a branch is not acted on',
    });
  });

  it('maps delete of a tag to a deleted tag', () => {
    expect(fromGithub('delete', github.tagCreated())).toMatchObject({
      kind: 'tag',
      action: 'deleted',
      tag: 'v2.3.0',
    });
  });
});

describe('fromGithub: pipelines', () => {
  it('maps a successful workflow run on a branch with its pull requests', () => {
    expect(fromGithub('workflow_run', github.workflowRunSucceeded())).toEqual({
      kind: 'pipeline',
      provider: 'github',
      repository,
      source: 'workflow_run',
      id: '8129077455',
      name: 'CI',
      status: 'completed',
      conclusion: 'success',
      provider_status: 'success',
      url: 'https://github.com/kera-labs/kera-app/actions/runs/8129077455',
      ref: 'refs/heads/feature/ker-42-passkeys',
      branch: 'feature/ker-42-passkeys',
      sha: 'cdba38ce32095b0ef64e6fe942e5d88eb0a42706',
      pull_request_numbers: [57],
      actor: mara,
    });
  });

  it('maps a failed run with a null head_branch through its pull request numbers', () => {
    expect(fromGithub('workflow_run', github.workflowRunFailedWithoutBranch())).toMatchObject({
      kind: 'pipeline',
      status: 'completed',
      conclusion: 'failure',
      ref: null,
      branch: null,
      pull_request_numbers: [61],
      actor: { login: 'quinn-oss' },
    });
  });

  it("does not report a fork run's branch as a branch of this repository", () => {
    expect(fromGithub('workflow_run', github.workflowRunFromFork())).toMatchObject({
      status: 'in_progress',
      conclusion: null,
      provider_status: 'in_progress',
      branch: null,
      ref: null,
      pull_request_numbers: [],
    });
  });

  it('maps a timed-out check suite to a failure, linking to the commit checks page', () => {
    expect(fromGithub('check_suite', github.checkSuiteCompleted())).toMatchObject({
      source: 'check_suite',
      id: '20911477101',
      name: 'GitHub Actions',
      status: 'completed',
      conclusion: 'failure',
      provider_status: 'timed_out',
      url: 'https://github.com/kera-labs/kera-app/commit/cdba38ce32095b0ef64e6fe942e5d88eb0a42706/checks',
      branch: 'feature/ker-42-passkeys',
      pull_request_numbers: [57],
    });
  });

  it("maps a queued check run with its suite's branch", () => {
    expect(fromGithub('check_run', github.checkRunCreated())).toMatchObject({
      source: 'check_run',
      name: 'test (20.x)',
      status: 'queued',
      conclusion: null,
      provider_status: 'queued',
      url: 'https://github.com/kera-labs/kera-app/actions/runs/8129077455/job/22730155214',
      branch: 'feature/ker-42-passkeys',
      pull_request_numbers: [57],
    });
  });

  it.each([
    ['startup_failure', 'failure'],
    ['cancelled', 'cancelled'],
    ['skipped', 'skipped'],
    ['stale', 'skipped'],
    ['neutral', 'neutral'],
    ['action_required', 'action_required'],
  ])('maps the %s conclusion to %s', (conclusion, expected) => {
    const payload = github.workflowRunSucceeded();
    const run = { ...payload.workflow_run, conclusion };
    expect(fromGithub('workflow_run', { ...payload, workflow_run: run })).toMatchObject({
      conclusion: expected,
      provider_status: conclusion,
    });
  });

  it('ignores a run with a status it does not know', () => {
    const payload = github.workflowRunSucceeded();
    const run = { ...payload.workflow_run, status: 'teleporting' };
    expect(fromGithub('workflow_run', { ...payload, workflow_run: run })).toMatchObject({
      kind: 'ignored',
      reason: "malformed payload: payload.workflow_run.status has the unknown value 'teleporting'",
    });
  });
});

describe('fromGithub: other events', () => {
  it('maps ping', () => {
    expect(fromGithub('ping', github.ping())).toEqual({ kind: 'ping', provider: 'github' });
  });

  it('ignores events it does not act on, naming them', () => {
    expect(fromGithub('issues', github.issueOpened())).toEqual({
      kind: 'ignored',
      provider: 'github',
      event: 'issues',
      reason: "event 'issues' is not acted on",
    });
  });

  it('reads the event name regardless of case and surrounding spaces', () => {
    expect(fromGithub(' Pull_Request ', github.pullRequestOpened())).toMatchObject({
      kind: 'pull_request',
    });
  });

  it('does not treat inherited object members as event names', () => {
    expect(fromGithub('constructor', {})).toMatchObject({ kind: 'ignored' });
    expect(fromGithub('__proto__', {})).toMatchObject({ kind: 'ignored' });
  });

  it('quotes at most 64 characters of a hostile event name', () => {
    const event = fromGithub('x'.repeat(10_000), {});
    expect(event.kind === 'ignored' && event.event).toBe('x'.repeat(64));
  });
});
