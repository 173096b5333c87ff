import * as gitlab from './fixtures/gitlab';
import { fromGitlab } from './gitlab';
import { actorOf } from './model';

const repository = {
  id: '4815',
  full_name: 'platform/billing-service',
  url: 'https://gitlab.kera.example/platform/billing-service',
};
const priya = { login: 'praman', name: 'Priya Raman', email: 'priya.raman@kera.example' };
const tomas = { login: 'tortega', name: 'Tomás Ortega', email: null };

describe('fromGitlab: Merge Request Hook', () => {
  it('maps an opened merge request, with the last commit message', () => {
    expect(fromGitlab('Merge Request Hook', gitlab.mergeRequestOpened())).toEqual({
      kind: 'pull_request',
      provider: 'gitlab',
      action: 'opened',
      repository,
      number: 12,
      url: 'https://gitlab.kera.example/platform/billing-service/-/merge_requests/12',
      title: 'Fix VAT rounding for multi-line invoices',
      description:
        'Invoices with many lines were off by a cent.\n\n- Resolves BIL-3\n- Related to [KER-9](https://kera.example/browse/KER-9)',
      source_branch: 'bil-3-vat-rounding',
      target_branch: 'main',
      state: 'open',
      draft: false,
      from_fork: false,
      head_sha: 'aaa7eb0c78f0b11b46bc7c5d102b06a294232d57',
      author: priya,
      actor: priya,
      commit_messages: ['Round VAT per line, not per invoice\n\nCloses BIL-7\n'],
    });
  });

  it('infers ready_for_review from an update that clears the draft flag', () => {
    expect(fromGitlab('Merge Request Hook', gitlab.mergeRequestMarkedReady())).toMatchObject({
      action: 'ready_for_review',
      state: 'open',
    });
  });

  it('infers ready_for_review from the pre-14 work_in_progress flag too', () => {
    const payload = {
      ...gitlab.mergeRequestMarkedReady(),
      changes: { work_in_progress: { previous: true, current: false } },
    };
    expect(fromGitlab('Merge Request Hook', payload)).toMatchObject({ action: 'ready_for_review' });
  });

  it('maps an update that leaves the draft flag alone to updated', () => {
    const payload = {
      ...gitlab.mergeRequestMarkedReady(),
      changes: { title: { previous: 'Old', current: 'New' } },
    };
    expect(fromGitlab('Merge Request Hook', payload)).toMatchObject({ action: 'updated' });
  });

  it('maps merge to merged with the merger as actor, whose redacted e-mail is dropped', () => {
    const event = fromGitlab('Merge Request Hook', gitlab.mergeRequestMerged());
    expect(event).toMatchObject({ action: 'merged', state: 'merged', actor: tomas, author: null });
    expect(actorOf(event)).toBe('tortega');
  });

  it('maps close to closed and reopen to reopened', () => {
    expect(fromGitlab('Merge Request Hook', gitlab.mergeRequestClosed())).toMatchObject({
      action: 'closed',
      state: 'closed',
    });
    const reopened = gitlab.mergeRequestOpened();
    reopened.object_attributes.action = 'reopen';
    expect(fromGitlab('Merge Request Hook', reopened)).toMatchObject({ action: 'reopened' });
  });

  it('ignores approvals, which change no link', () => {
    expect(fromGitlab('Merge Request Hook', gitlab.mergeRequestApproved())).toEqual({
      kind: 'ignored',
      provider: 'gitlab',
      event: 'Merge Request Hook',
      reason: "action 'approved' is not acted on",
    });
  });

  it('flags a merge request from another project as from a fork', () => {
    const payload = gitlab.mergeRequestOpened();
    payload.object_attributes.source_project_id = 5120;
    expect(fromGitlab('Merge Request Hook', payload)).toMatchObject({ from_fork: true });
  });

  it('ignores a body whose object_kind contradicts the event header', () => {
    expect(fromGitlab('Merge Request Hook', gitlab.push())).toMatchObject({
      kind: 'ignored',
      reason: "malformed payload: payload.object_kind is 'push', not 'merge_request'",
    });
  });
});

