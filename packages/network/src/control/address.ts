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
