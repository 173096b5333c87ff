import { ValidationError } from '@kera/contracts';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, readLimit } from './list-page';

describe('integration list pages', () => {
  it('reads a limit from 1 to 200, defaulting when absent', () => {
    expect(readLimit(undefined)).toBe(DEFAULT_PAGE_SIZE);
    expect(readLimit('1')).toBe(1);
    expect(readLimit('200')).toBe(200);
  });

  it('refuses a limit that is not a whole number in range, naming the field', () => {
    for (const limit of ['0', '201', '-1', '2.5', 'ten', ['1', '2']]) {
      expect(() => readLimit(limit)).toThrow(ValidationError);
    }
  });

  it('gives back the position a cursor was made from', () => {
    const position = { createdAt: new Date('2026-04-24T10:30:00.123Z'), id: 'b1c2' };

    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    expect(decodeCursor(undefined)).toBeNull();
  });

  it('refuses a cursor it did not make', () => {
    const forged = [
      'not base64 json',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["not a time","x"]').toString('base64url'),
      Buffer.from('["2026-01-01T00:00:00Z",7]').toString('base64url'),
    ];
    for (const cursor of forged) {
      expect(() => decodeCursor(cursor)).toThrow(ValidationError);
    }
  });
});
