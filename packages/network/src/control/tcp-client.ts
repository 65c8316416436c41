import { connect as netConnect } from 'node:net';
import {
  CONTROL_PROTOCOL_VERSION,
  DecodeError,
  ENCRYPTED_AUDIO_CAPABILITY,
  KeyShare,
  encodeControlFrame,
  isId,
  type AuthResponse,
  type ControlDisconnect,
  type ControlHello,
  type ControlMessage,
  type DisconnectReason,
} from '@syfala/proto';
import { ControlError, controlErrorFromFrame, NetworkError } from '../errors.js';
import { formatAddress } from './address.js';
import { deriveAudioKeys, type AudioKeys } from './audio-keys.js';
import { PresharedKey, macMatches, randomNonce, type PskInput } from './auth.js';
import type { ServerOffer } from './channel.js';
import { FrameSocket } from './frame-socket.js';
import { TcpControlChannel, sharedCapabilities } from './tcp-channel.js';

/** Time a TCP control handshake may take, connecting included, in milliseconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 2000;

export interface TcpControlConnectOptions {
  readonly host: string;
  /** The server's TCP control port. */
  readonly port: number;
  /** The client's 128-bit id, lowercase 8-4-4-4-12 hex, stable across connections. */
  readonly clientId: string;
  readonly clientName: string;
  readonly capabilities?: readonly string[];
  /** The UDP port this client receives audio on (1-65535), at the address it connects from. */
  readonly udpAudioPort: number;
  /**
   * Local address to connect from. The server sends audio to this connection's source address
   * (CONTROL.md §3, Hello): it must be the audio socket's. Default: the system's choice.
   */
  readonly localAddress?: string;
  /**
   * Pre-shared key (CONTROL.md §5). With one, the client also refuses a server that does not
   * prove it holds the same key, even one that asks for no key at all.
   */
  readonly psk?: PskInput;
  /**
   * Offer encrypted audio (SECURITY.md §2): ENCRYPTED_AUDIO_CAPABILITY and a fresh key share.
   * Default true; false for measurement, or for an old server that requires a pre-shared key
   * (it can't check a MAC that covers a share, so it answers AUTH_FAILED).
   */
  readonly encryption?: boolean;
  /** Default DEFAULT_HANDSHAKE_TIMEOUT_MS. */
  readonly handshakeTimeoutMs?: number;
  /** Largest control frame accepted from the server, in bytes (default 64 KiB). */
  readonly maxFrameBytes?: number;
}

export interface TcpControlConnection {
  readonly channel: TcpControlChannel;
  readonly offer: ServerOffer;
}

/**
 * Opens a TCP control connection and runs the client's handshake (CONTROL.md §4, §5): Hello,
 * the key proof when challenged, Welcome, and the audio keys when both sides offer encrypted
 * audio (SECURITY.md §2; the channel's `audioKeys`). Rejects with NetworkError CONNECT_FAILED when the
 * server can't be reached, ControlError TIMEOUT when it does not answer in time, ControlError
 * AUTH_FAILED when either side's key proof fails, ControlError REFUSAL (with `disconnectReason`)
 * when it refuses us, and DecodeError when it sends a broken frame.
 */
