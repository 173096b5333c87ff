import type {
  GitCommit,
  GitProvider,
  GitPullRequestEvent,
  GitPushEvent,
  PullRequestState,
} from './model';

interface LinkViewBase {
  provider: GitProvider;
  /** The repository's provider id (stable across renames); part of the link key. */
  repository_id: string;
  /** The repository's path, for display. */
  repository: string;
  url: string;
  title: string;
}

/** A ticket's link to a pull request (GitHub) or merge request (GitLab). */
export interface PullRequestLinkView extends LinkViewBase {
  kind: 'pull_request' | 'merge_request';
  number: number;
  state: PullRequestState;
}

/** A ticket's link to a pushed commit. */
export interface CommitLinkView extends LinkViewBase {
  kind: 'commit';
  sha: string;
  state: 'pushed';
}

/** What a ticket shows for one linked PR, MR or commit (SPEC section 6). */
export type LinkView = PullRequestLinkView | CommitLinkView;

/**
 * The identity of a link, equal for every event about the same PR, MR or
 * commit so that a later event updates the link instead of adding one:
 * `github:pull_request:<repository id>#<number>`,
 * `gitlab:merge_request:<project id>#<iid>`,
 * `<provider>:commit:<repository id>@<sha>`.
 * The repository id keeps PR #5 of two repositories apart and survives renames.
 */
export function linkKey(view: LinkView): string {
  const subject = view.kind === 'commit' ? `@${view.sha}` : `#${view.number}`;
  return `${view.provider}:${view.kind}:${view.repository_id}${subject}`;
}

export function pullRequestLinkView(event: GitPullRequestEvent): PullRequestLinkView {
  return {
    provider: event.provider,
    kind: event.provider === 'gitlab' ? 'merge_request' : 'pull_request',
    repository_id: event.repository.id,
    repository: event.repository.full_name,
    number: event.number,
    url: event.url,
    title: event.title,
    state: event.state,
  };
}

/** A commit's title is the first line of its message, as git itself shows it. */
export function commitLinkView(push: GitPushEvent, commit: GitCommit): CommitLinkView {
  return {
    provider: push.provider,
    kind: 'commit',
    repository_id: push.repository.id,
    repository: push.repository.full_name,
    sha: commit.id,
    url: commit.url,
    title: (commit.message.split('\n', 1)[0] ?? '').trim(),
    state: 'pushed',
  };
}
