import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { REDUNDANCY_CAPABILITY, STATS_CAPABILITY, type StreamFormats } from '@syfala/proto';
import type { PskInput } from './control/auth.js';
import type { ControlChannel, ServerOffer } from './control/channel.js';
import { connectTcpControl } from './control/tcp-client.js';
import { connectUdpControl } from './control/udp-client.js';
import type { Endpoint } from './endpoint.js';
import { ControlError, NetworkError } from './errors.js';
import {
  openClientSession,
  type ClientSessionOptions,
  type Connected,
} from './session/client-session.js';

/** Where to connect: a discovered Endpoint, or just the address and ports. */
export type ConnectTarget = Pick<Endpoint, 'host' | 'udpPort' | 'controlPort'>;

export interface ConnectOptions extends ClientSessionOptions {
  /** Control channel. Default 'tcp' when the endpoint has a control port, else 'udp'. */
  readonly transport?: 'tcp' | 'udp';
  /** Shown to the server. Default: this machine's host name. */
  readonly clientName?: string;
  /** 128-bit client id, lowercase 8-4-4-4-12 hex. Default: random per connection. */
  readonly clientId?: string;
  /** Pre-shared key (TCP control only). */
  readonly psk?: PskInput;
  /**
   * Offer encrypted audio (TCP control only; SECURITY.md): the session's `encrypted` says
   * whether the server took it. Default true; false for clear audio (measurement, or an old
   * server that requires a pre-shared key and would answer AUTH_FAILED).
   */
  readonly encryption?: boolean;
  /** TCP handshake time limit, ms. Default 2000. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Local address for the client's UDP socket (audio, and control over UDP), and the one TCP
   * control connects from, since the server sends audio to that one. Default: the loopback
   * address for a loopback server, else every address (and the system's choice for TCP).
   */
  readonly localAddress?: string;
  /**
   * The UDP port this client receives audio on, when an audio engine owns that socket (TCP
   * control only: over UDP control, audio shares the control socket). Default: connect() binds one.
   */
  readonly udpAudioPort?: number;
  /** The client's format policy: return false to refuse the server's offer. Default: accept. */
  readonly acceptFormats?: (formats: StreamFormats) => boolean;
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/**
 * Connects to a server and returns the session's first state, Connected (I/O inactive).
 * Rejects with NetworkError (unreachable, bad option) or ControlError (REFUSAL with the server's
 * `disconnectReason`, AUTH_FAILED, TIMEOUT).
 */
export async function connect(
  target: ConnectTarget,
  options: ConnectOptions = {},
): Promise<Connected> {
  const transport = options.transport ?? (target.controlPort > 0 ? 'tcp' : 'udp');
  if (transport === 'tcp' && !(target.controlPort > 0)) {
    throw new NetworkError(
      'BAD_OPTION',
      `${target.host} speaks UDP control only: connect with transport 'udp'`,
    );
  }
  if (options.udpAudioPort !== undefined) {
    if (transport === 'udp') {
      throw new NetworkError(
        'BAD_OPTION',
        'udpAudioPort: over UDP control, audio shares the control socket',
      );
    }
    const { channel, offer } = await connectTcp(target, options, options.udpAudioPort);
    return openClientSession(channel, offer, options);
  }
  // The client's audio socket; over UDP control it carries control too. The session owns it.
  const socket = await bindClientSocket(target, options);
  try {
    const { channel, offer } =
      transport === 'tcp'
        ? await connectTcp(target, options, socket.address().port)
        : await connectUdp(target, options, socket);
    return openClientSession(channel, offer, options, () => socket.close());
  } catch (error) {
    socket.close();
    throw error;
  }
}

async function bindClientSocket(target: ConnectTarget, options: ConnectOptions): Promise<Socket> {
  const socket = createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
  const localAddress = options.localAddress ?? defaultLocalAddress(target.host);
  socket.bind(0, localAddress);
  try {
    await Promise.race([
      once(socket, 'listening'),
      once(socket, 'error').then(([error]) => Promise.reject(error as Error)),
    ]);
  } catch (error) {
    socket.close();
    throw new NetworkError(
      'BIND_FAILED',
      `cannot bind a UDP socket on ${localAddress ?? 'every address'}: ${(error as Error).message}`,
    );
  }
  return socket;
}

function defaultLocalAddress(host: string): string | undefined {
  if (!LOOPBACK.test(host)) return undefined;
  return isIPv6(host) ? '::1' : '127.0.0.1';
}

async function connectTcp(
  target: ConnectTarget,
  options: ConnectOptions,
  udpAudioPort: number,
): Promise<{ channel: ControlChannel; offer: ServerOffer }> {
  const connection = await connectTcpControl({
    host: target.host,
    port: target.controlPort,
    clientId: options.clientId ?? randomUUID(),
    clientName: options.clientName ?? hostname(),
    // The session understands a granted redundancy whatever it asks (Connected.startIo), and
    // takes the server's Stats (peerStats).
    capabilities: [REDUNDANCY_CAPABILITY, STATS_CAPABILITY],
    udpAudioPort,
    ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
    ...(options.psk !== undefined && { psk: options.psk }),
    ...(options.encryption !== undefined && { encryption: options.encryption }),
    ...(options.handshakeTimeoutMs !== undefined && {
      handshakeTimeoutMs: options.handshakeTimeoutMs,
    }),
  });
  if (options.acceptFormats?.(connection.offer.formats) === false) {
    const text = 'the client cannot handle the offered formats';
    connection.channel.send({ type: 'disconnect', reason: 'format-unsupported', text });
    connection.channel.close();
    throw new ControlError('REFUSAL', `refused the server's offer: ${text}`, {
      disconnectReason: 'format-unsupported',
    });
  }
  return connection;
}

function connectUdp(
  target: ConnectTarget,
  options: ConnectOptions,
  socket: Socket,
): Promise<{ channel: ControlChannel; offer: ServerOffer }> {
  const requests = options.requests ?? {};
  return connectUdpControl({
    host: target.host,
    port: target.udpPort,
    socket,
    ...(requests.retransmitMs !== undefined && { retransmitMs: requests.retransmitMs }),
    ...(requests.maxAttempts !== undefined && { maxAttempts: requests.maxAttempts }),
    accept: (offer) =>
      options.acceptFormats?.(offer.formats) === false
        ? {
            admit: false,
            reason: 'format-unsupported',
            text: 'the client cannot handle the offered formats',
          }
        : { admit: true },
  });
}
