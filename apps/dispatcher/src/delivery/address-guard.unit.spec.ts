import { AddressGuard, InvalidAllowRangeError } from './address-guard';

describe('AddressGuard with an empty allow list', () => {
  const guard = new AddressGuard([]);

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.255', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'ipv4Mapped loopback'],
    ['::ffff:169.254.169.254', 'ipv4Mapped linkLocal'],
    ['::ffff:10.0.0.1', 'ipv4Mapped private'],
    ['::ffff:0:192.168.0.1', 'rfc6145 private'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052 linkLocal'],
    ['64:ff9b:1::1', 'rfc6052'],
    ['2002:7f00:1::', '6to4 loopback'],
    ['2002:c0a8:101::1', '6to4 private'],
    ['2001::1', 'teredo'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'discard'],
    ['::7f00:1', 'non-global IPv6'],
    ['4000::1', 'non-global IPv6'],
    ['not-an-address', 'unparsable'],
  ])('refuses %s (%s)', (address, range) => {
    expect(guard.check(address)).toEqual({ allowed: false, range });
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '11.0.0.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows the public address %s', (address) => {
    expect(guard.check(address)).toEqual({ allowed: true });
  });
});

describe('AddressGuard with allow ranges', () => {
  const guard = new AddressGuard(['127.0.0.0/8', ' 10.1.0.0/16 ', 'fd00:1::/32', '192.168.1.20']);

  it.each(['127.0.0.1', '127.9.9.9', '::ffff:127.0.0.1', '10.1.2.3', 'fd00:1::5', '192.168.1.20'])(
    'allows %s, which a range names',
    (address) => {
      expect(guard.check(address)).toEqual({ allowed: true });
    },
  );

  it.each([
    ['10.2.0.1', 'private'],
    ['192.168.1.21', 'private'],
    ['fd00:2::5', 'uniqueLocal'],
    ['::1', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
  ])('still refuses %s (%s), which no range names', (address, range) => {
    expect(guard.check(address)).toEqual({ allowed: false, range });
  });

  it('still allows public addresses', () => {
    expect(guard.check('8.8.4.4')).toEqual({ allowed: true });
  });
});

describe('AddressGuard configuration', () => {
  it.each(['10.0.0.0/33', 'localhost', '', '10.0.0.0/8,11.0.0.0/8', 'fd00::/129', '300.1.1.1'])(
    'rejects the allow entry %j with a message naming it',
    (entry) => {
      const build = () => new AddressGuard(['127.0.0.0/8', entry]);

      expect(build).toThrow(InvalidAllowRangeError);
      expect(build).toThrow(`KERA_OUTBOUND_ALLOW entry "${entry}" is not a CIDR range`);
    },
  );
});
