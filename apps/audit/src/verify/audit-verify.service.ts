import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ChainCheck,
  GENESIS,
  canonicalJson,
  type ChainBreak,
  type ChainPosition,
} from '@kera/domain';
import { boundedEntriesSql, storedEntry, type EntryRow } from '../query/stored-entry';

/** The answer of `GET /api/audit/verify`. */
export interface VerifyResult {
  ok: boolean;
  /** Entries found intact (all of them when ok). */
  entries: number;
  first_bad?: ChainBreak;
  /** The last intact entry: record its hash elsewhere to vouch for the trail up to it. */
  head: ChainPosition;
}

/** Entries per read, and bytes of payload per read: memory stays bounded for any trail. */
const CHUNK_ROWS = 1000;
const CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Checks the whole trail: every entry from the first one kept (the
 * genesis, or an archive anchor) up to the chain head recorded with the
 * last write, read in keyset chunks of bounded size (two at a time), each
 * recomputed and linked to the one before. Short chunks rather than one long cursor keep
 * no transaction open for the minutes a large trail takes.
 */
@Injectable()
export class AuditVerifyService {
  constructor(private readonly db: DataSource) {}

  async verify(): Promise<VerifyResult> {
    const head = await this.chainHead();
    const first = await this.firstSeq();
    const start = first === null || first === 1 ? GENESIS : await this.anchorBefore(first);
    if (!start) return this.unanchored(first as number);

    const check = new ChainCheck(start);
    const bad = (await this.walk(check, head.seq)) ?? check.end(head);
    const result: VerifyResult = { ok: bad === null, entries: check.entries, head: check.last };
    if (bad) result.first_bad = bad;
    return result;
  }

  /**
   * Reads chunk after chunk up to `through`; the next chunk is asked for
   * before the current one is checked, so Postgres and the hashing overlap.
   */
  private async walk(check: ChainCheck, through: number): Promise<ChainBreak | null> {
    const sql = boundedEntriesSql('seq > $3 AND seq <= $4');
    const read = (after: number): Promise<EntryRow[]> =>
      after < through ? this.db.query(sql, [CHUNK_ROWS, CHUNK_BYTES, after, through]) : done();
    let pending = read(check.last.seq);
    for (;;) {
      const rows = await pending;
      const last = rows[rows.length - 1];
      if (!last) return null;
      pending = read(Number(last.seq));
      const bad = checkChunk(check, rows);
      if (bad) {
        await pending.catch(() => undefined);
        return bad;
      }
    }
  }

  private async chainHead(): Promise<ChainPosition> {
    const rows: { seq: string; hash: string }[] = await this.db.query(
      'SELECT seq, hash FROM audit_chain_head',
    );
    const row = rows[0];
    return row ? { seq: Number(row.seq), hash: row.hash } : GENESIS;
  }

  private async firstSeq(): Promise<number | null> {
    const rows: { seq: string | null }[] = await this.db.query(
      'SELECT min(seq) AS seq FROM audit_entries',
    );
    const seq = rows[0]?.seq;
    return seq === null || seq === undefined ? null : Number(seq);
  }

  /** The anchor recorded for the entry just before the first one kept, if any. */
  private async anchorBefore(first: number): Promise<ChainPosition | null> {
    const rows: { seq: string; hash: string }[] = await this.db.query(
      'SELECT seq, hash FROM audit_anchors WHERE seq = $1',
      [first - 1],
    );
    const row = rows[0];
    return row ? { seq: Number(row.seq), hash: row.hash } : null;
  }

  private async unanchored(first: number): Promise<VerifyResult> {
    const rows: { event_id: string }[] = await this.db.query(
      'SELECT event_id FROM audit_entries WHERE seq = $1',
      [first],
    );
    const reason = `the trail starts at entry ${first} and no archive anchor records entry ${first - 1}`;
    return {
      ok: false,
      entries: 0,
      first_bad: { seq: first, event_id: rows[0]?.event_id ?? null, reason },
      head: GENESIS,
    };
  }
}

function checkChunk(check: ChainCheck, rows: EntryRow[]): ChainBreak | null {
  for (const row of rows) {
    const entry = storedEntry(row);
    const bad = check.next(entry, canonicalJson(entry.payload));
    if (bad) return bad;
  }
  return null;
}

function done(): Promise<EntryRow[]> {
  return Promise.resolve([]);
}
