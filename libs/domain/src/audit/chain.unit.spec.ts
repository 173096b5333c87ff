import { GENESIS_HASH, canonicalJson, chainHash, type AuditContent } from './chain';
import { ChainCheck, type StoredAuditEntry } from './chain-check';

const CONTENT: AuditContent = {
  seq: 1,
  recorded_at: '2026-04-24T10:30:01.000Z',
  stream: 'KERA_TICKETS',
  stream_seq: 7,
  event_id: 'e-1',
  type: 'kera.ticket.created',
  time: '2026-04-24T10:30:00.000Z',
  ticket_id: 'KER-1',
  integration_id: null,
  actor: 'max@example.com',
  correlation_id: 'c-1',
  payload: { title: 'Fix login timeout', fields: { priority: 'high' } },
};

function chainOf(contents: AuditContent[]): StoredAuditEntry[] {
  let prev = GENESIS_HASH;
  return contents.map((content) => {
    const hash = chainHash(prev, content);
    const entry = { ...content, prev_hash: prev, hash };
    prev = hash;
    return entry;
  });
}

describe('chainHash', () => {
  // Stored trails are verified with these hashes: any change to how they are computed, however
  // equivalent it looks, must give the very same values.
  it('gives the hashes entries were stored with', () => {
    expect(chainHash(GENESIS_HASH, CONTENT)).toBe(
      '39a64127b7d1c333559091879e7d64c009c32092176171b3915864e0ea3b9506',
    );
    const large = { ...CONTENT, payload: { body: 'ü'.repeat(3000), n: [1, 2.5, null] } };
    expect(chainHash('ab'.repeat(32), large)).toBe(
      '817cd1cfd8e74f12aac486fd14cc3e425a49faea8d2cc67c9970e88ae3a2f15f',
    );
  });
});

describe('canonicalJson', () => {
  it('writes the same text for the same value whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('leaves out undefined members as JSON does and writes numbers as doubles', () => {
    expect(canonicalJson({ a: undefined, b: 1.0, c: 1e3, d: [undefined] })).toBe(
      '{"b":1,"c":1000,"d":[null]}',
    );
  });
});

describe('chainHash', () => {
  it('covers every stored field, the recorded time and the previous hash', () => {
    const base = chainHash(GENESIS_HASH, CONTENT);
    const changed: Partial<AuditContent>[] = [
      { seq: 2 },
      { recorded_at: '2026-04-24T10:30:01.001Z' },
      { stream: 'KERA_INBOUND' },
      { stream_seq: 8 },
      { event_id: 'e-2' },
      { type: 'kera.ticket.updated' },
      { time: '2026-04-24T10:30:00.001Z' },
      { ticket_id: 'KER-2' },
      { integration_id: 'i-1' },
      { actor: null },
      { correlation_id: 'c-2' },
      { payload: { title: 'Fix login timeout', fields: { priority: 'low' } } },
    ];
    for (const change of changed) {
      expect(chainHash(GENESIS_HASH, { ...CONTENT, ...change })).not.toBe(base);
    }
    expect(chainHash('f'.repeat(64), CONTENT)).not.toBe(base);
  });

  it('is the same with the payload text passed in as without it', () => {
    expect(chainHash(GENESIS_HASH, CONTENT, canonicalJson(CONTENT.payload))).toBe(
      chainHash(GENESIS_HASH, CONTENT),
    );
  });
});

describe('ChainCheck', () => {
  const contents = [1, 2, 3].map((seq) => ({ ...CONTENT, seq, event_id: `e-${seq}` }));

  it('accepts an intact chain and reports where it ends', () => {
    const entries = chainOf(contents);
    const check = new ChainCheck();

    for (const entry of entries) expect(check.next(entry)).toBeNull();

    expect(check.entries).toBe(3);
    expect(check.last).toEqual({ seq: 3, hash: entries[2]?.hash });
    expect(check.end({ seq: 3, hash: entries[2]?.hash as string })).toBeNull();
  });

  it('names the first entry whose content was changed', () => {
    const entries = chainOf(contents);
    const tampered = { ...entries[1], payload: { title: 'changed' } } as StoredAuditEntry;
    const check = new ChainCheck();

    expect(check.next(entries[0] as StoredAuditEntry)).toBeNull();
    expect(check.next(tampered)).toEqual({
      seq: 2,
      event_id: 'e-2',
      reason: 'its content does not match its hash',
    });
  });

  it('names an entry whose prev_hash does not link to the one before', () => {
    const entries = chainOf(contents);
    const check = new ChainCheck();
    check.next(entries[0] as StoredAuditEntry);

    const relinked = { ...entries[1], prev_hash: 'a'.repeat(64) } as StoredAuditEntry;

    expect(check.next(relinked)?.reason).toBe(
      'its prev_hash is not the hash of the entry before it',
    );
  });

  it('reports entries missing in the middle and at the end', () => {
    const entries = chainOf(contents);
    const middle = new ChainCheck();
    middle.next(entries[0] as StoredAuditEntry);

    expect(middle.next(entries[2] as StoredAuditEntry)).toEqual({
      seq: 2,
      event_id: null,
      reason: 'entry 2 is missing',
    });

    const tail = new ChainCheck();
    tail.next(entries[0] as StoredAuditEntry);
    expect(tail.end({ seq: 3, hash: entries[2]?.hash as string })).toEqual({
      seq: 2,
      event_id: null,
      reason: 'entries 2 to 3 are missing',
    });
  });

  it('starts from an anchor when older entries were archived', () => {
    const entries = chainOf(contents);
    const anchor = { seq: 1, hash: entries[0]?.hash as string };
    const check = new ChainCheck(anchor);

    expect(check.next(entries[1] as StoredAuditEntry)).toBeNull();
    expect(check.next(entries[2] as StoredAuditEntry)).toBeNull();
    expect(check.entries).toBe(2);
  });

  it('notices a chain head that records another hash for the last entry', () => {
    const entries = chainOf(contents);
    const check = new ChainCheck();
    for (const entry of entries) check.next(entry);

    expect(check.end({ seq: 3, hash: 'b'.repeat(64) })?.reason).toBe(
      'the chain head records another hash for this entry',
    );
  });
});
