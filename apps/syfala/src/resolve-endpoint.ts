import { isIPv4 } from 'node:net';
import { DEFAULT_UDP_PORT, discoverOnce, type Endpoint } from '@syfala/network';
import { CliError } from './cli-error.js';

export interface ResolveOptions {
  readonly timeoutMs: number;
  /** IPv4 address of the interface discovery runs on. */
  readonly interface?: string;
}

/**
 * Finds the endpoint a user named: `HOST[:PORT]` asks that address directly (a unicast beacon,
 * no multicast); anything else is an endpoint id, an id prefix of 8+ hex digits, or a name, looked
 * up by discovery (beacons to the multicast group and DNS-SD).
 */
export async function resolveEndpoint(text: string, options: ResolveOptions): Promise<Endpoint> {
  const address = parseAddress(text);
  if (address !== undefined) {
    const found = await discoverOnce({
      timeoutMs: options.timeoutMs,
      beacon: { address: address.host, port: address.port, intervalMs: 200 },
      mdns: false,
    });
    const endpoint = found.find((e) => e.host === address.host) ?? found[0];
    if (endpoint === undefined) {
      throw new CliError(
        `no Syfala server answered at ${address.host}:${address.port} within ${options.timeoutMs} ms`,
      );
    }
    return endpoint;
  }
  const found = await discoverOnce({
    timeoutMs: options.timeoutMs,
    ...(options.interface !== undefined && { interface: options.interface }),
  });
  const wanted = text.toLowerCase();
  const matches = found.filter(
    (e) =>
      e.id === wanted ||
      (wanted.length >= 8 && e.id.startsWith(wanted)) ||
      e.name.toLowerCase() === wanted,
  );
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new CliError(
      `"${text}" names ${matches.length} endpoints; use an id: ${matches.map((e) => e.id).join(', ')}`,
    );
  }
  throw new CliError(
    `no endpoint "${text}" was found in ${options.timeoutMs} ms (${found.length} seen; try syfala discover)`,
  );
}

/** `HOST[:PORT]` (an IPv4 address or localhost; default port 6910), or undefined for anything else. */
export function parseAddress(text: string): { host: string; port: number } | undefined {
  const match = /^(localhost|\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(text);
  if (match === null) return undefined;
  const host = match[1] === 'localhost' ? '127.0.0.1' : match[1]!;
  const port = match[2] === undefined ? DEFAULT_UDP_PORT : Number(match[2]);
  if (!isIPv4(host) || port < 1 || port > 0xffff)
    throw new CliError(`"${text}" is not a valid HOST:PORT`);
  return { host, port };
}
