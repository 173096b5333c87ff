/**
 * Provider-neutral model of the inbound git events that Kera acts on.
 *
 * `fromGithub` and `fromGitlab` turn a verified webhook body into one of these
 * shapes; everything downstream (linking, automation, pipeline views) reads
 * only this model, never a provider's payload.
 */

export type GitProvider = 'github' | 'gitlab';

/** The repository (GitHub) or project (GitLab) an event belongs to. */
export interface GitRepository {
  /** The provider's numeric id as text; it survives renames and transfers, unlike the path. */
  id: string;
  /** `owner/name` on GitHub, `group/subgroup/name` on GitLab. */
  full_name: string;
  /** Web page of the repository. */
  url: string;
}

/**
 * A person as a payload names them. Any part may be missing: GitHub users
 * rarely carry an e-mail, GitLab redacts e-mails in many hooks.
 */
export interface GitUser {
  /** GitHub login or GitLab username. */
  login: string | null;
  /** Display name. */
  name: string | null;
  /** Only a value that looks like an address (`[REDACTED]` or `''` become null). */
  email: string | null;
}

export type PullRequestAction =
  'opened' | 'reopened' | 'ready_for_review' | 'updated' | 'merged' | 'closed';

export type PullRequestState = 'open' | 'merged' | 'closed';

/** A GitHub pull request or a GitLab merge request changed. */
export interface GitPullRequestEvent {
  kind: 'pull_request';
  provider: GitProvider;
  /**
   * What happened: GitHub `edited`/`synchronize` and GitLab `update` are
   * `updated`; a GitLab update that clears the draft flag is `ready_for_review`.
   */
  action: PullRequestAction;
  repository: GitRepository;
  /** GitHub PR number or GitLab MR iid: unique within the repository. */
  number: number;
  url: string;
  title: string;
  /** The PR/MR body; empty when the author left it blank. */
  description: string;
  source_branch: string;
  target_branch: string;
  state: PullRequestState;
  draft: boolean;
  /**
   * True when the source branch lives in another repository (a fork, or a
   * deleted fork). Its name then says nothing about this repository's branches.
   */
  from_fork: boolean;
  /** The newest commit of the source branch, when the payload names it. */
  head_sha: string | null;
  /**
   * Who opened the PR/MR. GitLab hooks carry only the author's id, so it is
   * known there only when the author is the one who triggered the event.
   */
  author: GitUser | null;
  /** Who caused this event (GitHub `sender`, GitLab `user`): the actor of automated moves. */
  actor: GitUser;
  /**
   * Commit messages the payload carries: GitLab's last commit; GitHub sends
   * none. Closing words in commits seen in earlier pushes reach link planning
   * through `closed_by_commits` instead.
   */
  commit_messages?: string[];
}

/** One commit of a push. */
export interface GitCommit {
  /** Full hexadecimal SHA, lower case. */
  id: string;
  message: string;
  url: string;
  author_name: string | null;
  author_email: string | null;
  /** ISO 8601 time as the provider wrote it. */
  timestamp: string | null;
}

/** Commits were pushed to a branch, or a branch was created or deleted. */
export interface GitPushEvent {
  kind: 'push';
  provider: GitProvider;
  repository: GitRepository;
  /** Full ref, e.g. `refs/heads/main`. */
  ref: string;
  /** The branch name when `ref` is under `refs/heads/`, else null. */
  branch: string | null;
  /** SHA before and after the push; null when the branch did not exist before or no longer does. */
  before: string | null;
  after: string | null;
  created: boolean;
  deleted: boolean;
  /**
   * The commits the payload lists, oldest first. Providers truncate long
   * pushes (GitLab to 20 commits), so commits beyond that are not seen here.
   */
  commits: GitCommit[];
  pusher: GitUser;
}

/** A tag was created, moved or deleted. */
export interface GitTagEvent {
  kind: 'tag';
  provider: GitProvider;
  repository: GitRepository;
  action: 'created' | 'updated' | 'deleted';
  /** Tag name without `refs/tags/`. */
  tag: string;
  /** Full ref, `refs/tags/<tag>`. */
  ref: string;
  /** The tagged commit; null when deleted or when the payload does not say (GitHub `create`). */
  sha: string | null;
  /** Annotation of an annotated tag, when the payload carries it. */
  message: string | null;
  pusher: GitUser;
}

/** Normalised progress of a pipeline, workflow run, check suite or check run. */
export type PipelineStatus = 'queued' | 'waiting' | 'in_progress' | 'completed';

/**
 * Normalised outcome, set only once `status` is `completed`. `failure` covers
 * GitHub `failure`, `timed_out` and `startup_failure` and GitLab `failed`.
 */
export type PipelineConclusion =
  'success' | 'failure' | 'cancelled' | 'skipped' | 'neutral' | 'action_required';

/** A CI run changed state. */
export interface GitPipelineEvent {
  kind: 'pipeline';
  provider: GitProvider;
  repository: GitRepository;
  /** Which provider object this came from. */
  source: 'workflow_run' | 'check_suite' | 'check_run' | 'pipeline';
  /** The provider's id of the run, as text. */
  id: string;
  /** Workflow, app or check name when the payload gives one. */
  name: string | null;
  status: PipelineStatus;
  conclusion: PipelineConclusion | null;
  /** The provider's own word (e.g. `timed_out`, `canceled`), for display. */
  provider_status: string;
  url: string;
  /** Full ref the run built (`refs/heads/…`, `refs/tags/…`, `refs/merge-requests/…`), when known. */
  ref: string | null;
  /**
   * Branch of this repository the run built. Null for tags, for merge request
   * pipelines (use `pull_request_numbers`) and for GitHub runs of a fork's
   * branch, whose name may equal an unrelated branch here.
   */
  branch: string | null;
  sha: string | null;
  /** PR numbers / MR iids the run belongs to; GitHub leaves this empty for forks. */
  pull_request_numbers: number[];
  actor: GitUser | null;
}

/** The provider checks that the hook works (GitHub `ping`). */
export interface GitPingEvent {
  kind: 'ping';
  provider: GitProvider;
}

/**
 * An event Kera does not act on, or a payload that lacks what the model
 * needs. It is still accepted and audited; `reason` says why nothing happens.
 */
export interface GitIgnoredEvent {
  kind: 'ignored';
  provider: GitProvider;
  /** The event name as received (trimmed and shortened). */
  event: string;
  reason: string;
}

export type GitEvent =
  | GitPullRequestEvent
  | GitPushEvent
  | GitTagEvent
  | GitPipelineEvent
  | GitPingEvent
  | GitIgnoredEvent;

/**
 * The identity recorded as actor of a move caused by this event: the git
 * user's e-mail when the payload has it, else their login; null when the
 * event names nobody.
 */
export function actorOf(event: GitEvent): string | null {
  const user = actingUser(event);
  return user === null ? null : (user.email ?? user.login);
}

function actingUser(event: GitEvent): GitUser | null {
  switch (event.kind) {
    case 'pull_request':
    case 'pipeline':
      return event.actor;
    case 'push':
    case 'tag':
      return event.pusher;
    case 'ping':
    case 'ignored':
      return null;
  }
}
