import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  ControlFrameDecoder,
  encodeControlFrame,
  type ControlMessage,
  type StreamFormats,
} from '@syfala/proto';
import { onTestFinished } from 'vitest';
import type { ChannelHandlers, ControlChannel, SessionMessage } from '../../src/control/channel.js';

export const ENDPOINT_ID = '6f1c2a3b-4d5e-4f60-8172-839405a6b7c8';
export const CLIENT_ID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const FORMATS: StreamFormats = {
  inputs: [{ sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 }],
  outputs: [{ sampleType: 'i24', sampleRate: 48_000, channels: 8, bufferFrames: 64 }],
};

/** Polls `predicate` every 10 ms until it holds; fails after `timeoutMs` naming `what`. */
export async function waitFor(
  what: string,
  predicate: () => boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Everything a channel delivers, with a way to await the next message of a type. */
export class ChannelRecorder {
  readonly messages: SessionMessage[] = [];
  readonly closed: Promise<Error | undefined>;
  closedCalls = 0;
  #resolveClosed!: (error: Error | undefined) => void;

  constructor(
    readonly channel: ControlChannel,
    extra: Partial<ChannelHandlers> = {},
  ) {
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    channel.listen({
      message: (message) => {
        this.messages.push(message);
        extra.message?.(message);
      },
      closed: (error) => {
        this.closedCalls++;
        this.#resolveClosed(error);
        extra.closed?.(error);
      },
    });
  }

  /** The first message of `type` delivered (now or later). */
  async next<T extends SessionMessage['type']>(
    type: T,
    timeoutMs = 5000,
  ): Promise<Extract<SessionMessage, { type: T }>> {
    let found: SessionMessage | undefined;
    await waitFor(
      `a ${type} message`,
      () => (found = this.messages.find((m) => m.type === type)) !== undefined,
      timeoutMs,
    );
    return found as Extract<SessionMessage, { type: T }>;
  }
}

/** A TCP peer speaking raw control frames (or raw bytes), for what the library would not send. */
export class RawTcpPeer {
  readonly frames: ControlMessage[] = [];
  readonly closed: Promise<void>;
  readonly #decoder = new ControlFrameDecoder();

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.frames.push(...this.#decoder.push(chunk)));
  }

  /** Connects to 127.0.0.1:`port` from `localAddress` (any loopback address; default the system's). */
  static async connect(port: number, localAddress?: string): Promise<RawTcpPeer> {
    const socket = connect({ host: '127.0.0.1', port, ...(localAddress && { localAddress }) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const peer = new RawTcpPeer(socket);
    onTestFinished(async () => {
      socket.destroy();
      await peer.closed;
    });
    return peer;
  }

  send(message: ControlMessage | Uint8Array): void {
    this.socket.write(message instanceof Uint8Array ? message : encodeControlFrame(message));
  }

  async next<T extends ControlMessage['type']>(
    type: T,
    timeoutMs = 5000,
  ): Promise<Extract<ControlMessage, { type: T }>> {
    let found: ControlMessage | undefined;
    await waitFor(
      `a ${type} frame`,
      () => (found = this.frames.find((m) => m.type === type)) !== undefined,
      timeoutMs,
    );
    return found as Extract<ControlMessage, { type: T }>;
  }
}

type Direction = 'toServer' | 'toClient';

/**
 * A TCP relay to 127.0.0.1:`targetPort` that keeps every byte it forwards, per direction.
 * `drop` decides, per chunk and direction, whether it is lost (a peer gone silent, for instance).
 * With `rewrite`, it is a man in the middle of TCP control: it decodes every frame and forwards
 * what `rewrite` makes of it, encoded afresh, so it can swap or strip fields.
 */
export async function tcpRelay(
  targetPort: number,
  drop: (direction: Direction) => boolean = () => false,
  rewrite?: (message: ControlMessage, direction: Direction) => ControlMessage,
): Promise<{ port: number; toServer: Buffer[]; toClient: Buffer[] }> {
  const toServer: Buffer[] = [];
  const toClient: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    // A close crosses the relay like data: not in a direction that drops (a dead path has no FIN).
    const pairs = [
      [client, upstream, 'toServer'],
      [upstream, client, 'toClient'],
    ] as const;
    for (const [socket, other, direction] of pairs) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => {
        sockets.delete(socket);
        if (!drop(direction)) other.destroy();
      });
    }
    const forward = (to: Socket, direction: Direction): ((chunk: Buffer) => void) => {
      const decoder = new ControlFrameDecoder();
      return (chunk) => {
        if (drop(direction)) return;
        (direction === 'toServer' ? toServer : toClient).push(chunk);
        if (rewrite === undefined) to.write(chunk);
        else {
          for (const message of decoder.push(chunk)) {
            to.write(encodeControlFrame(rewrite(message, direction)));
          }
        }
      };
    };
    client.on('data', forward(upstream, 'toServer'));
    upstream.on('data', forward(client, 'toClient'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, toServer, toClient };
}

/** A UDP socket bound on 127.0.0.1, closed when the test ends, keeping what it receives. */
export async function udpSocket(): Promise<{
  socket: UdpSocket;
  port: number;
  received: { datagram: Buffer; from: RemoteInfo }[];
}> {
  const socket = createSocket('udp4');
  const received: { datagram: Buffer; from: RemoteInfo }[] = [];
  socket.on('message', (datagram, from) => received.push({ datagram, from }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { socket, port: socket.address().port, received };
}

/**
 * A UDP relay for one client in front of 127.0.0.1:`targetPort`: the server sees the relay's
 * address. `drop` decides, per datagram and direction, whether it is lost.
 */
export async function udpRelay(
  targetPort: number,
  drop: (datagram: Buffer, direction: 'toServer' | 'toClient') => boolean,
): Promise<{ port: number }> {
  const { socket, port } = await udpSocket();
  let client: RemoteInfo | undefined;
  socket.on('message', (datagram, from) => {
    const fromServer = from.port === targetPort;
    if (!fromServer) client = from;
    if (drop(datagram, fromServer ? 'toClient' : 'toServer')) return;
    if (fromServer) {
      if (client !== undefined) socket.send(datagram, client.port, client.address);
    } else {
      socket.send(datagram, targetPort, '127.0.0.1');
    }
  });
  return { port };
}

/** The 4-letter tag of a wire datagram. */
export function tagOf(datagram: Uint8Array): string {
  return String.fromCharCode(...datagram.subarray(4, 8));
}

/** The rejection of `promise`, which must reject. */
export async function rejection<E = Error>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise;
  } catch (error) {
    return error as E;
  }
  throw new Error('expected a rejection');
}

/** Heartbeat one way and back: the channel pair still works. */
export async function exchange(
  client: ChannelRecorder,
  server: ChannelRecorder,
  sequence: number,
): Promise<void> {
  client.channel.send({ type: 'heartbeat', sequence, senderTimeUs: sequence * 1000 });
  server.channel.send({ type: 'heartbeat', sequence, senderTimeUs: sequence * 2000 });
  await waitFor(`heartbeat ${sequence} both ways`, () =>
    [client, server].every((side) =>
      side.messages.some((m) => m.type === 'heartbeat' && m.sequence === sequence),
    ),
  );
}
