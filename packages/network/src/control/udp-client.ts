import type { RemoteInfo, Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  isAudioTagCode,
  PREAMBLE_BYTES,
  PROTOCOL_VERSION,
  decodeMessage,
  encode,
  type Message,
  type ServerMessage,
} from '@syfala/proto';
import { ControlError, NetworkError } from '../errors.js';
import { formatAddress, isLoopback } from './address.js';
import type { Admission, ServerOffer } from './channel.js';
import { DatagramSender, bindUdpSocket } from './datagram-socket.js';
import { UdpControlChannel } from './udp-channel.js';

/** Time to wait for an answer before sending a UDP control message again, in ms (PROTOCOL.md §6). */
export const UDP_RETRANSMIT_MS = 200;
/** Times a UDP control message is sent before the request counts as failed (PROTOCOL.md §6). */
export const UDP_MAX_ATTEMPTS = 5;

export interface UdpControlConnectOptions {
  readonly host: string;
  /** The server's UDP port. */
  readonly port: number;
  /**
   * A bound UDP socket to use (the audio plane shares it); the channel never closes it. Without
   * one, the client binds its own on the loopback address for a loopback host, else on all
   * addresses, and the channel closes it.
   */
  readonly socket?: Socket;
  /** Default UDP_RETRANSMIT_MS. */
  readonly retransmitMs?: number;
  /** DSCV, then CRES, are each sent at most this many times (default UDP_MAX_ATTEMPTS). */
  readonly maxAttempts?: number;
  /** The client's format policy: a refusal answers the offer with CRES refusal. Default: accept. */
  accept?(offer: ServerOffer): Admission;
}

export interface UdpControlConnection {
  readonly channel: UdpControlChannel;
  readonly offer: ServerOffer;
}

/**
 * Connects to a server over UDP control (PROTOCOL.md §6): DSCV until a CONN arrives, then
 * CRES ok until the server confirms with its first message (its first BEAT, usually). Rejects
 * with ControlError TIMEOUT when either step gets no answer after `maxAttempts` sends,
 * ControlError REFUSAL (with `disconnectReason`) when the server answers DCON or VERS or `accept`
 * refuses the offer, and ControlError AUTH_FAILED when the server wants a key (UDP has none).
 */
