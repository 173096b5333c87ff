import { createHmac } from 'node:crypto';
import { bytesEqual, hmacSha256, matchesAnySecret, stringsEqual } from './constant-time';

describe('constant-time helpers', () => {
  it('computes the same HMAC-SHA256 as GitHub does with the secret as key', () => {
    const body = Buffer.from('{"zen":"Keep it logically awesome."}');
    const reference = createHmac('sha256', 'It’s a Secret to Everybody').update(body).digest();

    expect(hmacSha256('It’s a Secret to Everybody', body).equals(reference)).toBe(true);
  });

  it('treats byte strings of different lengths as unequal instead of throwing', () => {
    expect(bytesEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(bytesEqual(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(bytesEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
    expect(bytesEqual(Buffer.alloc(0), Buffer.alloc(32))).toBe(false);
  });

  it('compares strings of any length, including empty and non-ASCII ones', () => {
    expect(stringsEqual('token-ä', 'token-ä')).toBe(true);
    expect(stringsEqual('token-ä', 'token-a')).toBe(false);
    expect(stringsEqual('short', 'a much longer token than that')).toBe(false);
    expect(stringsEqual('', 'x')).toBe(false);
  });

  it('tries every secret even after one matched', () => {
    const tried: string[] = [];
    const matched = matchesAnySecret(['first', 'second', 'third'], (secret) => {
      tried.push(secret);
      return secret === 'first';
    });

    expect(matched).toBe(true);
    expect(tried).toEqual(['first', 'second', 'third']);
  });

  it('reports no match when no secret passes or there are none', () => {
    expect(matchesAnySecret(['a', 'b'], () => false)).toBe(false);
    expect(matchesAnySecret([], () => true)).toBe(false);
  });
});
