import type {
  GitEvent,
  GitPipelineEvent,
  GitPullRequestEvent,
  GitRepository,
  GitUser,
  PipelineConclusion,
  PullRequestAction,
  PullRequestState,
} from './model';
import {
  BRANCH_PREFIX,
  type EventMapper,
  type Field,
  MalformedPayload,
  TAG_PREFIX,
  branchOf,
  commitsOf,
  ignored,
  isZeroSha,
  mapEvent,
  requireTagOf,
} from './payload';

/**
 * Maps a GitLab webhook (`X-Gitlab-Event` name and parsed JSON body) to the
 * git model. Never throws: events Kera does not act on and payloads that lack
 * a needed field come back as `ignored` with the reason.
 */
export function fromGitlab(eventName: string, payload: unknown): GitEvent {
  return mapEvent('gitlab', GITLAB_EVENTS, eventName, payload);
}

const MERGE_REQUEST_STATES = new Map<string, PullRequestState>([
  ['opened', 'open'],
  // Locked: a merge is in progress or discussion is locked; the MR is still open.
  ['locked', 'open'],
  ['merged', 'merged'],
  ['closed', 'closed'],
]);

type Outcome = Pick<GitPipelineEvent, 'status' | 'conclusion'>;

const queued: Outcome = { status: 'queued', conclusion: null };
const running: Outcome = { status: 'in_progress', conclusion: null };
const finished = (conclusion: PipelineConclusion): Outcome => ({ status: 'completed', conclusion });

const PIPELINE_STATUSES = new Map<string, Outcome>([
  ['created', queued],
  ['waiting_for_resource', queued],
  ['waiting_for_callback', queued],
  ['preparing', queued],
  ['pending', queued],
  ['scheduled', queued],
  ['manual', { status: 'waiting', conclusion: null }],
  ['running', running],
  ['canceling', running],
  ['success', finished('success')],
  ['failed', finished('failure')],
  ['canceled', finished('cancelled')],
  ['skipped', finished('skipped')],
]);

/**
 * GitLab's `update` action also covers "marked as ready": it shows as a
 * change of `draft` (or, before GitLab 14, `work_in_progress`) from true to false.
 */
function mergeRequestAction(action: string, changes: Field): PullRequestAction | null {
  switch (action) {
    case 'open':
      return 'opened';
    case 'reopen':
      return 'reopened';
    case 'update':
      return clearedDraft(changes) ? 'ready_for_review' : 'updated';
    case 'merge':
      return 'merged';
    case 'close':
      return 'closed';
    default:
      return null;
  }
}

function clearedDraft(changes: Field): boolean {
  return ['draft', 'work_in_progress'].some((flag) => {
    const change = changes.at(flag);
    return change.at('previous').bool() === true && change.at('current').bool() === false;
  });
}

function mergeRequest(root: Field): GitEvent {
  expectObjectKind(root, 'merge_request');
  const attributes = root.at('object_attributes').requireObject();
  const rawAction = attributes.at('action').text() ?? '';
  const action = mergeRequestAction(rawAction, root.at('changes'));
  if (action === null) {
    const reason = `action '${rawAction.slice(0, 40)}' is not acted on`;
    return ignored('gitlab', 'Merge Request Hook', reason);
  }

  const actor = userOf(root.at('user'));
  const lastCommitMessage = attributes.at('last_commit').at('message').text();
  return {
    kind: 'pull_request',
    provider: 'gitlab',
    action,
    repository: repositoryOf(root),
    number: attributes.at('iid').requirePositiveInteger(),
    url: attributes.at('url').requireUrl(),
    title: attributes.at('title').requireText(),
    description: attributes.at('description').text() ?? '',
    source_branch: attributes.at('source_branch').requireName(),
    target_branch: attributes.at('target_branch').requireName(),
    state: mergeRequestState(action, attributes),
    draft: attributes.at('draft').bool() ?? attributes.at('work_in_progress').bool() ?? false,
    from_fork: fromFork(attributes),
    head_sha: attributes.at('last_commit').at('id').sha(),
    author: sameId(attributes.at('author_id'), root.at('user').at('id')) ? actor : null,
    actor,
    ...(lastCommitMessage === null ? {} : { commit_messages: [lastCommitMessage] }),
  } satisfies GitPullRequestEvent;
}

/** The action is authoritative: some GitLab versions send `state` before it catches up. */
function mergeRequestState(action: PullRequestAction, attributes: Field): PullRequestState {
  if (action === 'merged') return 'merged';
  if (action === 'closed') return 'closed';
  return attributes.at('state').requireOneOf(MERGE_REQUEST_STATES);
}