export async function connectTcpControl(
  options: TcpControlConnectOptions,
): Promise<TcpControlConnection> {
  const { host, port, clientId, clientName, udpAudioPort } = options;
  // A fresh key pair for every connection: forward secrecy (SECURITY.md §1).
  const keyShare = options.encryption === false ? undefined : new KeyShare();
  const capabilities = [
    ...(options.capabilities ?? []).filter((name) => name !== ENCRYPTED_AUDIO_CAPABILITY),
    ...(keyShare === undefined ? [] : [ENCRYPTED_AUDIO_CAPABILITY]),
  ];
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  checkPort(port, 'port');
  checkPort(udpAudioPort, 'udpAudioPort');
  if (!isId(clientId)) {
    throw new NetworkError(
      'BAD_OPTION',
      `clientId: expected a lowercase 8-4-4-4-12 hex id, got ${String(clientId)}`,
    );
  }
  if (!(timeoutMs > 0)) {
    throw new NetworkError(
      'BAD_OPTION',
      `handshakeTimeoutMs: expected a positive number, got ${timeoutMs}`,
    );
  }
  const key = options.psk === undefined ? undefined : new PresharedKey(options.psk);
  const where = formatAddress(host, port);
  const hello = (requestId: number, auth?: AuthResponse): ControlHello => ({
    type: 'hello',
    requestId,
    protocolVersion: CONTROL_PROTOCOL_VERSION,
    clientId,
    clientName,
    capabilities,
    udpAudioPort,
    ...(auth && { auth }),
    ...(keyShare !== undefined && { keyShare: keyShare.share }),
  });
  // Encoding once up front turns a bad name or capability into a ValueError before connecting.
  encodeControlFrame(hello(1));

  return new Promise((resolve, reject) => {
    const socket = netConnect({
      host,
      port,
      noDelay: true,
      ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
    });
    let frames: FrameSocket | undefined;
    let settled = false;
    /** The Hello being answered: 1, then 2 once it carries the key proof. */
    let helloId = 1;
    let challenge: { nonce: Uint8Array; clientNonce: Uint8Array } | undefined;

    /** Ends the attempt: closes the connection, after a Disconnect when `disconnect` is given. */
    const fail = (error: Error, disconnect?: { reason: DisconnectReason; text: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (frames === undefined) socket.destroy();
      else frames.close(disconnect && { type: 'disconnect', requestId: 0, ...disconnect });
      reject(error);
    };
    const protocolError = (text: string): void =>
      fail(
        new ControlError('REFUSAL', `control server at ${where} broke the protocol: ${text}`, {
          reason: text,
          disconnectReason: 'protocol-error',
        }),
        { reason: 'protocol-error', text },
      );

    const timer = setTimeout(() => {
      if (frames === undefined) {
        fail(
          new NetworkError(
            'CONNECT_FAILED',
            `could not connect to the control server at ${where} within ${timeoutMs} ms`,
          ),
        );
      } else {
        fail(
          new ControlError(
            'TIMEOUT',
            `control server at ${where} did not complete the handshake within ${timeoutMs} ms`,
          ),
          { reason: 'timeout', text: `no Welcome within ${timeoutMs} ms` },
        );
      }
    }, timeoutMs);

    const onConnectError = (error: NodeJS.ErrnoException): void =>
      fail(
        new NetworkError(
          'CONNECT_FAILED',
          `could not connect to the control server at ${where} (${error.code ?? error.message})`,
          { cause: error },
        ),
      );

    const onMessage = (message: ControlMessage): void => {
      switch (message.type) {
        case 'auth-challenge': {
          // A stale answer (to a Hello already replaced) is ignored, as any unmatched response.
          if (message.requestId !== helloId) return;
          if (key === undefined) {
            fail(
              new ControlError(
                'AUTH_FAILED',
                `control server at ${where} requires a pre-shared key, and none is configured`,
              ),
              { reason: 'normal', text: 'no pre-shared key configured' },
            );
            return;
          }
          if (challenge !== undefined) {
            protocolError('a second AuthChallenge (a server challenges at most once)');
            return;
          }
          challenge = { nonce: message.nonce, clientNonce: randomNonce() };
          helloId = 2;
          const mac = key.clientMac(
            challenge.nonce,
            challenge.clientNonce,
            clientId,
            keyShare?.share,
          );
          frames!.send(hello(helloId, { clientNonce: challenge.clientNonce, mac }));
          return;
        }
        case 'welcome': {
          if (message.requestId !== helloId) return;
          if (key !== undefined) {
            if (challenge === undefined) {
              // Downgrade protection (CONTROL.md §5): an impostor would simply not challenge.
              fail(
                new ControlError(
                  'AUTH_FAILED',
                  `control server at ${where} did not ask for the pre-shared key, so it can't prove it holds it; refusing it`,
                ),
                { reason: 'auth-failed', text: 'a pre-shared key is required' },
              );
              return;
            }
            const proof = key.serverProof(
              challenge.nonce,
              challenge.clientNonce,
              message.endpointId,
              keyShare?.share,
              message.keyShare,
            );
            if (!macMatches(proof, message.authProof)) {
              fail(
                new ControlError(
                  'AUTH_FAILED',
                  `control server at ${where} failed to prove it holds the pre-shared key`,
                ),
                { reason: 'auth-failed', text: 'wrong or missing auth proof' },
              );
              return;
            }
          }
          if (message.protocolVersion !== CONTROL_PROTOCOL_VERSION) {
            const text = `Welcome picked control version ${message.protocolVersion}; this client speaks ${CONTROL_PROTOCOL_VERSION} only`;
            fail(
              new ControlError('REFUSAL', `control server at ${where}: ${text}`, {
                reason: text,
                disconnectReason: 'version-unsupported',
              }),
              { reason: 'version-unsupported', text },
            );
            return;
          }
          let audioKeys: AudioKeys | undefined;
          if (message.keyShare !== undefined) {
            if (keyShare === undefined) {
              protocolError('a key share in the Welcome, though the Hello offered none');
              return;
            }
            let shared: Uint8Array;
            try {
              shared = keyShare.sharedSecret(message.keyShare);
            } catch {
              protocolError('Welcome.key_share: a low-order point, refused');
              return;
            }
            audioKeys = deriveAudioKeys(
              shared,
              {
                clientId,
                endpointId: message.endpointId,
                clientShare: keyShare.share,
                serverShare: message.keyShare,
                formats: message.formats,
              },
              key,
            );
          }
          settled = true;
          clearTimeout(timer);
          resolve({
            channel: new TcpControlChannel(
              frames!,
              'client',
              sharedCapabilities(capabilities, message.capabilities),
              audioKeys,
            ),
            offer: {
              endpointId: message.endpointId,
              endpointName: message.endpointName,
              formats: message.formats,
              protocolVersion: message.protocolVersion,
              udpAudioPort: message.udpAudioPort,
              capabilities: message.capabilities,
            },
          });
          return;
        }
        case 'disconnect':
          fail(refusal(message, where));
          return;
        case 'error':
          fail(controlErrorFromFrame(message, where));
          return;
        default:
          protocolError(`${message.type} before Welcome`);
      }
    };

    socket.once('error', onConnectError);
    socket.once('connect', () => {
      socket.off('error', onConnectError);
      frames = new FrameSocket(
        socket,
        {
          message: onMessage,
          lost: (error) =>
            fail(
              error instanceof DecodeError && error.code === 'BAD_VERSION'
                ? new ControlError(
                    'REFUSAL',
                    `control server at ${where} speaks control version 1 (4-byte length prefixes); this client speaks version ${CONTROL_PROTOCOL_VERSION} only: upgrade the server`,
                    { reason: error.message, disconnectReason: 'version-unsupported' },
                  )
                : error instanceof DecodeError
                  ? error
                  : new NetworkError(
                      'CONNECTION_CLOSED',
                      `control server at ${where} closed the connection during the handshake`,
                      { cause: error },
                    ),
            ),
        },
        options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes },
      );
      frames.send(hello(helloId));
    });
  });
}

/** The error for a server's Disconnect in answer to our Hello. */
function refusal(message: ControlDisconnect, where: string): ControlError {
  const text = message.text === '' ? '' : ` (${message.text})`;
  return new ControlError(
    message.reason === 'auth-failed' ? 'AUTH_FAILED' : 'REFUSAL',
    `control server at ${where} refused the connection: ${message.reason}${text}`,
    { reason: message.text, disconnectReason: message.reason },
  );
}

function checkPort(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 0xffff) {
    throw new NetworkError('BAD_OPTION', `${name}: expected a port from 1 to 65535, got ${value}`);
  }
}
