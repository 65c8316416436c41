import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ValueError } from '@syfala/proto';
import { NetworkError } from '../errors.js';

/** Throws ValueError naming `field` unless `value` is a dotted-quad IPv4 address. */
export function checkIPv4(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isIPv4(value)) {
    throw new ValueError('BAD_FIELD', `${field}: expected an IPv4 address, got ${String(value)}`);
  }
  return value;
}

/** Throws ValueError unless `value` is an integer port in [min, 65535]. */
export function checkPort(value: unknown, field: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 0xffff) {
    throw new ValueError(
      'BAD_FIELD',
      `${field}: expected an integer port from ${min} to 65535, got ${String(value)}`,
    );
  }
  return value;
}

/** Throws ValueError unless `value` is a positive finite number of milliseconds. */
export function checkDurationMs(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValueError(
      'BAD_FIELD',
      `${field}: expected a positive number of milliseconds, got ${String(value)}`,
    );
  }
  return value;
}

/** The first IPv4 address of each network interface (loopback included), as multicast-dns joins. */
export function ipv4InterfaceAddresses(): string[] {
  const addresses: string[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    const ipv4 = entries?.find((entry) => entry.family === 'IPv4');
    if (ipv4 !== undefined) addresses.push(ipv4.address);
  }
  return addresses;
}

/**
 * Throws NetworkError BAD_OPTION unless `address` belongs to one of this host's interfaces: the
 * kernel would reject it later, or (multicast-dns) only warn and never receive anything.
 */
export function checkLocalInterface(address: string, field: string): void {
  const local = Object.values(networkInterfaces()).some((entries) =>
    entries?.some((entry) => entry.family === 'IPv4' && entry.address === address),
  );
  if (!local) {
    throw new NetworkError(
      'BAD_OPTION',
      `${field}: ${address} is not the address of an interface of this host`,
    );
  }
}

/** Maps a socket's bind failure to a NetworkError with the system error as its cause. */
export function bindError(
  what: string,
  address: string,
  port: number,
  error: unknown,
): NetworkError {
  const code = (error as NodeJS.ErrnoException).code;
  const detail = error instanceof Error ? error.message : String(error);
  return new NetworkError(
    code === 'EADDRINUSE' ? 'ADDRESS_IN_USE' : 'BIND_FAILED',
    `${what}: could not bind ${address}:${port}: ${detail}`,
    { cause: error },
  );
}
