import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import {
  NotFoundError,
  ValidationError,
  isRecord,
  type InboundReceivedData,
  type KeraEvent,
  type TicketLink,
} from '@kera/contracts';
import {
  actorOf,
  extractTicketRefs,
  fromGithub,
  fromGitlab,
  planPullRequestLinks,
  planPushLinks,
  type GitEvent,
  type GitPipelineEvent,
  type GitPullRequestEvent,
  type GitPushEvent,
  type PullRequestLinkPlan,
} from '@kera/domain';
import { LOGGER, MetricsRegistry, type Logger } from '@kera/service';
import { TicketsService } from '../tickets/tickets.service';
import { GitLinksRepository, type RepositoryRef } from './git-links.repository';
import { InboundBodyReader, UnreadableBody } from './inbound-body.reader';
import { parseInboundPayload } from './inbound-payload';
import {
  changeEventId,
  pipelineView,
  toTicketLink,
  triggerOf,
  type EventOrigin,
  type GitTrigger,
} from './ticket-changes';

type GitInbound = InboundReceivedData & { provider: 'github' | 'gitlab' };

/** What the ticket changes caused by one inbound event share. */
interface Inbound {
  event: KeraEvent<GitInbound>;
  /** Projects whose tickets it may change: those with a workflow, or the integration's one. */
  projects: ReadonlySet<string>;
  /** The git user the event names: the actor of its links and moves. */
  actor: string | null;
}

/** Processed deliveries are remembered as long as the INBOUND stream keeps events. */
const PROCESSED_KEPT_MS = 30 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Turns accepted GitHub and GitLab webhooks into ticket changes: links that
 * follow pull/merge requests and commits, pipeline views, and the moves of
 * the workflow's `git:` section. Every change goes through TicketsService,
 * the path of the ticket commands, so moves fire their `send_webhook` actions.
 */
@Injectable()
export class GitAutomationService {
  private readonly appended: Counter<'type'>;
  private prunedAt = 0;

  constructor(
    private readonly tickets: TicketsService,
    private readonly links: GitLinksRepository,
    private readonly bodies: InboundBodyReader,
    metrics: MetricsRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.appended = new Counter({
      name: 'kera_git_automation_events_total',
      help: 'Ticket events appended by git automation, by event type',
      labelNames: ['type'],
      registers: [metrics.registry],
    });
  }

  /**
   * Acts on one `kera.inbound.received` event. A delivery whose effects are
   * all stored is recognised and skipped; one interrupted half-way is
   * processed again, and each change compares with the ticket as it is.
   */
  async handle(event: KeraEvent): Promise<void> {
    if (!isGitInbound(event.data)) return;
    const data = event.data;
    if (await this.links.isProcessed(data.integration_id, data.delivery_id)) return;

    const inbound = event as KeraEvent<GitInbound>;
    const git = await this.gitEvent(inbound);
    if (git !== null) {
      const projects = await this.projectsFor(data);
      await this.apply(git, { event: inbound, projects, actor: actorOf(git) });
    }

    await this.links.markProcessed(data.integration_id, data.delivery_id, event.id);
    await this.pruneNowAndThen();
  }

  /** The git model of the stored body; null when there is nothing to act on. */
  private async gitEvent(inbound: KeraEvent<GitInbound>): Promise<GitEvent | null> {
    const data = inbound.data;
    const context = { event_id: inbound.id, integration: data.integration_id };
    let body: Buffer;
    try {
      body = await this.bodies.read(data);
    } catch (error) {
      if (!(error instanceof UnreadableBody)) throw error;
      this.logger.warn({ ...context, reason: error.message }, 'inbound body not read');
      return null;
    }

    const reading = parseInboundPayload(body, data.content_type);
    if (!reading.ok) {
      this.logger.warn({ ...context, reason: reading.reason }, 'inbound body not parsed');
      return null;
    }
    const map = data.provider === 'github' ? fromGithub : fromGitlab;
    const git = map(data.event, reading.payload);
    if (git.kind === 'ignored') {
      this.logger.debug({ ...context, reason: git.reason }, 'inbound event not acted on');
      return null;
    }
    return git;
  }