describe('fromGitlab: Push Hook and Tag Push Hook', () => {
  it('maps a push with its commits and the pusher by username when the e-mail is blank', () => {
    const event = fromGitlab('Push Hook', gitlab.push());
    expect(event).toMatchObject({
      kind: 'push',
      provider: 'gitlab',
      repository,
      ref: 'refs/heads/bil-3-vat-rounding',
      branch: 'bil-3-vat-rounding',
      before: '208e6e763b57f26ae4133e7772855bc6de497f2a',
      after: 'aaa7eb0c78f0b11b46bc7c5d102b06a294232d57',
      created: false,
      deleted: false,
      pusher: { login: 'praman', name: 'Priya Raman', email: null },
    });
    expect(event.kind === 'push' && event.commits).toEqual([
      {
        id: '6e4dab087203b0e83a1ecd0ae82100597d4e8038',
        message: 'bil-3: failing spec for rounding',
        url: 'https://gitlab.kera.example/platform/billing-service/-/commit/6e4dab087203b0e83a1ecd0ae82100597d4e8038',
        author_name: 'Priya Raman',
        author_email: 'priya.raman@kera.example',
        timestamp: '2025-02-18T11:02:51+01:00',
      },
      expect.objectContaining({ id: 'aaa7eb0c78f0b11b46bc7c5d102b06a294232d57' }),
    ]);
    expect(actorOf(event)).toBe('praman');
  });

  it('prefers the pusher e-mail as actor when GitLab sends it', () => {
    const payload = { ...gitlab.push(), user_email: 'priya.raman@kera.example' };
    expect(actorOf(fromGitlab('Push Hook', payload))).toBe('priya.raman@kera.example');
  });

  it('maps a push that creates a branch and one that deletes it', () => {
    const zero = '0000000000000000000000000000000000000000';
    expect(fromGitlab('Push Hook', { ...gitlab.push(), before: zero })).toMatchObject({
      created: true,
      before: null,
    });
    const deleted = { ...gitlab.push(), after: zero, checkout_sha: null, commits: [] };
    expect(fromGitlab('Push Hook', deleted)).toMatchObject({ deleted: true, after: null });
  });

  it('maps a new annotated tag to the tagged commit and its message', () => {
    expect(fromGitlab('Tag Push Hook', gitlab.tagPush())).toEqual({
      kind: 'tag',
      provider: 'gitlab',
      repository,
      action: 'created',
      tag: 'v1.4.0',
      ref: 'refs/tags/v1.4.0',
      sha: 'c2bded5da4e49da13fde41b45e619c63a5e42405',
      message: 'Release 1.4.0',
      pusher: { login: 'tortega', name: 'Tomás Ortega', email: null },
    });
  });

  it('maps a deleted tag without a SHA', () => {
    const payload = {
      ...gitlab.tagPush(),
      before: '642cd3ba9d8d37cf9b867366c4e4e8441858a418',
      after: '0000000000000000000000000000000000000000',
      checkout_sha: null,
      message: null,
    };
    expect(fromGitlab('Tag Push Hook', payload)).toMatchObject({
      action: 'deleted',
      sha: null,
      message: null,
    });
  });

  it('ignores a tag push whose ref is not a tag', () => {
    const payload = { ...gitlab.tagPush(), ref: 'refs/heads/main' };
    expect(fromGitlab('Tag Push Hook', payload)).toMatchObject({
      kind: 'ignored',
      reason: 'malformed payload: payload.ref is not a tag ref',
    });
  });
});

describe('fromGitlab: Pipeline Hook', () => {
  it('maps a failed merge request pipeline with its branch and MR iid', () => {
    expect(fromGitlab('Pipeline Hook', gitlab.pipelineFailed())).toEqual({
      kind: 'pipeline',
      provider: 'gitlab',
      repository,
      source: 'pipeline',
      id: '771203',
      name: null,
      status: 'completed',
      conclusion: 'failure',
      provider_status: 'failed',
      url: 'https://gitlab.kera.example/platform/billing-service/-/pipelines/771203',
      ref: 'refs/heads/bil-3-vat-rounding',
      branch: 'bil-3-vat-rounding',
      sha: 'aaa7eb0c78f0b11b46bc7c5d102b06a294232d57',
      pull_request_numbers: [12],
      actor: priya,
    });
  });

  it('maps a successful branch pipeline and builds its URL when GitLab omits it', () => {
    expect(fromGitlab('Pipeline Hook', gitlab.pipelineSucceeded())).toMatchObject({
      id: '771260',
      name: 'Default branch',
      status: 'completed',
      conclusion: 'success',
      url: 'https://gitlab.kera.example/platform/billing-service/-/pipelines/771260',
      ref: 'refs/heads/main',
      branch: 'main',
      pull_request_numbers: [],
      actor: tomas,
    });
  });

  it('maps a running tag pipeline to a tag ref without a branch', () => {
    expect(fromGitlab('Pipeline Hook', gitlab.tagPipelineRunning())).toMatchObject({
      status: 'in_progress',
      conclusion: null,
      ref: 'refs/tags/v1.4.0',
      branch: null,
    });
  });

  it('keeps a merge request ref as written, without a branch', () => {
    const payload = gitlab.pipelineFailed();
    payload.object_attributes.ref = 'refs/merge-requests/12/head';
    expect(fromGitlab('Pipeline Hook', payload)).toMatchObject({
      ref: 'refs/merge-requests/12/head',
      branch: null,
      pull_request_numbers: [12],
    });
  });

  it.each([
    ['created', 'queued', null],
    ['pending', 'queued', null],
    ['manual', 'waiting', null],
    ['running', 'in_progress', null],
    ['canceled', 'completed', 'cancelled'],
    ['skipped', 'completed', 'skipped'],
  ])('maps status %s to %s/%s', (status, expectedStatus, conclusion) => {
    const payload = gitlab.pipelineFailed();
    payload.object_attributes.status = status;
    expect(fromGitlab('Pipeline Hook', payload)).toMatchObject({
      status: expectedStatus,
      conclusion,
      provider_status: status,
    });
  });
});

describe('fromGitlab: other events', () => {
  it('ignores hooks it does not act on', () => {
    expect(fromGitlab('Issue Hook', gitlab.issueHook())).toEqual({
      kind: 'ignored',
      provider: 'gitlab',
      event: 'Issue Hook',
      reason: "event 'Issue Hook' is not acted on",
    });
  });

  it('ignores a system hook even when its body looks like a push', () => {
    expect(fromGitlab('System Hook', gitlab.push())).toMatchObject({ kind: 'ignored' });
  });
});
