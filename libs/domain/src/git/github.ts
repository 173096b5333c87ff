import type {
  GitEvent,
  GitPipelineEvent,
  GitPullRequestEvent,
  GitRepository,
  GitTagEvent,
  GitUser,
  PipelineConclusion,
  PipelineStatus,
  PullRequestAction,
  PullRequestState,
} from './model';
import {
  BRANCH_PREFIX,
  type EventMapper,
  type Field,
  TAG_PREFIX,
  branchOf,
  commitsOf,
  ignored,
  isZeroSha,
  mapEvent,
  numbersOf,
  requireTagOf,
} from './payload';

/**
 * Maps a GitHub webhook (`X-GitHub-Event` name and parsed JSON body) to the
 * git model. Never throws: events Kera does not act on and payloads that lack
 * a needed field come back as `ignored` with the reason.
 */
export function fromGithub(eventName: string, payload: unknown): GitEvent {
  return mapEvent('github', GITHUB_EVENTS, eventName, payload);
}

const PULL_REQUEST_ACTIONS = new Map<string, PullRequestAction>([
  ['opened', 'opened'],
  ['reopened', 'reopened'],
  ['ready_for_review', 'ready_for_review'],
  ['edited', 'updated'],
  ['synchronize', 'updated'],
  ['closed', 'closed'],
]);

const PULL_REQUEST_STATES = new Map<string, PullRequestState>([
  ['open', 'open'],
  ['closed', 'closed'],
]);

const RUN_STATUSES = new Map<string, PipelineStatus>([
  ['requested', 'queued'],
  ['queued', 'queued'],
  ['pending', 'queued'],
  ['waiting', 'waiting'],
  ['in_progress', 'in_progress'],
  ['completed', 'completed'],
]);

const RUN_CONCLUSIONS = new Map<string, PipelineConclusion>([
  ['success', 'success'],
  ['failure', 'failure'],
  ['timed_out', 'failure'],
  ['startup_failure', 'failure'],
  ['cancelled', 'cancelled'],
  ['skipped', 'skipped'],
  // A stale suite was superseded before it finished: it never produced a result.
  ['stale', 'skipped'],
  ['neutral', 'neutral'],
  ['action_required', 'action_required'],
]);

const REF_TYPES = new Map([
  ['tag', 'tag'],
  ['branch', 'branch'],
] as const);

function pullRequest(root: Field): GitEvent {
  const action = root.at('action').text() ?? '';
  const mapped = PULL_REQUEST_ACTIONS.get(action);
  if (mapped === undefined) {
    return ignored('github', 'pull_request', `action '${action.slice(0, 40)}' is not acted on`);
  }

  const pr = root.at('pull_request').requireObject();
  // `merged_at` stands in for `merged` in trimmed payloads that omit the flag.
  const merged = pr.at('merged').bool() ?? pr.at('merged_at').name() !== null;
  const repository = repositoryOf(root);
  return {
    kind: 'pull_request',
    provider: 'github',
    action: mapped === 'closed' && merged ? 'merged' : mapped,
    repository,
    number: pr.at('number').requirePositiveInteger(),
    url: pr.at('html_url').requireUrl(),
    title: pr.at('title').requireText(),
    description: pr.at('body').text() ?? '',
    source_branch: pr.at('head').at('ref').requireName(),
    target_branch: pr.at('base').at('ref').requireName(),
    state: merged ? 'merged' : pr.at('state').requireOneOf(PULL_REQUEST_STATES),
    draft: pr.at('draft').bool() ?? false,
    from_fork: headRepositoryId(pr) !== repository.id,
    head_sha: pr.at('head').at('sha').sha(),
    author: userOf(pr.at('user')),
    actor: userOf(root.at('sender')),
  } satisfies GitPullRequestEvent;
}

/** The head repository's id; null (hence "a fork") when GitHub reports a deleted fork. */
function headRepositoryId(pr: Field): string | null {
  const id = pr.at('head').at('repo').at('id').positiveInteger();
  return id === null ? null : String(id);
}

function push(root: Field): GitEvent {
  const ref = root.at('ref').requireName();
  if (ref.startsWith(TAG_PREFIX)) return tagPush(root);

  return {
    kind: 'push',
    provider: 'github',
    repository: repositoryOf(root),
    ref,
    branch: branchOf(ref),
    before: root.at('before').sha(),
    after: root.at('after').sha(),
    created: root.at('created').bool() ?? isZeroSha(root.at('before')),
    deleted: root.at('deleted').bool() ?? isZeroSha(root.at('after')),
    commits: commitsOf(root.at('commits')),
    pusher: pusherOf(root),
  };
}

/** GitHub reports tag pushes as `push` events on `refs/tags/…`. */
function tagPush(root: Field): GitTagEvent {
  const tag = requireTagOf(root.at('ref'));
  const deleted = root.at('deleted').bool() === true;
  const created = root.at('created').bool() === true;
  return {
    kind: 'tag',
    provider: 'github',
    repository: repositoryOf(root),
    action: deleted ? 'deleted' : created ? 'created' : 'updated',
    tag,
    ref: TAG_PREFIX + tag,
    sha: deleted ? null : root.at('after').sha(),
    message: null,
    pusher: pusherOf(root),
  };
}