  private async apply(git: GitEvent, inbound: Inbound): Promise<void> {
    switch (git.kind) {
      case 'pull_request':
        return this.pullRequest(git, inbound);
      case 'push':
        return this.push(git, inbound);
      case 'pipeline':
        return this.pipeline(git, inbound);
      default:
        return;
    }
  }

  /**
   * Links the PR/MR to the tickets it names and to those it was linked to
   * before (so their links follow it to merged or closed), drops the links
   * that `skip`/`ignore` name, then moves the movable tickets.
   */
  private async pullRequest(pr: GitPullRequestEvent, inbound: Inbound): Promise<void> {
    const repository: RepositoryRef = { provider: pr.provider, repository: pr.repository };
    // A fork's branch name says nothing about this repository's pushes.
    const branch = pr.from_fork ? null : pr.source_branch;
    const closes = branch === null ? [] : await this.links.branchCloses(repository, branch);
    const plan = planPullRequestLinks(pr, inbound.projects, { closed_by_commits: closes });
    const named = await this.inScope(inbound, plan.tickets);
    const link = toTicketLink(plan.view);

    const earlier = await this.links.ticketsOf(repository, null, [pr.number]);
    const stillLinked = earlier
      .map((ref) => ref.ticket_id)
      .filter((id) => !plan.removed.includes(id));
    await this.linkAll(inbound, [...named, ...(await this.inScope(inbound, stillLinked))], link);
    for (const ticket of await this.inScope(inbound, plan.removed)) {
      await this.change(inbound, ticket, `unlinked ${link.key}`, (origin) =>
        this.tickets.unlink(ticket, link.key, inbound.actor, origin),
      );
    }
    await this.rememberPullRequest(repository, pr.number, branch, plan, named);

    const movable = named.filter((ticket) => plan.movable.includes(ticket));
    await this.move(inbound, triggerOf(pr), movable);
    if (pr.action === 'merged' && branch !== null) {
      await this.links.clearBranchCloses(repository, branch);
    }
  }

  /** Adds or updates the link on each ticket, each ticket once. */
  private async linkAll(inbound: Inbound, tickets: string[], link: TicketLink): Promise<void> {
    for (const ticket of new Set(tickets)) {
      await this.change(inbound, ticket, `linked ${link.key}`, (origin) =>
        this.tickets.link(ticket, link, inbound.actor, origin),
      );
    }
  }

  /** Keeps the PR/MR's and its branch's tickets for the pipelines that follow. */
  private async rememberPullRequest(
    repository: RepositoryRef,
    number: number,
    branch: string | null,
    plan: PullRequestLinkPlan,
    named: string[],
  ): Promise<void> {
    const refs = named.map((id) => ({ ticket_id: id, movable: plan.movable.includes(id) }));
    const names: ['pull_request' | 'branch', string][] = [['pull_request', String(number)]];
    if (branch !== null) names.push(['branch', branch]);
    for (const [kind, name] of names) {
      await this.links.recordRef(repository, kind, name, refs);
      if (plan.removed.length > 0) {
        await this.links.forgetRef(repository, kind, name, plan.removed);
      }
    }
  }

  /**
   * Links each commit to the tickets its message names and keeps the
   * tickets its closing words name until the branch's PR/MR is merged.
   */
  private async push(push: GitPushEvent, inbound: Inbound): Promise<void> {
    const plan = planPushLinks(push, inbound.projects);
    for (const commit of plan.commits) {
      await this.linkAll(
        inbound,
        await this.inScope(inbound, commit.tickets),
        toTicketLink(commit.view),
      );
    }

    if (push.branch === null) return;
    const repository: RepositoryRef = { provider: push.provider, repository: push.repository };
    if (push.deleted) {
      await this.links.forgetRef(repository, 'branch', push.branch);
      return;
    }
    await this.links.addBranchCloses(repository, push.branch, plan.closes);
    const inBranchName = extractTicketRefs(push.branch, inbound.projects).map((ref) => ref.key);
    const named = await this.inScope(inbound, inBranchName);
    const refs = named.map((id) => ({ ticket_id: id, movable: true }));
    await this.links.recordRef(repository, 'branch', push.branch, refs);
  }

