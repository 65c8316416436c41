import { describe, expect, it } from 'vitest';
import { canonicalAddress, sourceKey } from '../../src/control/address.js';

describe('sourceKey', () => {
  it('is the IPv4 address, however the socket spelled it', () => {
    expect(sourceKey('127.0.0.2')).toBe('127.0.0.2');
    expect(sourceKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(canonicalAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
  });

  it("is an IPv6 address's /64, in every spelling of it", () => {
    const key = '2001:db8:0:1::/64';
    for (const address of [
      '2001:db8:0:1::1',
      '2001:DB8:0:1:ffff:ffff:ffff:ffff',
      '2001:0db8:0000:0001:0:0:0:2',
      '2001:db8::1:a:b:c:d',
      '2001:db8:0:1::1.2.3.4',
      '2001:db8:0:1::5%eth0',
    ]) {
      expect(sourceKey(address), address).toBe(key);
    }
    expect(sourceKey('2001:db8:0:2::1')).not.toBe(key);
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('::a:b:c:d:e:1.2.3.4')).toBe('0:a:b:c::/64');
  });
});
