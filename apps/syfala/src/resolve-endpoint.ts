import { isIPv4 } from 'node:net';
import { DEFAULT_UDP_PORT, Discovery, discoverOnce, type Endpoint } from '@syfala/network';
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
    const endpoint = await firstAnswer(address.host, address.port, options.timeoutMs);
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

/** The first endpoint that answers a unicast beacon at host:port, as soon as it answers. */
async function firstAnswer(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<Endpoint | undefined> {
  const discovery = new Discovery({
    beacon: { address: host, port, intervalMs: 200 },
    mdns: false,
  });
  try {
    return await new Promise<Endpoint | undefined>((resolve, reject) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      discovery.events$.subscribe({
        next: (event) => {
          if (event.type === 'removed') return;
          clearTimeout(timer);
          resolve(event.endpoint);
        },
        error: (error: unknown) => {
          clearTimeout(timer);
          reject(error as Error);
        },
      });
    });
  } finally {
    await discovery.close();
  }
}