/**
 * `create` and `delete` name a tag or a branch. Only tags are mapped: a new
 * branch's commits arrive as a `push`, which is what links them. GitHub sends
 * a new tag both as `create` and as `push` when a hook subscribes to both.
 */
function refChange(event: 'create' | 'delete'): EventMapper {
  return (root) => {
    if (root.at('ref_type').requireOneOf(REF_TYPES) === 'branch') {
      return ignored('github', event, `${event} of a branch is not acted on`);
    }

    const tag = root.at('ref').requireName();
    return {
      kind: 'tag',
      provider: 'github',
      repository: repositoryOf(root),
      action: event === 'create' ? 'created' : 'deleted',
      tag,
      ref: TAG_PREFIX + tag,
      sha: null,
      message: null,
      pusher: userOf(root.at('sender')),
    };
  };
}

/**
 * `workflow_run`. A run of a fork's branch keeps `branch` null: the name
 * belongs to the fork and may equal an unrelated branch here. GitHub then
 * usually leaves `pull_requests` empty as well, so such a run matches nothing.
 */
function workflowRun(root: Field): GitEvent {
  const run = root.at('workflow_run').requireObject();
  const repository = repositoryOf(root);
  const headRepositoryId = run.at('head_repository').at('id').positiveInteger();
  const fromFork = headRepositoryId !== null && String(headRepositoryId) !== repository.id;
  const triggeredBy = run.at('triggering_actor');
  return pipeline(run, {
    repository,
    source: 'workflow_run',
    name: run.at('name').name(),
    url: run.at('html_url').requireUrl(),
    branch: fromFork ? null : run.at('head_branch').name(),
    actor: userOf(triggeredBy.isObject() ? triggeredBy : run.at('actor')),
  });
}

/**
 * `check_suite`. The payload has no web page of its own, so `url` is the
 * commit's checks page. GitHub names no head repository here: a fork's branch
 * that shares a name with a branch of this repository cannot be told apart.
 */
function checkSuite(root: Field): GitEvent {
  const suite = root.at('check_suite').requireObject();
  const repository = repositoryOf(root);
  return pipeline(suite, {
    repository,
    source: 'check_suite',
    name: suite.at('app').at('name').name(),
    url: `${repository.url}/commit/${suite.at('head_sha').requireSha()}/checks`,
    branch: suite.at('head_branch').name(),
    actor: userOf(root.at('sender')),
  });
}

/** `check_run`: one check of a suite; the branch is the suite's. */
function checkRun(root: Field): GitEvent {
  const run = root.at('check_run').requireObject();
  return pipeline(run, {
    repository: repositoryOf(root),
    source: 'check_run',
    name: run.at('name').name(),
    url: run.at('html_url').requireUrl(),
    branch: run.at('check_suite').at('head_branch').name(),
    actor: userOf(root.at('sender')),
  });
}

type PipelineContext = Pick<
  GitPipelineEvent,
  'repository' | 'source' | 'name' | 'url' | 'branch' | 'actor'
>;

/** The fields that workflow runs, check suites and check runs share. */
function pipeline(run: Field, context: PipelineContext): GitPipelineEvent {
  const status = run.at('status').requireOneOf(RUN_STATUSES);
  const conclusion = status === 'completed' ? run.at('conclusion').oneOf(RUN_CONCLUSIONS) : null;
  return {
    kind: 'pipeline',
    provider: 'github',
    ...context,
    id: String(run.at('id').requirePositiveInteger()),
    status,
    conclusion,
    provider_status:
      (conclusion === null ? null : run.at('conclusion').text()) ?? run.at('status').requireText(),
    ref: context.branch === null ? null : BRANCH_PREFIX + context.branch,
    sha: run.at('head_sha').sha(),
    pull_request_numbers: numbersOf(run.at('pull_requests'), 'number'),
  };
}

function repositoryOf(root: Field): GitRepository {
  const repository = root.at('repository').requireObject();
  return {
    id: String(repository.at('id').requirePositiveInteger()),
    full_name: repository.at('full_name').requireName(),
    url: repository.at('html_url').requireUrl(),
  };
}

function userOf(user: Field): GitUser {
  return {
    login: user.at('login').name(),
    name: user.at('name').name(),
    email: user.at('email').email(),
  };
}

/** GitHub's `pusher.name` is the login; `sender` is the fallback. */
function pusherOf(root: Field): GitUser {
  const pusher = root.at('pusher');
  return {
    login: pusher.at('name').name() ?? root.at('sender').at('login').name(),
    name: null,
    email: pusher.at('email').email(),
  };
}

const GITHUB_EVENTS: ReadonlyMap<string, EventMapper> = new Map<string, EventMapper>([
  ['pull_request', pullRequest],
  ['push', push],
  ['create', refChange('create')],
  ['delete', refChange('delete')],
  ['workflow_run', workflowRun],
  ['check_suite', checkSuite],
  ['check_run', checkRun],
  ['ping', () => ({ kind: 'ping', provider: 'github' })],
]);
