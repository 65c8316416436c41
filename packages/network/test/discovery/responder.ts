import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { DecodeError, decodeMessage, encode, type Connect } from '@syfala/proto';
import { joinDiscoveryGroup } from '../../src/discovery/index.js';

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
  /** DSCV beacons received, answered or not. */
  beacons = 0;

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
      this.beacons += 1;
      if (!this.answering) return;
      for (const bytes of [answer, ...this.followUp]) {
        socket.send(bytes, rinfo.port, rinfo.address);
      }
    });
  }

  get port(): number {
    return this.#socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
