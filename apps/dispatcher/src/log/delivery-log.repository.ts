import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  EventTypes,
  isRecord,
  type DeliveryAttemptView,
  type DeliveryOutcomeData,
  type DeliveryPage,
  type KeraEvent,
} from '@kera/contracts';
import { encodeCursor, type DeliveryLogQuery } from './delivery-log-query';

/** What a redelivery needs of a delivery: its latest recorded attempt. */
export interface RecordedDelivery {
  delivery_id: string;
  ticket_id: string;
  event_id: string;
  action_index: number;
  url: string;
  /** Null for attempts recorded before stream sequences were kept. */
  event_seq: number | null;
}

const COLUMNS = [
  'outcome_event_id',
  'delivery_id',
  'attempt',
  'event_id',
  'ticket_id',
  'action_index',
  'url',
  'status',
  'status_code',
  'duration_ms',
  'error_class',
  'error_message',
  'response_excerpt',
  'redelivery',
  'attempted_at',
  'event_seq',
  'request_id',
] as const;

/**
 * The delivery log: one row per attempt, projected from the outcome events of the DELIVERIES
 * stream (so it can be rebuilt from them), and the reads the API answers from it.
 */
@Injectable()
export class DeliveryLogRepository {
  constructor(private readonly db: DataSource) {}

  /** Stores outcome events as rows; an event stored before is skipped. Returns rows added. */
  async record(events: KeraEvent[]): Promise<number> {
    const rows = events.filter(isOutcome).map(toRow);
    if (rows.length === 0) return 0;

    const params = rows.flat();
    const tuples = rows.map((_, row) => {
      const place = COLUMNS.map((__, column) => `$${row * COLUMNS.length + column + 1}`);
      return `(${place.join(', ')})`;
    });
    const inserted: unknown[] = await this.db.query(
      `INSERT INTO deliveries (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
       ON CONFLICT (outcome_event_id) DO NOTHING RETURNING id`,
      params,
    );
    return inserted.length;
  }

  /** A page of attempts, newest first. */
  async page(query: DeliveryLogQuery): Promise<DeliveryPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(`${clause} $${params.length}`);
    };
    if (query.ticket) add('ticket_id =', query.ticket);
    if (query.status) add('status =', query.status);
    if (query.delivery) add('delivery_id =', query.delivery);
    if (query.before) add('id <', query.before);

    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT id, delivery_id, attempt, ticket_id, event_id, action_index, url, status,
              status_code, duration_ms, error_class, error_message, response_excerpt,
              redelivery, attempted_at
         FROM deliveries ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT ${query.limit + 1}`,
      params,
    );
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    const more = rows.length > query.limit && last !== undefined;
    return { items: items.map(toView), next: more ? encodeCursor(Number(last.id)) : null };
  }

  /** The latest recorded attempt of a delivery, or null when it has none. */
  async latest(deliveryId: string): Promise<RecordedDelivery | null> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT delivery_id, ticket_id, event_id, action_index, url, event_seq
         FROM deliveries WHERE delivery_id = $1 ORDER BY id DESC LIMIT 1`,
      [deliveryId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      delivery_id: row.delivery_id as string,
      ticket_id: row.ticket_id as string,
      event_id: row.event_id as string,
      action_index: Number(row.action_index),
      url: row.url as string,
      event_seq: row.event_seq === null ? null : Number(row.event_seq),
    };
  }
}

function isOutcome(event: KeraEvent): event is KeraEvent<DeliveryOutcomeData> {
  const outcome =
    event.type === EventTypes.deliverySucceeded || event.type === EventTypes.deliveryFailed;
  if (!outcome || !isRecord(event.data)) return false;
  const { delivery_id, attempt, event_id, ticket_id, action_index, url, duration_ms } = event.data;
  return (
    [delivery_id, event_id, ticket_id, url].every((value) => typeof value === 'string') &&
    [attempt, action_index, duration_ms].every((value) => Number.isSafeInteger(value))
  );
}

function toRow(event: KeraEvent<DeliveryOutcomeData>): unknown[] {
  const data = event.data;
  const error = isRecord(data.error) ? data.error : null;
  return [
    event.id,
    data.delivery_id,
    data.attempt,
    data.event_id,
    data.ticket_id,
    data.action_index,
    text(data.url),
    event.type === EventTypes.deliverySucceeded ? 'succeeded' : 'failed',
    Number.isSafeInteger(data.status_code) ? data.status_code : null,
    data.duration_ms,
    error ? text(error.class) : null,
    error ? text(error.message) : null,
    text(data.response_excerpt),
    data.redelivery === true,
    event.time,
    Number.isSafeInteger(data.event_seq) ? data.event_seq : null,
    typeof data.request_id === 'string' ? data.request_id : null,
  ];
}

/** Postgres text cannot hold NUL characters, which a receiver's response may contain. */
function text(value: unknown): string {
  return typeof value === 'string' ? value.replace(/\0/g, '\uFFFD') : '';
}

function toView(row: Record<string, unknown>): DeliveryAttemptView {
  return {
    delivery_id: row.delivery_id as string,
    attempt: Number(row.attempt),
    ticket_id: row.ticket_id as string,
    event_id: row.event_id as string,
    action_index: Number(row.action_index),
    url: row.url as string,
    status: row.status as DeliveryAttemptView['status'],
    status_code: row.status_code === null ? null : Number(row.status_code),
    duration_ms: Number(row.duration_ms),
    error:
      row.error_class === null
        ? null
        : { class: row.error_class as string, message: (row.error_message as string) ?? '' },
    response_excerpt: row.response_excerpt as string,
    redelivery: row.redelivery as boolean,
    attempted_at: (row.attempted_at as Date).toISOString(),
  };
}
