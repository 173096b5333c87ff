import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { EventTypes, createEvent, type Naming, type StreamKey } from '@kera/contracts';
import { openDatabase } from '@kera/persistence';
import {
  destroyEnvironment,
  eventually,
  isolatedEnvironment,
  type IsolatedEnvironment,
  type IsolationOptions,
} from '@kera/testing';
import type { AuditRecord } from './entry/audit-record';
import {
  appendRecords,
  openCheckpoint,
  prepareRecord,
  type PreparedRecord,
} from './projection/audit-writer';

/** A migrated database (and stream names) of one test file, removed by `close`. */
export interface AuditTestDatabase {
  environment: IsolatedEnvironment;
  /** The owner's pool, as the services use it. */
  db: DataSource;
  /** A session of the database owner (a superuser here). */
  client(): Promise<Client>;
  close(): Promise<void>;
}

export async function openAuditTestDatabase(
  options: IsolationOptions = {},
): Promise<AuditTestDatabase> {
  const environment = isolatedEnvironment(options);
  const db = await openDatabase({ url: environment.databaseUrl, poolSize: 4 });
  const clients: Client[] = [];
  return {
    environment,
    db,
    client: async () => {
      const client = new Client({ connectionString: environment.databaseUrl });
      await client.connect();
      clients.push(client);
      return client;
    },
    close: async () => {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await db.destroy();
      await destroyEnvironment(environment);
    },
  };
}

/** A record of stream message `streamSeq`, with fields as given, ready to append. */
export function record(streamSeq: number, overrides: Partial<AuditRecord> = {}): PreparedRecord {
  return prepareRecord({
    stream: 'KERA_T_TICKETS',
    stream_seq: streamSeq,
    event_id: `event-${streamSeq}`,
    type: 'kera.ticket.updated',
    time: '2026-04-24T10:30:00.000Z',
    ticket_id: 'KER-1',
    integration_id: null,
    actor: 'max@example.com',
    correlation_id: `c-${streamSeq}`,
    payload: { ticket_id: 'KER-1', n: streamSeq },
    ...overrides,
  });
}

/** Appends records of their stream 1…n in batches, as the projection would. */
export async function appendInBatches(
  client: Client,
  records: PreparedRecord[],
  batchSize = 500,
): Promise<void> {
  const stream = records[0]?.stream;
  if (!stream) return;
  let after = await openCheckpoint(client, stream);
  for (let start = 0; start < records.length; start += batchSize) {
    const batch = records.slice(start, start + batchSize);
    after = (await appendRecords(client, { stream, after, records: batch })).checkpoint;
  }
}

/** Runs SQL with the append-only triggers off, as a superuser could. */
export async function tamper(client: Client, sql: string, params: unknown[] = []): Promise<void> {
  await client.query('BEGIN');
  await client.query('SET LOCAL session_replication_role = replica');
  await client.query(sql, params);
  await client.query('COMMIT');
}

/** A subject and event type of each stream, for test events. */
export function sampleOf(
  naming: Naming,
  key: StreamKey,
  n: number,
): { subject: string; type: string } {
  switch (key) {
    case 'TICKETS':
      return { subject: naming.ticketEvents(`KER-${(n % 7) + 1}`), type: EventTypes.ticketUpdated };
    case 'WORKFLOWS':
      return { subject: naming.workflowEvents('KER'), type: EventTypes.workflowUpdated };
    case 'INBOUND':
      return {
        subject: naming.inboundAccepted('github', 'int-1'),
        type: EventTypes.inboundReceived,
      };
    case 'DELIVERIES':
      return { subject: naming.deliveryEvents('KER-1'), type: EventTypes.deliverySucceeded };
    case 'INTEGRATIONS':
      return { subject: naming.integrationEvents('int-1'), type: EventTypes.integrationRotated };
  }
}

/**
 * Publishes `count` events into one stream, up to 256 at once, each with its
 * id as message id. Returns the ids in stream order and the last sequence.
 */
export async function publishEvents(
  nc: NatsConnection,
  naming: Naming,
  key: StreamKey,
  count: number,
): Promise<{ ids: string[]; lastSeq: number }> {
  const js = nc.jetstream();
  const published: { id: string; seq: number }[] = [];
  for (let start = 0; start < count; start += 256) {
    const round = Array.from({ length: Math.min(256, count - start) }, (_, i) => {
      const n = start + i;
      const { subject, type } = sampleOf(naming, key, n);
      const event = createEvent({
        type,
        source: 'kera/test',
        subject: subject.split('.').pop() ?? 'x',
        data: { ticket_id: 'KER-1', n, actor: `user-${n % 3}@example.com` },
      });
      return js
        .publish(subject, JSON.stringify(event), { msgID: event.id })
        .then((ack) => published.push({ id: event.id, seq: ack.seq }));
    });
    await Promise.all(round);
  }
  published.sort((a, b) => a.seq - b.seq);
  return { ids: published.map((p) => p.id), lastSeq: published[published.length - 1]?.seq ?? 0 };
}

/** Waits until the stream's checkpoint reaches `seq`. */
export async function projectedThrough(
  db: DataSource,
  stream: string,
  seq: number,
  timeoutMs = 60_000,
): Promise<void> {
  await eventually(
    async () => {
      const rows: { last_seq: string }[] = await db.query(
        'SELECT last_seq FROM audit_checkpoints WHERE stream = $1',
        [stream],
      );
      return Number(rows[0]?.last_seq ?? 0) >= seq ? true : undefined;
    },
    timeoutMs,
    `${stream} projected through ${seq}`,
  );
}

/** The stream sequences of a stream's entries, in trail order. */
export async function streamOrder(db: DataSource, stream: string): Promise<number[]> {
  const rows: { stream_seq: string }[] = await db.query(
    'SELECT stream_seq FROM audit_entries WHERE stream = $1 ORDER BY seq',
    [stream],
  );
  return rows.map((row) => Number(row.stream_seq));
}