export async function connectUdpControl(
  options: UdpControlConnectOptions,
): Promise<UdpControlConnection> {
  const { host, port } = options;
  const retransmitMs = options.retransmitMs ?? UDP_RETRANSMIT_MS;
  const maxAttempts = options.maxAttempts ?? UDP_MAX_ATTEMPTS;
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) {
    throw new NetworkError('BAD_OPTION', `port: expected a port from 1 to 65535, got ${port}`);
  }
  if (!(retransmitMs > 0)) {
    throw new NetworkError(
      'BAD_OPTION',
      `retransmitMs: expected a positive number, got ${retransmitMs}`,
    );
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new NetworkError(
      'BAD_OPTION',
      `maxAttempts: expected an integer ≥ 1, got ${maxAttempts}`,
    );
  }
  // Replies are matched on their source address, so it must be numeric.
  const address = isIP(host) === 0 ? (await lookup(host)).address : host;
  const v6 = isIP(address) === 6;
  const owned = options.socket === undefined;
  const socket =
    options.socket ??
    (await bindUdpSocket(
      isLoopback(address) ? (v6 ? '::1' : '127.0.0.1') : v6 ? '::' : '0.0.0.0',
      0,
      'UDP control',
    ));
  const sender = new DatagramSender(socket, owned);
  const where = formatAddress(address, port);
  const discovery = encode({ type: 'discovery' });
  const accepted = encode({ type: 'connection-result', outcome: 'ok' });

  return new Promise((resolve, reject) => {
    /** Discovering: DSCV until CONN. Confirming: CRES ok until the server's first message. */
    let phase: 'discovering' | 'confirming' | 'connected' | 'failed' = 'discovering';
    let attempts = 0;
    let timer: NodeJS.Timeout | undefined;
    let offer: ServerOffer | undefined;
    /** The channel's, once connected. */
    let receive: ((message: Message) => void) | undefined;
    let failChannel: ((error: Error) => void) | undefined;

    const stopListening = (): void => {
      socket.off('message', onDatagram);
      socket.off('close', onSocketClose);
      socket.off('error', onSocketError);
    };
    const fail = (error: Error): void => {
      if (phase === 'failed' || phase === 'connected') return;
      phase = 'failed';
      clearTimeout(timer);
      stopListening();
      void sender.close();
      reject(error);
    };

    const transmit = (): void => {
      if (attempts === maxAttempts) {
        if (phase === 'discovering') {
          fail(
            new ControlError(
              'TIMEOUT',
              `no CONN from ${where} after ${maxAttempts} DSCV sent ${retransmitMs} ms apart`,
            ),
          );
        } else {
          // The server may have admitted us and lost every answer: tell it we are gone.
          sender.send(encode({ type: 'disconnect', reason: 'timeout' }), port, address);
          fail(
            new ControlError(
              'TIMEOUT',
              `${where} did not confirm the connection after ${maxAttempts} CRES sent ${retransmitMs} ms apart`,
            ),
          );
        }
        return;
      }
      attempts++;
      sender.send(phase === 'discovering' ? discovery : accepted, port, address);
      timer = setTimeout(transmit, retransmitMs);
    };

    const onServerMessage = (message: ServerMessage): void => {
      if (phase === 'connected') {
        receive!(message);
        return;
      }
      switch (message.type) {
        case 'connect': {
          // A second CONN answers a retransmitted DSCV: the first one was taken already.
          if (phase !== 'discovering') return;
          offer = {
            endpointId: message.endpointId,
            endpointName: message.name,
            formats: message.formats,
            protocolVersion: PROTOCOL_VERSION,
            udpAudioPort: port,
            capabilities: [],
          };
          const admission = options.accept?.(offer) ?? { admit: true };
          if (!admission.admit) {
            sender.send(encode({ type: 'connection-result', outcome: 'refusal' }), port, address);
            fail(
              new ControlError(
                'REFUSAL',
                `refused the offer of ${where}: ${admission.reason}${admission.text === '' ? '' : ` (${admission.text})`}`,
                { reason: admission.text, disconnectReason: admission.reason },
              ),
            );
            return;
          }
          clearTimeout(timer);
          phase = 'confirming';
          attempts = 0;
          transmit();
          return;
        }
        case 'disconnect':
          fail(
            new ControlError(
              message.reason === 'auth-failed' ? 'AUTH_FAILED' : 'REFUSAL',
              `${where} refused the connection: ${message.reason}`,
              { disconnectReason: message.reason },
            ),
          );
          return;
        case 'version-not-supported':
          fail(
            new ControlError(
              'REFUSAL',
              `${where} speaks UDP protocol versions ${message.minVersion} to ${message.maxVersion}; this client speaks ${PROTOCOL_VERSION}`,
              { disconnectReason: 'version-unsupported' },
            ),
          );
          return;
        default: {
          // Before an offer, a stray from an earlier connection; after it, the confirmation.
          if (phase !== 'confirming') return;
          clearTimeout(timer);
          phase = 'connected';
          const channel = new UdpControlChannel({
            peer: { address, port },
            send: (datagram) => sender.send(datagram, port, address),
            attach: (onMessage, onFail) => {
              receive = onMessage;
              failChannel = onFail;
            },
            detach: () => {
              stopListening();
              void sender.close();
            },
          });
          receive!(message);
          resolve({ channel, offer: offer! });
        }
      }
    };

    function onDatagram(datagram: Buffer, from: RemoteInfo): void {
      // Other datagrams on a shared socket are someone else's.
      if (from.address !== address || from.port !== port) return;
      // Audio is the audio plane's: skipped on its tag, without decoding.
      if (datagram.length >= PREAMBLE_BYTES && isAudioTagCode(datagram.readUInt32LE(4))) return;
      let message: ServerMessage;
      try {
        message = decodeMessage(datagram, 'server');
      } catch {
        // A bad datagram never changes a connection (PROTOCOL.md §8).
        return;
      }
      onServerMessage(message);
    }
    function onSocketClose(): void {
      lost(
        new NetworkError(
          'CONNECTION_CLOSED',
          `the UDP socket used for control with ${where} was closed`,
        ),
      );
    }
    function onSocketError(error: Error): void {
      lost(
        new NetworkError(
          'CONNECTION_CLOSED',
          `UDP control with ${where} failed: ${error.message}`,
          {
            cause: error,
          },
        ),
      );
    }
    const lost = (error: Error): void => {
      if (phase === 'connected') failChannel!(error);
      else fail(error);
    };

    socket.on('message', onDatagram);
    socket.on('close', onSocketClose);
    // A shared socket's errors are its owner's to handle.
    if (owned) socket.on('error', onSocketError);
    transmit();
  });
}
