import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { DecodeError, decodeMessage, encode, type Connect } from '@syfala/proto';
import { joinDiscoveryGroup } from '../../src/discovery/index.js';
import { until } from './event-log.js';

/**
 * A server's discovery side, for tests: a real UDP socket on 0.0.0.0 (ephemeral port) that
 * answers each DSCV with a real encoded CONN, the way the server daemon does in production.
 */
export class BeaconResponder {
  readonly offer: Connect;
  readonly #socket: Socket;
  /** Answer beacons; set false to fall silent (the endpoint then expires). */
  answering = true;
  /** Sent right after each CONN, to the same client: garbage from a server that answered well. */
  followUp: readonly Uint8Array[] = [];
  /** The source port of each DSCV beacon received, answered or not, in arrival order. */
  readonly heard: number[] = [];

  static async open(
    offer: Partial<Omit<Connect, 'type'>> = {},
    options: { joinGroupOn?: string } = {},
  ): Promise<BeaconResponder> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '0.0.0.0', resolve));
    if (options.joinGroupOn !== undefined) {
      joinDiscoveryGroup(socket, { interfaces: [options.joinGroupOn] });
    }
    return new BeaconResponder(socket, {
      type: 'connect',
      endpointId: offer.endpointId ?? randomUUID(),
      name: offer.name ?? 'Test responder',
      controlPort: offer.controlPort ?? 6911,
      formats: offer.formats ?? {
        inputs: [{ sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 }],
        outputs: [{ sampleType: 'i24', sampleRate: 48_000, channels: 8, bufferFrames: 64 }],
      },
    });
  }

  private constructor(socket: Socket, offer: Connect) {
    this.#socket = socket;
    this.offer = offer;
    const answer = encode(offer);
    socket.on('message', (datagram, rinfo) => {
      try {
        if (decodeMessage(datagram, 'client').type !== 'discovery') return;
      } catch (error) {
        if (error instanceof DecodeError) return;
        throw error;
      }
      this.heard.push(rinfo.port);
      if (!this.answering) return;
      for (const bytes of [answer, ...this.followUp]) {
        socket.send(bytes, rinfo.port, rinfo.address);
      }
    });
  }

  /** DSCV beacons received, answered or not. */
  get beacons(): number {
    return this.heard.length;
  }

  get port(): number {
    return this.#socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}

/** Where a witness's beacons fell among those a responder heard: the others' ports. */
export interface Witnessed {
  /** Heard before the witness's last beacon. */
  readonly before: readonly number[];
  /** Heard between the witness's first and last beacons. */
  readonly between: readonly number[];
}

/**
 * Proves that a discovery is silent by what must come after its beacons, not by a sleep: a
 * socket of the test's own beacons `responder` every `intervalMs`, as a discovery does, until it
 * has heard `count` of them. A discovery beaconing the responder at that interval would have
 * been heard before the witness's last beacon (it beacons as it opens, then every interval), and
 * between its first and last (they are `count - 1` intervals apart).
 */
export async function witness(
  responder: BeaconResponder,
  intervalMs: number,
  count = 3,
): Promise<Witnessed> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  const beacon = (): void =>
    socket.send(encode({ type: 'discovery' }), responder.port, '127.0.0.1');
  const timer = setInterval(beacon, intervalMs);
  beacon();
  try {
    await until(
      () => responder.heard.filter((from) => from === port).length >= count,
      intervalMs * count + 2000,
      `the responder hearing ${count} beacons from the witness`,
    );
  } finally {
    clearInterval(timer);
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  const mine = responder.heard.flatMap((from, index) => (from === port ? [index] : []));
  const first = mine[0]!;
  const last = mine[count - 1]!;
  const others = (start: number): number[] =>
    responder.heard.slice(start, last).filter((from) => from !== port);
  return { before: others(0), between: others(first) };
}
