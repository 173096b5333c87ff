import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { GENESIS_HASH, chainHash, type AuditContent } from '@kera/domain';

/** Serialises writers of the chain: each entry's hash depends on the one before. */
const CHAIN_LOCK = 7_391_042_002;

export interface AuditRow extends AuditContent {
  seq: number;
  prev_hash: string;
  hash: string;
}

/** The append-only, hash-chained audit store. */
@Injectable()
export class AuditRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Appends the entries not stored yet, in the order given, in one
   * transaction. Returns how many were new.
   */
  async append(stream: string, entries: AuditContent[]): Promise<number> {
    if (entries.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
      const fresh = await this.withoutStored(tx, stream, entries);
      if (fresh.length === 0) return 0;

      const last: { hash: string }[] = await tx.query(
        'SELECT hash FROM audit_entries ORDER BY seq DESC LIMIT 1',
      );
      let prev = last[0]?.hash ?? GENESIS_HASH;
      const values: unknown[] = [];
      const rows: string[] = [];
      for (const entry of fresh) {
        const hash = chainHash(prev, entry);
        const base = values.length;
        rows.push(`(${Array.from({ length: 12 }, (_, i) => `$${base + i + 1}`).join(', ')})`);
        values.push(
          entry.stream,
          entry.stream_seq,
          entry.event_id,
          entry.type,
          entry.time,
          entry.ticket_id,
          entry.integration_id,
          entry.actor,
          entry.correlation_id,
          JSON.stringify(entry.payload),
          prev,
          hash,
        );
        prev = hash;
      }
      await tx.query(
        `INSERT INTO audit_entries
           (stream, stream_seq, event_id, type, time, ticket_id, integration_id, actor,
            correlation_id, payload, prev_hash, hash)
         VALUES ${rows.join(', ')}`,
        values,
      );
      return fresh.length;
    });
  }

  private async withoutStored(
    tx: EntityManager,
    stream: string,
    entries: AuditContent[],
  ): Promise<AuditContent[]> {
    const seqs = entries.map((entry) => entry.stream_seq);
    const stored: { stream_seq: string }[] = await tx.query(
      'SELECT stream_seq FROM audit_entries WHERE stream = $1 AND stream_seq = ANY($2::bigint[])',
      [stream, seqs],
    );
    const seen = new Set(stored.map((row) => Number(row.stream_seq)));
    return entries.filter((entry) => !seen.has(entry.stream_seq));
  }
}
