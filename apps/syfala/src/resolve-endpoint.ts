import { isIPv4 } from 'node:net';
import { DEFAULT_UDP_PORT, Discovery, type Endpoint } from '@syfala/network';
import { mustBe, parseHostPort } from '@syfala/proto';
import { CliError } from './cli-error.js';

export interface ResolveOptions {
  readonly timeoutMs: number;
  /** IPv4 address of the interface discovery runs on. */
  readonly interface?: string;
  /** Hears what the lookup is doing, for a person watching a terminal. */
  readonly progress?: ((text: string) => void) | undefined;
}

/** Progress lines on stderr when a person watches it (a terminal), else none. */
export function terminalProgress(): ((text: string) => void) | undefined {
  return process.stderr.isTTY ? (text) => process.stderr.write(`syfala: ${text}\n`) : undefined;
}

/**
 * After the first endpoint with the name asked for, how long to go on listening for another with
 * the same name (names are not unique): endpoints on one network answer a beacon within this.
 */
const SAME_NAME_GRACE_MS = 250;

/**
 * Finds the endpoint a user named: `HOST[:PORT]` asks that address directly (a unicast beacon,
 * no multicast); anything else is an endpoint id, an id prefix of 8+ hex digits, or a name, looked
 * up by discovery (beacons to the multicast group and DNS-SD). Either stops as soon as it knows.
 */
export async function resolveEndpoint(text: string, options: ResolveOptions): Promise<Endpoint> {
  const { timeoutMs, progress } = options;
  const address = parseAddress(text);
  const where = address === undefined ? '' : ` at ${address.host}:${address.port}`;
  progress?.(
    `looking for ${address === undefined ? `"${text}"` : 'a Syfala server'}${where} (up to ${timeoutMs} ms)…`,
  );
  const started = performance.now();
  const found = await (address !== undefined
    ? lookUp(
        new Discovery({
          beacon: { address: address.host, port: address.port, intervalMs: 200 },
          mdns: false,
        }),
        () => true,
        0,
        timeoutMs,
      )
    : lookUp(
        new Discovery(options.interface === undefined ? {} : { interface: options.interface }),
        named(text),
        isWholeId(text) ? 0 : SAME_NAME_GRACE_MS,
        timeoutMs,
      ));
  if (found.matches.length === 1) {
    const endpoint = found.matches[0]!;
    progress?.(
      `found "${endpoint.name}" at ${endpoint.host}:${endpoint.udpPort} (${endpoint.via.join('+')}) in ${Math.round(performance.now() - started)} ms`,
    );
    return endpoint;
  }
  if (found.matches.length > 1) {
    throw new CliError(
      `"${text}" names ${found.matches.length} endpoints; use an id: ${found.matches.map((e) => e.id).join(', ')}`,
    );
  }
  throw new CliError(
    address !== undefined
      ? `no Syfala server answered at ${address.host}:${address.port} within ${timeoutMs} ms`
      : `no endpoint "${text}" was found in ${timeoutMs} ms (${found.seen} seen; try syfala discover)`,
  );
}

/** Whether an endpoint is the one named: its id, an id prefix of 8+ hex digits, or its name. */
function named(text: string): (endpoint: Endpoint) => boolean {
  const wanted = text.toLowerCase();
  return (e) =>
    e.id === wanted ||
    (wanted.length >= 8 && e.id.startsWith(wanted)) ||
    e.name.toLowerCase() === wanted;
}

/** A whole endpoint id: nothing else can match it, so its first answer settles the lookup. */
function isWholeId(text: string): boolean {
  return /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/.test(text.toLowerCase());
}

/**
 * Listens until an endpoint matches, then `graceMs` more for others that match too, or until
 * `timeoutMs`; closes the discovery's sockets before it resolves.
 */
async function lookUp(
  discovery: Discovery,
  matches: (endpoint: Endpoint) => boolean,
  graceMs: number,
  timeoutMs: number,
): Promise<{ matches: Endpoint[]; seen: number }> {
  const result = (): { matches: Endpoint[]; seen: number } => {
    const known = discovery.endpoints();
    return { matches: known.filter(matches), seen: known.length };
  };
  try {
    return await new Promise((resolve, reject) => {
      let timer = setTimeout(() => resolve(result()), timeoutMs);
      let matched = false;
      const subscription = discovery.events$.subscribe({
        next: (event) => {
          if (matched || event.type === 'removed' || !matches(event.endpoint)) return;
          matched = true;
          clearTimeout(timer);
          timer = setTimeout(() => resolve(result()), graceMs);
        },
        error: (error: unknown) => reject(error as Error),
      });
      subscription.add(() => clearTimeout(timer));
    });
  } finally {
    await discovery.close();
  }
}

/** Text that means an address, not a name or id: digits and dots or localhost, then maybe :PORT. */
const ADDRESS_LIKE = /^(?:localhost|[\d.]+)(?::|$)/;

/** `HOST[:PORT]` when `text` means an address (see beaconAddress), or undefined for a name or id. */
function parseAddress(text: string): { host: string; port: number } | undefined {
  return ADDRESS_LIKE.test(text) ? beaconAddress(text, 'an endpoint address') : undefined;
}

/**
 * Where to send a unicast beacon: `HOST[:PORT]` in @syfala/proto's grammar (default port 6910),
 * HOST an IPv4 address or localhost, as discovery's sockets are IPv4.
 */
export function beaconAddress(text: string, what: string): { host: string; port: number } {
  const { host, port } = parseHostPort(text, what, { defaultPort: DEFAULT_UDP_PORT });
  const ipv4 = host === 'localhost' ? '127.0.0.1' : host;
  if (!isIPv4(ipv4)) {
    throw new CliError(mustBe(what, 'an IPv4 address or localhost (discovery is IPv4)', text));
  }
  return { host: ipv4, port };
}