function fromFork(attributes: Field): boolean {
  const source = attributes.at('source_project_id').positiveInteger();
  const target = attributes.at('target_project_id').positiveInteger();
  return source !== null && target !== null && source !== target;
}

function sameId(a: Field, b: Field): boolean {
  const id = a.positiveInteger();
  return id !== null && id === b.positiveInteger();
}

function push(root: Field): GitEvent {
  expectObjectKind(root, 'push');
  const ref = root.at('ref').requireName();
  return {
    kind: 'push',
    provider: 'gitlab',
    repository: repositoryOf(root),
    ref,
    branch: branchOf(ref),
    before: root.at('before').sha(),
    after: root.at('after').sha(),
    created: isZeroSha(root.at('before')),
    deleted: isZeroSha(root.at('after')),
    commits: commitsOf(root.at('commits')),
    pusher: pusherOf(root),
  };
}

/** `checkout_sha` is the tagged commit; `after` may be the tag object of an annotated tag. */
function tagPush(root: Field): GitEvent {
  expectObjectKind(root, 'tag_push');
  const tag = requireTagOf(root.at('ref'));
  const created = isZeroSha(root.at('before'));
  const deleted = isZeroSha(root.at('after'));
  return {
    kind: 'tag',
    provider: 'gitlab',
    repository: repositoryOf(root),
    action: deleted ? 'deleted' : created ? 'created' : 'updated',
    tag,
    ref: TAG_PREFIX + tag,
    sha: deleted ? null : (root.at('checkout_sha').sha() ?? root.at('after').sha()),
    message: root.at('message').name(),
    pusher: pusherOf(root),
  };
}

/**
 * GitLab writes the bare branch or tag name in `ref` (a merge request
 * pipeline writes `refs/merge-requests/<iid>/head`); the model always holds a
 * full ref. `url` is missing before GitLab 15, hence the pipelines-page fallback.
 */
function pipeline(root: Field): GitEvent {
  expectObjectKind(root, 'pipeline');
  const attributes = root.at('object_attributes').requireObject();
  const repository = repositoryOf(root);
  const id = attributes.at('id').requirePositiveInteger();
  const ref = fullRef(attributes.at('ref').requireName(), attributes.at('tag').bool() === true);
  const mergeRequestIid = root.at('merge_request').at('iid').positiveInteger();
  const user = root.at('user');
  return {
    kind: 'pipeline',
    provider: 'gitlab',
    repository,
    source: 'pipeline',
    id: String(id),
    name: attributes.at('name').name(),
    ...attributes.at('status').requireOneOf(PIPELINE_STATUSES),
    provider_status: attributes.at('status').requireText(),
    url: attributes.at('url').url() ?? `${repository.url}/-/pipelines/${id}`,
    ref,
    branch: branchOf(ref),
    sha: attributes.at('sha').sha(),
    pull_request_numbers: mergeRequestIid === null ? [] : [mergeRequestIid],
    actor: user.isObject() ? userOf(user) : null,
  };
}

function fullRef(ref: string, isTag: boolean): string {
  if (ref.startsWith('refs/')) return ref;
  return (isTag ? TAG_PREFIX : BRANCH_PREFIX) + ref;
}

/**
 * The body's `object_kind` must agree with the `X-Gitlab-Event` header; a
 * mismatch means the body is not what the header says.
 */
function expectObjectKind(root: Field, expected: string): void {
  const kind = root.at('object_kind').text();
  if (kind !== null && kind !== expected) {
    throw new MalformedPayload(`payload.object_kind is '${kind.slice(0, 40)}', not '${expected}'`);
  }
}

function repositoryOf(root: Field): GitRepository {
  const project = root.at('project').requireObject();
  return {
    id: String(project.at('id').requirePositiveInteger()),
    full_name: project.at('path_with_namespace').requireName(),
    url: project.at('web_url').requireUrl(),
  };
}

function userOf(user: Field): GitUser {
  return {
    login: user.at('username').name(),
    name: user.at('name').name(),
    email: user.at('email').email(),
  };
}

/** Push and tag push hooks name the pusher in flat `user_*` fields. */
function pusherOf(root: Field): GitUser {
  return {
    login: root.at('user_username').name(),
    name: root.at('user_name').name(),
    email: root.at('user_email').email(),
  };
}

const GITLAB_EVENTS: ReadonlyMap<string, EventMapper> = new Map<string, EventMapper>([
  ['merge request hook', mergeRequest],
  ['push hook', push],
  ['tag push hook', tagPush],
  ['pipeline hook', pipeline],
]);
