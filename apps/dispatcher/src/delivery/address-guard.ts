import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { type LookupFunction } from 'node:net';
import ipaddr, { type IPv4, type IPv6 } from 'ipaddr.js';

type Address = IPv4 | IPv6;
type Cidr = [Address, number];

/** Whether the guard lets a connection reach an address, and if not, which range it fell in. */
export type AddressVerdict = { allowed: true } | { allowed: false; range: string };

/** An entry of the allow list that is not a CIDR range or an address. */
export class InvalidAllowRangeError extends Error {
  override readonly name = 'InvalidAllowRangeError';

  constructor(readonly entry: string) {
    super(
      `KERA_OUTBOUND_ALLOW entry "${entry}" is not a CIDR range or an IP address ` +
        '(expected e.g. 10.0.0.0/8, fd00::/8 or 192.168.1.20)',
    );
  }
}

/** Raised, through the socket, when a target resolves only to addresses the guard refuses. */
export class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
  readonly code = 'ERR_KERA_REFUSED_ADDRESS';

  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    const target = host === address ? address : `${host} (resolved to ${address})`;
    super(
      `refused to connect to ${target}: ${range} address; ` +
        'add a KERA_OUTBOUND_ALLOW range to permit it',
    );
  }
}

const ALLOWED: AddressVerdict = { allowed: true };
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/**
 * Decides which addresses outbound deliveries may connect to: public unicast addresses, plus
 * whatever the allow list (CIDR ranges or single addresses) names. Everything else is refused:
 * loopback, RFC 1918, link-local (cloud metadata), carrier-grade NAT, multicast, unspecified,
 * broadcast, documentation and other reserved ranges, IPv6 unique-local and anything outside
 * 2000::/3. IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-translated, NAT64
 * 64:ff9b::/96 and 6to4) are judged by that IPv4 address; Teredo and local-use NAT64 are refused.
 */
export class AddressGuard {
  private readonly allowList: readonly Cidr[];

  /** @throws InvalidAllowRangeError naming the first entry that does not parse. */
  constructor(allow: readonly string[]) {
    this.allowList = allow.map(parseAllowEntry);
  }

  /** Judges one address; anything that does not parse as an IP address is refused. */
  check(address: string): AddressVerdict {
    const ip = parseAddress(address);
    if (!ip) return { allowed: false, range: 'unparsable' };

    const embedded = ip instanceof ipaddr.IPv6 ? embeddedIPv4(ip) : null;
    if (this.isListed(ip) || (embedded && this.isListed(embedded))) return ALLOWED;

    const range = nonPublicRange(ip);
    return range ? { allowed: false, range } : ALLOWED;
  }

  private isListed(ip: Address): boolean {
    return this.allowList.some(([base, bits]) => base.kind() === ip.kind() && ip.match(base, bits));
  }
}

/**
 * A `lookup` for http(s) Agents that resolves every address of a host and hands the socket only
 * those the guard allows, so the check applies to the addresses actually connected to and a DNS
 * answer that changes between checks (rebinding) cannot slip a private address through. When
 * none is allowed the connection fails with a RefusedAddressError naming the first address.
 */
export function guardedLookup(guard: AddressGuard): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);

      const permitted = addresses.filter((entry) => guard.check(entry.address).allowed);
      const first = permitted[0];
      if (!first) return callback(refusal(guard, hostname, addresses), []);

      if (options.all) return callback(null, permitted);
      return callback(null, first.address, first.family);
    });
  };
}

function refusal(guard: AddressGuard, hostname: string, addresses: LookupAddress[]): Error {
  for (const { address } of addresses) {
    const verdict = guard.check(address);
    if (!verdict.allowed) return new RefusedAddressError(hostname, address, verdict.range);
  }
  return Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND' });
}

function parseAllowEntry(entry: string): Cidr {
  const text = entry.trim();
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const ip = ipaddr.parse(text);
    return [ip, ip.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new InvalidAllowRangeError(entry);
  }
}

function parseAddress(address: string): Address | null {
  return ipaddr.isValid(address) ? ipaddr.parse(address) : null;
}

function nonPublicRange(ip: Address): string | null {
  if (ip instanceof ipaddr.IPv4) return publicOrRange(ip.range());

  const embedded = embeddedIPv4(ip);
  if (embedded) {
    const inner = nonPublicRange(embedded);
    return inner && `${ip.range()} ${inner}`;
  }
  const range = publicOrRange(ip.range());
  return range ?? (ip.match(GLOBAL_UNICAST_V6) ? null : 'non-global IPv6');
}

function publicOrRange(range: string): string | null {
  return range === 'unicast' ? null : range;
}

/** The IPv4 address an IPv6 address stands for, when traffic to it reaches that IPv4 host. */
function embeddedIPv4(ip: IPv6): IPv4 | null {
  const range = ip.range();
  const bytes = ip.toByteArray();

  if (range === 'ipv4Mapped' || range === 'rfc6145' || ip.match(NAT64_WELL_KNOWN)) {
    return ipv4From(bytes.slice(12, 16));
  }
  if (range === '6to4') return ipv4From(bytes.slice(2, 6));
  return null;
}

function ipv4From(bytes: number[]): IPv4 {
  return ipaddr.fromByteArray(bytes) as IPv4;
}
