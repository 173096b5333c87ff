import {
  type CommitLinkView,
  type PullRequestLinkView,
  commitLinkView,
  pullRequestLinkView,
} from './links';
import type { GitEvent, GitPullRequestEvent, GitPushEvent } from './model';
import { type RefIntent, extractTicketRefs, parseTicketKey } from './ticket-refs';

/** What to do with the tickets a pull/merge request names. Ticket ids are in first-seen order. */
export interface PullRequestLinkPlan {
  kind: 'pull_request';
  /** The link to create or update on each ticket in `tickets`. */
  view: PullRequestLinkView;
  /** Tickets to link: `movable` and `reference_only` together. */
  tickets: string[];
  /** Linked tickets that the `git:` automation may move. */
  movable: string[];
  /** Linked tickets that no automated move touches. */
  reference_only: string[];
  /** Tickets that must not be linked (`skip KER-1` / `ignore KER-1`); drop any existing link. */
  removed: string[];
}

/** The tickets one pushed commit names. */
export interface CommitLinkPlan {
  view: CommitLinkView;
  /** Tickets to link to the commit: every key in its message. */
  tickets: string[];
  /** Of those, the ones named after a closing word. */
  closes: string[];
}

/**
 * What a push links. A commit that closes a ticket does not move it; the
 * merge of the PR/MR that contains it does. A caller that remembers `closes`
 * per repository and `branch` passes them to `planPullRequestLinks` as
 * `closed_by_commits` when that branch's PR/MR is planned.
 */
export interface PushLinkPlan {
  kind: 'push';
  branch: string | null;
  /** Only commits that name at least one ticket. */
  commits: CommitLinkPlan[];
  /** Every ticket that some commit of this push closes. */
  closes: string[];
}

export type LinkPlan = PullRequestLinkPlan | PushLinkPlan;

export interface PullRequestPlanOptions {
  /**
   * Ticket keys closed by commits of the source branch that the caller saw
   * earlier (from `PushLinkPlan.closes`); they count as closing words in the
   * PR/MR's commits. Strings that are not a known project's key are ignored.
   */
  closed_by_commits?: readonly string[];
}

/** The links a PR/MR or push makes; null for events that link nothing. */
export function planLinks(
  event: GitEvent,
  knownProjects: ReadonlySet<string>,
  options: PullRequestPlanOptions = {},
): LinkPlan | null {
  switch (event.kind) {
    case 'pull_request':
      return planPullRequestLinks(event, knownProjects, options);
    case 'push':
      return planPushLinks(event, knownProjects);
    default:
      return null;
  }
}

/**
 * Where a key is written and with which intent decides what happens to its
 * ticket. Several occurrences of one ticket combine by strength, strongest
 * first:
 * 1. `removed`: skip/ignore in the description, whatever else says;
 * 2. `closed`: after a closing word in the title, description or commits;
 * 3. `referenced`: after a non-closing word in the title or description; this
 *    beats being named in the branch or title, since the author said in so
 *    many words that the PR/MR does not finish the ticket;
 * 4. `named`: in the branch name, or plainly in the title → movable;
 * 5. `mentioned`: plainly in the description → linked only.
 * skip/ignore anywhere but the description read as plain names. Keys in
 * commits that do not follow a closing word do not link the PR/MR; the push
 * links them to the commit itself.
 */
type Weight = 'removed' | 'closed' | 'referenced' | 'named' | 'mentioned';

const STRENGTH: Record<Weight, number> = {
  mentioned: 0,
  named: 1,
  referenced: 2,
  closed: 3,
  removed: 4,
};

type Place = 'branch' | 'title' | 'description' | 'commit';

function weigh(place: Place, intent: RefIntent): Weight | null {
  if (place === 'branch') return 'named';
  if (intent === 'close') return 'closed';
  if (place === 'commit') return null;
  if (intent === 'reference') return 'referenced';
  if (intent === 'skip' && place === 'description') return 'removed';
  return place === 'title' ? 'named' : 'mentioned';
}

/**
 * Plans the links of a pull/merge request from its source branch, title,
 * description and commit messages, read in that order.
 */
export function planPullRequestLinks(
  event: GitPullRequestEvent,
  knownProjects: ReadonlySet<string>,
  options: PullRequestPlanOptions = {},
): PullRequestLinkPlan {
  const weights = new Map<string, Weight>();
  const record = (ticket: string, weight: Weight | null): void => {
    const current = weights.get(ticket);
    if (weight !== null && (current === undefined || STRENGTH[weight] > STRENGTH[current])) {
      weights.set(ticket, weight);
    }
  };

  const texts: [Place, string][] = [
    ['branch', event.source_branch],
    ['title', event.title],
    ['description', event.description],
    ...(event.commit_messages ?? []).map((message): [Place, string] => ['commit', message]),
  ];
  for (const [place, text] of texts) {
    for (const ref of extractTicketRefs(text, knownProjects)) {
      record(ref.key, weigh(place, ref.intent));
    }
  }
  for (const key of options.closed_by_commits ?? []) {
    const ticket = parseTicketKey(key, knownProjects);
    if (ticket !== null) record(ticket, 'closed');
  }

  return toPlan(event, weights);
}

function toPlan(event: GitPullRequestEvent, weights: Map<string, Weight>): PullRequestLinkPlan {
  const having = (...wanted: Weight[]): string[] =>
    [...weights].filter(([, weight]) => wanted.includes(weight)).map(([ticket]) => ticket);
  return {
    kind: 'pull_request',
    view: pullRequestLinkView(event),
    tickets: having('closed', 'referenced', 'named', 'mentioned'),
    movable: having('closed', 'named'),
    reference_only: having('referenced', 'mentioned'),
    removed: having('removed'),
  };
}

/** Plans the commit links of a push: every key in a commit's message links that commit. */
export function planPushLinks(
  event: GitPushEvent,
  knownProjects: ReadonlySet<string>,
): PushLinkPlan {
  const commits = event.commits.flatMap((commit): CommitLinkPlan[] => {
    const refs = extractTicketRefs(commit.message, knownProjects);
    if (refs.length === 0) return [];
    const closes = refs.filter((ref) => ref.intent === 'close');
    return [
      {
        view: commitLinkView(event, commit),
        tickets: distinct(refs.map((ref) => ref.key)),
        closes: distinct(closes.map((ref) => ref.key)),
      },
    ];
  });
  return {
    kind: 'push',
    branch: event.branch,
    commits,
    closes: distinct(commits.flatMap((commit) => commit.closes)),
  };
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}
