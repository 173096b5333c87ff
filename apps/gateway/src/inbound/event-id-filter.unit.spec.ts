import { randomUUID } from 'node:crypto';
import { EventIdFilter } from './event-id-filter';

describe('EventIdFilter', () => {
  it('holds every id added', () => {
    const filter = new EventIdFilter(10_000);
    const ids = Array.from({ length: 10_000 }, () => randomUUID());
    for (const id of ids) filter.add(id);

    expect(ids.every((id) => filter.mightHold(id))).toBe(true);
    expect(filter.size).toBe(10_000);
    expect(filter.full).toBe(false);
  });

  it('says "certainly not" for nearly every id never added, at its capacity', () => {
    const filter = new EventIdFilter(10_000);
    for (let index = 0; index < 10_000; index += 1) filter.add(randomUUID());

    const others = Array.from({ length: 20_000 }, () => randomUUID());
    const maybes = others.filter((id) => filter.mightHold(id)).length;
    // Sized for about 1 %; 3 % leaves room for chance without hiding a broken hash.
    expect(maybes / others.length).toBeLessThan(0.03);
  });

  it('says "certainly not" for everything when empty, and tells when it is over capacity', () => {
    const filter = new EventIdFilter(3);
    expect(filter.mightHold(randomUUID())).toBe(false);

    for (let index = 0; index < 4; index += 1) filter.add(`id-${index}`);
    expect(filter.full).toBe(true);
    expect(filter.mightHold('id-3')).toBe(true);
  });
});
