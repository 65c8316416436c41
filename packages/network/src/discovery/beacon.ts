import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import {
  DecodeError,
  ValueError,
  datagramVersion,
  decodeMessage,
  encode,
  type ServerMessage,
} from '@syfala/proto';
import { DEFAULT_DISCOVERY_GROUP, DEFAULT_UDP_PORT, type Endpoint } from '../endpoint.js';
import { NetworkError } from '../errors.js';
import type { BeaconCounters } from './counters.js';
import type { EndpointSink } from './endpoint-table.js';
import { bindError, checkDurationMs, checkIPv4, checkPort } from './options.js';

/** PROTOCOL.md §5.4: a client beacons every 500 ms by default. */
export const DEFAULT_BEACON_INTERVAL_MS = 500;
/** Six beacon periods without an answer: a lost datagram or two never removes an endpoint. */
export const DEFAULT_BEACON_EXPIRY_MS = 3000;
/** Multicast beacons stay on the local link unless told otherwise. */
export const DEFAULT_BEACON_MULTICAST_TTL = 1;

/** How a client beacons. Every field is optional. */
export interface BeaconOptions {
  /**
   * Where beacons go: a multicast group, a broadcast address or one server's unicast address.
   * Default DEFAULT_DISCOVERY_GROUP.
   */
  readonly address?: string;
  /** Destination UDP port. Default DEFAULT_UDP_PORT. */
  readonly port?: number;
  /** Milliseconds between beacons. Default 500. */
  readonly intervalMs?: number;
  /**
   * An endpoint silent for this many milliseconds is removed ('expired'); longer than
   * intervalMs. Default 3000.
   */
  readonly expiryMs?: number;
  /**
   * Local IPv4 address the beacon socket binds (the port is ephemeral). Default: the
   * discovery's `bind`, else 0.0.0.0.
   */
  readonly bind?: string;
  /**
   * IPv4 address of the interface multicast beacons leave through. Default: the discovery's
   * `interface`, else the bind address unless it is 0.0.0.0, else the OS's route.
   */
  readonly interface?: string;
  /** IP TTL of multicast beacons, 0 to 255. Default 1 (the local link). */
  readonly multicastTtl?: number;
}

export interface ResolvedBeaconOptions {
  readonly address: string;
  readonly port: number;
  readonly intervalMs: number;
  readonly expiryMs: number;
  readonly bind: string;
  readonly interface: string | undefined;
  readonly multicastTtl: number;
}

/** Fills in defaults and checks every field; throws ValueError naming the bad one. */
export function resolveBeaconOptions(
  options: BeaconOptions,
  shared: { readonly bind?: string | undefined; readonly interface?: string | undefined },
): ResolvedBeaconOptions {
  const intervalMs = checkDurationMs(
    options.intervalMs ?? DEFAULT_BEACON_INTERVAL_MS,
    'beacon.intervalMs',
  );
  const expiryMs = checkDurationMs(options.expiryMs ?? DEFAULT_BEACON_EXPIRY_MS, 'beacon.expiryMs');
  if (expiryMs <= intervalMs) {
    throw new ValueError(
      'BAD_FIELD',
      `beacon.expiryMs: must be longer than one beacon interval (${intervalMs} ms), got ${expiryMs}`,
    );
  }
  const multicastTtl = options.multicastTtl ?? DEFAULT_BEACON_MULTICAST_TTL;
  if (!Number.isInteger(multicastTtl) || multicastTtl < 0 || multicastTtl > 0xff) {
    throw new ValueError(
      'BAD_FIELD',
      `beacon.multicastTtl: expected an integer from 0 to 255, got ${String(multicastTtl)}`,
    );
  }
  const bind = checkIPv4(options.bind ?? shared.bind ?? '0.0.0.0', 'beacon.bind');
  const iface = options.interface ?? shared.interface ?? (bind === '0.0.0.0' ? undefined : bind);
  return {
    address: checkIPv4(options.address ?? DEFAULT_DISCOVERY_GROUP, 'beacon.address'),
    port: checkPort(options.port ?? DEFAULT_UDP_PORT, 'beacon.port'),
    intervalMs,
    expiryMs,
    bind,
    interface: iface === undefined ? undefined : checkIPv4(iface, 'beacon.interface'),
    multicastTtl,
  };
}

