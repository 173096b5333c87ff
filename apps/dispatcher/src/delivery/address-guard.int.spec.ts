import { type LookupAddress } from 'node:dns';
import { AddressGuard, guardedLookup, RefusedAddressError } from './address-guard';

interface LookupAnswer {
  error: NodeJS.ErrnoException | null;
  address: string | LookupAddress[];
  family?: number;
}

function lookup(allow: string[], hostname: string, all: boolean): Promise<LookupAnswer> {
  const guarded = guardedLookup(new AddressGuard(allow));
  return new Promise((resolve) => {
    guarded(hostname, { all }, (error, address, family) => resolve({ error, address, family }));
  });
}

describe('guardedLookup resolving through the system resolver', () => {
  it('refuses localhost with an error naming the loopback address', async () => {
    const { error } = await lookup([], 'localhost', true);

    expect(error).toBeInstanceOf(RefusedAddressError);
    expect(error).toMatchObject({ host: 'localhost', range: 'loopback' });
    expect(error?.message).toMatch(
      /^refused to connect to localhost \(resolved to (127\.0\.0\.1|::1)\)/,
    );
  });

  it('answers a list when the socket asks for all addresses', async () => {
    const answer = await lookup(['127.0.0.0/8'], 'localhost', true);

    expect(answer.error).toBeNull();
    expect(answer.address).toContainEqual({ address: '127.0.0.1', family: 4 });
  });

  it('answers one address and its family when the socket asks for one', async () => {
    const answer = await lookup(['127.0.0.0/8'], 'localhost', false);

    expect(answer).toEqual({ error: null, address: '127.0.0.1', family: 4 });
  });

  it('passes resolver errors through untouched', async () => {
    const { error } = await lookup([], 'kera-receiver.invalid', true);

    expect(error).not.toBeInstanceOf(RefusedAddressError);
    expect(error?.code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/);
  });
});
