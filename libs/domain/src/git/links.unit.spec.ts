import * as github from './fixtures/github';
import * as gitlab from './fixtures/gitlab';
import { fromGithub } from './github';
import { fromGitlab } from './gitlab';
import { commitLinkView, linkKey, pullRequestLinkView } from './links';
import type { GitPullRequestEvent, GitPushEvent } from './model';

const githubPullRequest = (payload: unknown) =>
  fromGithub('pull_request', payload) as GitPullRequestEvent;

describe('link views and keys', () => {
  it('gives every event about one pull request the same key, with its latest state', () => {
    const opened = pullRequestLinkView(githubPullRequest(github.pullRequestOpened()));
    const merged = pullRequestLinkView(githubPullRequest(github.pullRequestMerged()));
    expect(linkKey(opened)).toBe('github:pull_request:602184417#57');
    expect(linkKey(merged)).toBe(linkKey(opened));
    expect([opened.state, merged.state]).toEqual(['open', 'merged']);
  });

  it('keeps pull request #57 of two repositories apart', () => {
    const payload = github.pullRequestOpened();
    const other = { ...payload, repository: { ...payload.repository, id: 602184418 } };
    expect(linkKey(pullRequestLinkView(githubPullRequest(other)))).not.toBe(
      linkKey(pullRequestLinkView(githubPullRequest(payload))),
    );
  });

  it('keeps the key when the repository is renamed', () => {
    const payload = github.pullRequestMerged();
    const renamed = {
      ...payload,
      repository: {
        ...payload.repository,
        full_name: 'kera-labs/kera-web',
        html_url: 'https://github.com/kera-labs/kera-web',
      },
    };
    const view = pullRequestLinkView(githubPullRequest(renamed));
    expect(view.repository).toBe('kera-labs/kera-web');
    expect(linkKey(view)).toBe('github:pull_request:602184417#57');
  });

  it('names GitLab links merge requests', () => {
    const event = fromGitlab('Merge Request Hook', gitlab.mergeRequestMerged());
    const view = pullRequestLinkView(event as GitPullRequestEvent);
    expect(view).toEqual({
      provider: 'gitlab',
      kind: 'merge_request',
      repository_id: '4815',
      repository: 'platform/billing-service',
      number: 12,
      url: 'https://gitlab.kera.example/platform/billing-service/-/merge_requests/12',
      title: 'Fix VAT rounding for multi-line invoices',
      state: 'merged',
    });
    expect(linkKey(view)).toBe('gitlab:merge_request:4815#12');
  });

  it("keys a commit by repository and SHA and titles it with the message's first line", () => {
    const push = fromGitlab('Push Hook', gitlab.push()) as GitPushEvent;
    const commit = push.commits[1];
    if (commit === undefined) throw new Error('fixture lost its second commit');
    const view = commitLinkView(push, commit);
    expect(view).toMatchObject({
      kind: 'commit',
      title: 'Round VAT per line, not per invoice',
      state: 'pushed',
    });
    expect(linkKey(view)).toBe('gitlab:commit:4815@aaa7eb0c78f0b11b46bc7c5d102b06a294232d57');
  });
});