  /**
   * Shows the run on the tickets of its branch or PR/MR and, when it failed,
   * moves the movable ones. `check_run` events are not acted on: each is one
   * job of a run, and showing it would overwrite the run's own state.
   */
  private async pipeline(run: GitPipelineEvent, inbound: Inbound): Promise<void> {
    if (run.source === 'check_run') return;
    const repository: RepositoryRef = { provider: run.provider, repository: run.repository };
    const refs = await this.links.ticketsOf(repository, run.branch, run.pull_request_numbers);
    const tickets = await this.inScope(
      inbound,
      refs.map((ref) => ref.ticket_id),
    );

    const view = pipelineView(run, inbound.event.data.received_at);
    for (const ticket of tickets) {
      await this.change(inbound, ticket, 'pipeline', (origin) =>
        this.tickets.recordPipeline(ticket, view, origin),
      );
    }
    const movable = refs.filter((ref) => ref.movable).map((ref) => ref.ticket_id);
    await this.move(
      inbound,
      triggerOf(run),
      tickets.filter((ticket) => movable.includes(ticket)),
    );
  }

  private async move(
    inbound: Inbound,
    trigger: GitTrigger | null,
    tickets: readonly string[],
  ): Promise<void> {
    if (trigger === null) return;
    // A transition needs an actor; an event that names nobody is the provider's doing.
    const actor = inbound.actor ?? inbound.event.data.provider;
    for (const ticket of tickets) {
      await this.change(inbound, ticket, trigger, (origin) =>
        this.tickets.moveByAutomation(ticket, trigger, actor, origin),
      );
    }
  }

  /**
   * Applies one change to one ticket. A ticket that is gone or a change the
   * ticket refuses is logged and passed over, so that one ticket cannot hold
   * back the inbound stream; anything else (an outage) is thrown, and the
   * delivery is processed again later.
   */
  private async change(
    inbound: Inbound,
    ticketId: string,
    change: string,
    apply: (origin: EventOrigin) => Promise<KeraEvent | null>,
  ): Promise<void> {
    const { data } = inbound.event;
    const delivery = `${data.integration_id}/${data.delivery_id}`;
    const origin: EventOrigin = {
      id: changeEventId(delivery, ticketId, change),
      correlationId: inbound.event.correlationid,
      causationId: inbound.event.id,
    };
    const context = { ticket: ticketId, integration: data.integration_id, change };
    try {
      const appended = await apply(origin);
      if (appended === null) return;
      this.appended.inc({ type: appended.type });
      this.logger.debug(
        { ...context, event_id: appended.id, type: appended.type },
        'ticket changed',
      );
    } catch (error) {
      if (!(error instanceof NotFoundError || error instanceof ValidationError)) throw error;
      this.logger.warn({ ...context, reason: error.message }, 'git change not applied');
    }
  }

  /** Existing tickets of the projects the event may change, each once, in the order given. */
  private async inScope(inbound: Inbound, ids: readonly string[]): Promise<string[]> {
    const candidates = [...new Set(ids)].filter((id) =>
      inbound.projects.has(id.slice(0, id.lastIndexOf('-'))),
    );
    return this.links.existingTickets(candidates);
  }

  private async projectsFor(data: GitInbound): Promise<Set<string>> {
    const projects = await this.links.projects();
    if (typeof data.project !== 'string') return projects;
    return new Set(projects.has(data.project) ? [data.project] : []);
  }

  private async pruneNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await this.links.pruneProcessed(new Date(now - PROCESSED_KEPT_MS));
  }
}

/** An accepted GitHub or GitLab delivery with the fields automation reads. */
function isGitInbound(data: unknown): data is GitInbound {
  if (!isRecord(data)) return false;
  const texts = ['integration_id', 'delivery_id', 'event', 'content_type', 'received_at'];
  return (
    (data.provider === 'github' || data.provider === 'gitlab') &&
    texts.every((key) => typeof data[key] === 'string')
  );
}
