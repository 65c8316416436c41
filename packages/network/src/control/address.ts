import { isIPv6 } from 'node:net';

/** `address:port` as people read it, with IPv6 addresses in brackets. */
export function formatAddress(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Whether `address` (numeric) is a loopback address. */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}
