import { GENESIS, chainHash, type AuditContent, type ChainPosition } from './chain';

/** An audit entry as stored: its content and the two hashes that chain it. */
export interface StoredAuditEntry extends AuditContent {
  prev_hash: string;
  hash: string;
}

/** The first place where the trail is not what was written. */
export interface ChainBreak {
  seq: number;
  /** Null when the entry at `seq` is missing. */
  event_id: string | null;
  reason: string;
}

/**
 * Walks a trail entry by entry in seq order from a trusted position (the
 * genesis, or an anchor recorded when older entries were archived) and
 * finds the first entry that is missing, out of its chain or changed.
 */
export class ChainCheck {
  private position: ChainPosition;
  private checked = 0;

  constructor(start: ChainPosition = GENESIS) {
    this.position = start;
  }

  /** Entries checked and found intact so far. */
  get entries(): number {
    return this.checked;
  }

  /** The last intact entry (or the start). */
  get last(): ChainPosition {
    return this.position;
  }

  /**
   * Checks the next entry; null when it follows the last one, links to it
   * and matches its hash. `payloadJson` is `canonicalJson(entry.payload)`
   * when the caller has it already.
   */
  next(entry: StoredAuditEntry, payloadJson?: string): ChainBreak | null {
    const expected = this.position.seq + 1;
    if (entry.seq !== expected) return missing(expected, entry.seq - 1);
    if (entry.prev_hash !== this.position.hash) {
      return broken(entry, 'its prev_hash is not the hash of the entry before it');
    }

    const { prev_hash: _prev, hash, ...content } = entry;
    if (chainHash(this.position.hash, content, payloadJson) !== hash) {
      return broken(entry, 'its content does not match its hash');
    }
    this.position = { seq: entry.seq, hash };
    this.checked += 1;
    return null;
  }

  /** Checks that the walk reached the chain head recorded with the last write. */
  end(head: ChainPosition): ChainBreak | null {
    if (this.position.seq < head.seq) return missing(this.position.seq + 1, head.seq);
    if (this.position.seq === head.seq && this.position.hash !== head.hash) {
      return {
        seq: head.seq,
        event_id: null,
        reason: 'the chain head records another hash for this entry',
      };
    }
    return null;
  }
}

function missing(from: number, to: number): ChainBreak {
  const what = from === to ? `entry ${from} is` : `entries ${from} to ${to} are`;
  return { seq: from, event_id: null, reason: `${what} missing` };
}

function broken(entry: StoredAuditEntry, reason: string): ChainBreak {
  return { seq: entry.seq, event_id: entry.event_id, reason };
}
