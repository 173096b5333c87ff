import { createHash } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { STREAMS, type Naming, type StreamKey } from '@kera/contracts';
import type { Logger } from '@kera/config';
import type { ProjectionMetrics } from './projection-metrics';
import type { HeadMemory } from './audit-writer';
import { StreamProjector, type ProjectorLimits } from './stream-projector';
import { WriterSession } from './writer-session';

export interface AuditProjectionOptions {
  nc: NatsConnection;
  naming: Naming;
  databaseUrl: string;
  /** This process's name in logs and in Postgres' `application_name`. */
  instanceId: string;
  logger: Logger;
  metrics?: ProjectionMetrics;
  /** Streams to project (default: all). */
  streams?: readonly StreamKey[];
  /** How often leases are balanced and stalled readers looked at (default 1 s). */
  intervalMs?: number;
  limits?: Partial<ProjectorLimits>;
}

const MiB = 1024 * 1024;
const DEFAULT_LIMITS: ProjectorLimits = {
  batchMessages: 500,
  batchBytes: 4 * MiB,
  readAheadBytes: 8 * MiB,
  // At most this much is added to the live lag (the bar is a p99 under 1 s).
  lingerMs: 50,
};
/** A reader that has seen nothing this long while its stream has more is restarted. */
const STALL_MS = 15_000;

/**
 * The audit projection of one instance. Each stream has exactly one writer
 * among all running instances: the one holding its lease, a session
 * advisory lock in Postgres. Instances count each other and each takes its
 * fair share of the streams (a newcomer gets streams handed over, a dead
 * instance's streams are taken over by the others), so the work is shared
 * and never done twice.
 */
export class AuditProjection {
  private readonly session: WriterSession;
  private readonly projectors = new Map<StreamKey, StreamProjector>();
  private readonly leases = new Set<StreamKey>();
  /** Forgotten with the session: another instance may write while this one reconnects. */
  private readonly memory: HeadMemory = { head: null };
  private readonly preference: StreamKey[];
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;

  constructor(private readonly options: AuditProjectionOptions) {
    this.session = new WriterSession({
      url: options.databaseUrl,
      name: `kera-audit-writer-${options.instanceId}`.slice(0, 63),
    });
    // Each instance prefers the streams in its own order, so that instances
    // starting together reach for different streams first.
    this.preference = [...(options.streams ?? STREAMS)].sort(
      (a, b) => rank(options.instanceId, a) - rank(options.instanceId, b),
    );
  }

  /** The streams this instance writes now. */
  leading(): StreamKey[] {
    return [...this.leases];
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Stops every reader, lets running writes finish and gives the leases back. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.balance();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'audit: lost the writer session; reconnecting');
        await this.dropLeases();
      }
      await this.pause();
    }
    await this.dropLeases();
  }

  /** One round: session up, failed readers restarted, stalled ones too, fair share taken. */
  private async balance(): Promise<void> {
    if (!this.session.open) {
      await this.dropLeases();
      await this.session.connect();
    }
    for (const key of this.leases) await this.keepRunning(key);

    const members = await this.session.members();
    const share = Math.ceil(this.preference.length / Math.max(1, members));
    if (this.leases.size > share) await this.handOver();
    for (const key of this.preference) {
      if (this.leases.size >= share || this.stopping) break;
      if (!this.leases.has(key) && (await this.session.tryLease(leaseKey(key)))) this.lead(key);
    }
  }

  private lead(key: StreamKey): void {
    this.leases.add(key);
    this.projector(key).start();
    this.options.metrics?.setLeading(this.options.naming.stream(key), true);
    this.options.logger.info({ stream: this.options.naming.stream(key) }, 'audit: writing stream');
  }

  /** Gives one stream to another instance (one per round, so leases settle without a stampede). */
  private async handOver(): Promise<void> {
    const key = [...this.preference].reverse().find((candidate) => this.leases.has(candidate));
    if (!key) return;
    await this.projector(key).stop();
    await this.session.releaseLease(leaseKey(key));
    this.leases.delete(key);
    this.options.metrics?.setLeading(this.options.naming.stream(key), false);
    this.options.logger.info({ stream: this.options.naming.stream(key) }, 'audit: handed over');
  }

  private async keepRunning(key: StreamKey): Promise<void> {
    const projector = this.projector(key);
    if (projector.due) projector.start();
    else if (projector.running && (await this.stalled(projector))) {
      this.options.logger.warn({ stream: projector.stream }, 'audit: stream reader stalled');
      await projector.stop();
      projector.start();
    }
  }

  /** Idle for a while although the stream has messages after the checkpoint. */
  private async stalled(projector: StreamProjector): Promise<boolean> {
    if (projector.idleMs < STALL_MS) return false;
    const jsm = await this.options.nc.jetstreamManager({ checkAPI: false });
    const { state } = await jsm.streams.info(projector.stream);
    return state.last_seq > projector.position;
  }

  /** Stops every reader and ends the session, which releases the leases. */
  private async dropLeases(): Promise<void> {
    await Promise.all([...this.projectors.values()].map((projector) => projector.stop()));
    for (const key of this.leases) {
      this.options.metrics?.setLeading(this.options.naming.stream(key), false);
    }
    this.leases.clear();
    this.memory.head = null;
    await this.session.close();
  }

  private projector(key: StreamKey): StreamProjector {
    let projector = this.projectors.get(key);
    if (!projector) {
      const { nc, naming, logger, metrics } = this.options;
      projector = new StreamProjector({
        stream: naming.stream(key),
        nc,
        session: this.session,
        memory: this.memory,
        logger,
        limits: this.limits(),
        onWrite: (stream, result) => metrics?.recordWrite(stream, result),
      });
      this.projectors.set(key, projector);
    }
    return projector;
  }

  private limits(): ProjectorLimits {
    const limits = { ...DEFAULT_LIMITS, ...this.options.limits };
    // A pull request must fit whole messages: read ahead at least two of the largest.
    const maxPayload = this.options.nc.info?.max_payload ?? MiB;
    return { ...limits, readAheadBytes: Math.max(limits.readAheadBytes, 2 * maxPayload) };
  }

  private pause(): Promise<void> {
    const base = this.options.intervalMs ?? 1000;
    const ms = base * (0.75 + Math.random() / 2);
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** The second key of a stream's lease (the first is the audit's lock class). */
function leaseKey(key: StreamKey): number {
  return STREAMS.indexOf(key) + 1;
}

function rank(instanceId: string, key: StreamKey): number {
  return createHash('sha1').update(`${instanceId}/${key}`).digest().readUInt32BE(0);
}
