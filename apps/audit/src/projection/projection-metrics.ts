import type { JetStreamManager } from 'nats';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { Naming, StreamKey } from '@kera/contracts';
import { nextOnSubject } from '@kera/jetstream';
import type { AppendResult } from './audit-writer';

/** How far the trail is behind one stream. */
export interface StreamLag {
  stream: string;
  /** Messages in the stream after the checkpoint. */
  messages: number;
  /** Age of the oldest of them; 0 when there is none. */
  seconds: number;
}

export interface LagSources {
  jsm: JetStreamManager;
  naming: Naming;
  db: DataSource;
  streams: readonly StreamKey[];
}

/** Scrapes that come close together share one reading. */
const READING_TTL_MS = 1000;

/**
 * The audit projection's metrics. Lag is read when Prometheus scrapes, from
 * the streams and the checkpoints in Postgres, so every instance reports
 * the trail's lag whoever writes it, and a stuck writer shows as growing
 * lag rather than as a stale number.
 */
export class ProjectionMetrics {
  private readonly entries: Counter;
  private readonly duplicates: Counter;
  private readonly leader: Gauge;

  constructor(registry: Registry, readLag: () => Promise<StreamLag[]>) {
    const reading = memoize(readLag, READING_TTL_MS);
    const lagGauge = (name: string, help: string, pick: (lag: StreamLag) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['stream'],
        registers: [registry],
        async collect() {
          const lags = await reading().catch((): StreamLag[] => []);
          this.reset();
          for (const lag of lags) this.set({ stream: lag.stream }, pick(lag));
        },
      });
    lagGauge(
      'kera_audit_projection_lag_messages',
      'Messages of the stream not in the audit trail yet',
      (lag) => lag.messages,
    );
    lagGauge(
      'kera_audit_projection_lag_seconds',
      'Age of the oldest message of the stream not in the audit trail yet (0 when none)',
      (lag) => lag.seconds,
    );

    this.entries = new Counter({
      name: 'kera_audit_entries_written_total',
      help: 'Audit entries this instance stored',
      labelNames: ['stream'],
      registers: [registry],
    });
    this.duplicates = new Counter({
      name: 'kera_audit_duplicates_skipped_total',
      help: 'Stream messages skipped because their event id was in the trail already',
      labelNames: ['stream'],
      registers: [registry],
    });
    this.leader = new Gauge({
      name: 'kera_audit_projection_leader',
      help: '1 for each stream this instance projects now, 0 for the others',
      labelNames: ['stream'],
      registers: [registry],
    });
  }

  recordWrite(stream: string, result: AppendResult): void {
    this.entries.inc({ stream }, result.written);
    if (result.duplicates > 0) this.duplicates.inc({ stream }, result.duplicates);
  }

  setLeading(stream: string, leading: boolean): void {
    this.leader.set({ stream }, leading ? 1 : 0);
  }
}

/** Reads every stream's lag; a stream that cannot be read is left out. */
export async function readProjectionLag(sources: LagSources): Promise<StreamLag[]> {
  const { jsm, naming, db, streams } = sources;
  const rows: { stream: string; last_seq: string }[] = await db.query(
    'SELECT stream, last_seq FROM audit_checkpoints',
  );
  const checkpoints = new Map(rows.map((row) => [row.stream, Number(row.last_seq)]));

  const lags = await Promise.all(
    streams.map(async (key): Promise<StreamLag | null> => {
      const stream = naming.stream(key);
      try {
        const { state } = await jsm.streams.info(stream);
        const from = Math.max((checkpoints.get(stream) ?? 0) + 1, state.first_seq);
        const messages = Math.max(0, state.last_seq - from + 1);
        if (messages === 0) return { stream, messages, seconds: 0 };

        const subjects = naming.streamSubjects(key)[0] ?? '>';
        const oldest = await nextOnSubject(jsm, stream, subjects, from);
        const seconds = oldest ? Math.max(0, (Date.now() - oldest.time.getTime()) / 1000) : 0;
        return { stream, messages, seconds };
      } catch {
        return null;
      }
    }),
  );
  return lags.filter((lag): lag is StreamLag => lag !== null);
}

function memoize<T>(load: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | null = null;
  return () => {
    if (!cached || Date.now() - cached.at >= ttlMs) cached = { at: Date.now(), value: load() };
    return cached.value;
  };
}
