/** Bits per id: about a 1 % chance of a false "maybe" with 7 probes at full capacity. */
const BITS_PER_ID = 9.6;
const PROBES = 7;

/**
 * A Bloom filter of event ids: says "certainly not" or "maybe" for an id, in a fixed amount of
 * memory (about 1.2 bytes per id it is sized for). It never forgets, and past its capacity it
 * says "maybe" more and more often, which is only ever slower (a "maybe" is checked in
 * Postgres), never wrong; `full` tells when to build a larger one.
 */
export class EventIdFilter {
  private readonly words: Uint32Array;
  private readonly mask: number;
  private added = 0;

  constructor(readonly capacity: number) {
    // A power of two, so that a position is a mask of a hash rather than a division.
    let bits = 1024;
    while (bits < capacity * BITS_PER_ID) bits *= 2;
    this.words = new Uint32Array(bits / 32);
    this.mask = bits - 1;
  }

  add(id: string): void {
    const [first, h2] = hashes(id);
    let h1 = first;
    for (let probe = 0; probe < PROBES; probe += 1) {
      const bit = h1 & this.mask;
      this.words[bit >>> 5] = (this.words[bit >>> 5] ?? 0) | (1 << (bit & 31));
      h1 = (h1 + h2) >>> 0;
    }
    this.added += 1;
  }

  /** False when the id was certainly never added. */
  mightHold(id: string): boolean {
    const [first, h2] = hashes(id);
    let h1 = first;
    for (let probe = 0; probe < PROBES; probe += 1) {
      const bit = h1 & this.mask;
      if (((this.words[bit >>> 5] ?? 0) & (1 << (bit & 31))) === 0) return false;
      h1 = (h1 + h2) >>> 0;
    }
    return true;
  }

  /** Ids added, counting an id added twice twice. */
  get size(): number {
    return this.added;
  }

  /** Whether more ids were added than it was sized for. */
  get full(): boolean {
    return this.added > this.capacity;
  }
}

/**
 * Two 32-bit FNV-1a hashes of the id's characters with different starting values; the probes
 * are h1, h1 + h2, h1 + 2·h2, … (an odd h2 visits every bit of a power-of-two table).
 */
function hashes(id: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let index = 0; index < id.length; index += 1) {
    const code = id.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 0x01000193);
    h2 = Math.imul(h2 ^ code, 0x01000193);
  }
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x2c1b3c6d);
  return [h1 >>> 0, (h2 | 1) >>> 0];
}
