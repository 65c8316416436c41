import { describe, expect, it } from 'vitest';
import { ValueError, parseHostPort } from '../src/index.js';

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:6910', { host: '127.0.0.1', port: 6910 }],
    ['192.0.2.1:1', { host: '192.0.2.1', port: 1 }],
    ['localhost:65535', { host: 'localhost', port: 65_535 }],
    ['studio-a.local:7000', { host: 'studio-a.local', port: 7000 }],
    ['[::1]:6910', { host: '::1', port: 6910 }],
    ['[fe80::1%eth0]:6910', { host: 'fe80::1%eth0', port: 6910 }],
    ['[2001:db8::7]:80', { host: '2001:db8::7', port: 80 }],
  ])('reads %s', (text, expected) => {
    expect(parseHostPort(text, '--target')).toEqual(expected);
  });

  it('takes the default port when one is given and the text has none', () => {
    expect(parseHostPort('10.0.0.2', 'x', { defaultPort: 6910 })).toEqual({
      host: '10.0.0.2',
      port: 6910,
    });
    expect(parseHostPort('[::1]', 'x', { defaultPort: 6910 })).toEqual({ host: '::1', port: 6910 });
    expect(parseHostPort('studio:7', 'x', { defaultPort: 6910 })).toEqual({
      host: 'studio',
      port: 7,
    });
  });

  it('takes port 0 only when minPort allows it (a listener that picks a free port)', () => {
    expect(parseHostPort('127.0.0.1:0', '--listen', { minPort: 0 }).port).toBe(0);
    expect(() => parseHostPort('127.0.0.1:0', '--target')).toThrow(/port from 1 to 65535/);
  });

  it.each([
    ['127.0.0.1', 'no port'],
    ['127.0.0.1:', 'an empty port'],
    ['127.0.0.1:65536', 'a port out of range'],
    ['127.0.0.1:123456', 'a port of six digits'],
    ['127.0.0.1:-1', 'a negative port'],
    ['300.1.1.1:80', 'digits and dots that are no IPv4 address'],
    ['1.2:80', 'a short dotted number'],
    ['::1:6910', 'an IPv6 address without brackets'],
    ['[127.0.0.1]:80', 'an IPv4 address in brackets'],
    ['[]:80', 'empty brackets'],
    ['studio a:80', 'a space in a host name'],
    ['-studio:80', 'a host name starting with a hyphen'],
    [':80', 'no host'],
    ['', 'nothing'],
    [`${'a'.repeat(64)}.local:80`, 'a label longer than 63 characters'],
  ])('refuses %j (%s) in one sentence that quotes it', (text) => {
    let error: unknown;
    try {
      parseHostPort(text, '--target');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValueError);
    expect((error as ValueError).code).toBe('BAD_ADDRESS');
    expect((error as ValueError).message).toBe(
      `--target must be HOST:PORT (an IPv4 address, a host name or an [IPv6] address, then a port from 1 to 65535), got ${JSON.stringify(text)}`,
    );
  });

  it('says the port is optional when there is a default', () => {
    expect(() => parseHostPort('x:99999', 'the address', { defaultPort: 6910 })).toThrow(
      /^the address must be HOST\[:PORT\] /,
    );
  });
});