const DISCOVERY_DATAGRAM = encode({ type: 'discovery' });

/**
 * Sends DSCV beacons on a period and turns each valid CONN answer into an endpoint view
 * (PROTOCOL.md §5.4, §5.5). Anything else that arrives is counted, never thrown.
 */
export class BeaconSource {
  readonly #socket: Socket;
  readonly #options: ResolvedBeaconOptions;
  readonly #sink: EndpointSink;
  readonly #counters: BeaconCounters;
  /** When each endpoint that answered last did (performance.now() ms), by id. */
  readonly #heardAtMs = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #closing: Promise<void> | undefined;

  /** Binds the socket and starts beaconing; rejects with NetworkError on a socket failure. */
  static async open(
    options: ResolvedBeaconOptions,
    sink: EndpointSink,
    counters: BeaconCounters,
  ): Promise<BeaconSource> {
    const socket = createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: options.bind, port: 0 }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      socket.close();
      throw bindError('beacon socket', options.bind, 0, error);
    }
    try {
      // Broadcast targets need SO_BROADCAST; it changes nothing for unicast or multicast ones.
      socket.setBroadcast(true);
      socket.setMulticastTTL(options.multicastTtl);
      // So that a server on this very host hears multicast beacons.
      socket.setMulticastLoopback(true);
      if (options.interface !== undefined) socket.setMulticastInterface(options.interface);
    } catch (error) {
      await new Promise<void>((resolve) => socket.close(resolve));
      throw new NetworkError(
        'BAD_OPTION',
        `beacon socket: could not set up multicast (interface ${options.interface ?? 'default'}): ${(error as Error).message}`,
        { cause: error },
      );
    }
    return new BeaconSource(socket, options, sink, counters);
  }

  private constructor(
    socket: Socket,
    options: ResolvedBeaconOptions,
    sink: EndpointSink,
    counters: BeaconCounters,
  ) {
    this.#socket = socket;
    this.#options = options;
    this.#sink = sink;
    this.#counters = counters;
    socket.on('message', (datagram, rinfo) => this.#receive(datagram, rinfo));
    socket.on('error', () => (this.#counters.socketErrors += 1));
    // The socket, not the timer, keeps the process alive.
    this.#timer = setInterval(() => this.#tick(), options.intervalMs).unref();
    this.#tick();
  }

  /** Stops beaconing and closes the socket; resolves once it is closed. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      clearInterval(this.#timer);
      this.#socket.close(() => resolve());
    });
    return this.#closing;
  }

  #tick(): void {
    const { address, port, expiryMs } = this.#options;
    this.#socket.send(DISCOVERY_DATAGRAM, port, address, (error) => {
      if (error === null) this.#counters.sent += 1;
      else this.#counters.socketErrors += 1;
    });
    // Checked once per beacon: removal comes expiryMs to expiryMs + intervalMs after an answer.
    const now = performance.now();
    for (const [id, heardAtMs] of this.#heardAtMs) {
      if (now - heardAtMs < expiryMs) continue;
      this.#heardAtMs.delete(id);
      this.#sink.lost('beacon', id, 'expired');
    }
  }

  #receive(datagram: Buffer, rinfo: RemoteInfo): void {
    if (this.#closing !== undefined) return;
    let message: ServerMessage;
    try {
      message = decodeMessage(datagram, 'server');
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.#counters.rejected[error.code] += 1;
      return;
    }
    if (message.type !== 'connect') {
      this.#counters.ignored += 1;
      return;
    }
    this.#counters.offers += 1;
    const endpoint: Endpoint = {
      id: message.endpointId,
      name: message.name,
      host: rinfo.address,
      udpPort: rinfo.port,
      controlPort: message.controlPort,
      protocolVersion: datagramVersion(datagram),
      formats: message.formats,
      via: ['beacon'],
    };
    this.#heardAtMs.set(endpoint.id, performance.now());
    this.#sink.seen('beacon', endpoint);
  }
}
