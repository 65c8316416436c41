import { isIP } from 'node:net';
import { parseHostPort } from '@syfala/proto';
import { RelayError } from './errors.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/**
 * Network safety: the relay listens on and sends to loopback only (127.0.0.0/8, ::1), unless its
 * caller allows other addresses explicitly. Whatever is allowed, it never listens on a wildcard
 * address and never sends to a wildcard, multicast or broadcast address: it impairs one path
 * between two known endpoints, and replies go only to whoever reached its own address.
 */
export function checkAddress(
  endpoint: Endpoint,
  role: 'listen' | 'target',
  allowRemote: boolean,
): Endpoint {
  const { address, port } = endpoint;
  const family = isIP(address);
  if (family === 0) {
    throw new RelayError('BAD_ADDRESS', `${role}: an IP address is needed, got "${address}"`);
  }
  const minPort = role === 'listen' ? 0 : 1;
  if (!Number.isInteger(port) || port < minPort || port > 65_535) {
    throw new RelayError('BAD_ADDRESS', `${role}: port ${minPort} to 65535, got ${port}`);
  }
  const canonical = family === 6 ? canonicalIPv6(address) : address;
  if (isWildcard(canonical) || isGroup(canonical)) {
    throw new RelayError(
      'ADDRESS_REFUSED',
      `${role}: refusing ${canonical}, a wildcard, multicast or broadcast address; give one host's address`,
    );
  }
  if (!allowRemote && !isLoopback(canonical)) {
    throw new RelayError(
      'ADDRESS_REFUSED',
      `${role}: refusing ${canonical}, which is not loopback (127.0.0.0/8 or ::1); allow it explicitly (allowRemote, --allow-remote)`,
    );
  }
  return { address: canonical, port };
}

/**
 * Parses `ADDRESS:PORT` or `[IPV6]:PORT` (@syfala/proto's one grammar; a host name parses, and
 * checkAddress then asks for an IP address). Throws a ValueError (`BAD_ADDRESS`).
 */
export function parseEndpoint(text: string, role: 'listen' | 'target'): Endpoint {
  const { host, port } = parseHostPort(text, `--${role}`, { minPort: role === 'listen' ? 0 : 1 });
  return { address: host, port };
}

export function formatEndpoint({ address, port }: Endpoint): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function isLoopback(address: string): boolean {
  return address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

/** The form dgram reports a sender's IPv6 address in, so replies can be matched to the target. */
function canonicalIPv6(address: string): string {
  const [host, zone] = address.split('%');
  const canonical = new URL(`udp://[${host}]`).hostname.slice(1, -1);
  return zone === undefined ? canonical : `${canonical}%${zone}`;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function isGroup(address: string): boolean {
  if (isIP(address) === 6) return address.startsWith('ff');
  const first = Number(address.split('.')[0]);
  return address === '255.255.255.255' || (first >= 224 && first <= 239);
}
