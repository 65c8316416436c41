import { isIPv4, isIPv6 } from 'node:net';

/** `address:port` as people read it, with IPv6 addresses in brackets. */
export function formatAddress(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Whether `address` (numeric) is a loopback address. */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/**
 * One spelling per IPv4 host: a dual-stack socket reports IPv4 peers as `::ffff:a.b.c.d`, an
 * IPv4 socket as `a.b.c.d`.
 */
export function canonicalAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/**
 * Who a connection counts against, for per-source limits: its IPv4 address, or the /64 prefix of
 * its IPv6 address (one host commonly holds a whole /64, so the low bits are the sender's choice).
 */
export function sourceKey(address: string): string {
  const ip = canonicalAddress(address);
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = ip.replace(/%.*$/, '').split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 address (a.b.c.d) fills the last two groups.
  const width = right.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0);
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - width).fill('0'), ...right];
  const prefix = groups.slice(0, 4).map((group) => parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}
