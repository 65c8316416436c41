import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  CONTROL_PROTOCOL_VERSION,
  DECODE_ERROR_CODES,
  DISCONNECT_REASONS,
  DecodeError,
  ENCRYPTED_AUDIO_CAPABILITY,
  KeyShare,
  type ControlDisconnect,
  type ControlHello,
  type ControlMessage,
  type DecodeErrorCode,
  type DisconnectReason,
} from '@syfala/proto';
import { DEFAULT_CONTROL_PORT } from '../endpoint.js';
import { zeroCounts } from '../counts.js';
import { NetworkError } from '../errors.js';
import { guarded, type PeerInputError } from '../guard.js';
import type { Refusal } from '../refusals.js';
import { formatAddress, sourceKey } from './address.js';
import { deriveAudioKeys } from './audio-keys.js';
import { PresharedKey, macMatches, randomNonce, type PskInput } from './auth.js';
import type { Admission, ClientHello, ServerOffer } from './channel.js';
import { FrameSocket, disconnectReasonFor } from './frame-socket.js';
import { TcpControlChannel, sharedCapabilities } from './tcp-channel.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from './tcp-client.js';

/** Handshakes in progress at once before new connections are closed unanswered. */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 64;
/**
 * Handshakes in progress at once from one source (an IPv4 address, an IPv6 /64): well below the
 * global limit, so that one source can never hold every slot and starve the others.
 */
export const DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE = 8;

/** What a Welcome carries; the protocol version is negotiated by the transport (CONTROL.md §4). */
export type TcpServerOffer = Omit<ServerOffer, 'protocolVersion'>;

export interface TcpControlServerOptions {
  /** Address to listen on (default '0.0.0.0'). */
  readonly host?: string;
  /** TCP port (default DEFAULT_CONTROL_PORT); 0 picks a free one, see `port`. */
  readonly port?: number;
  /** Pre-shared key every client must prove it holds (CONTROL.md §5). */
  readonly psk?: PskInput;
  /**
   * Answer a client that offers encrypted audio with ENCRYPTED_AUDIO_CAPABILITY and a fresh key
   * share (SECURITY.md §2), so its audio is encrypted. Default true.
   */
  readonly encryption?: boolean;
  /**
   * Time from accepting a connection to Welcome, in milliseconds (default
   * DEFAULT_HANDSHAKE_TIMEOUT_MS); a peer that takes longer gets Disconnect TIMEOUT.
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * Connections not yet admitted (handshaking, or being closed after a refusal) held at once
   * (default DEFAULT_MAX_PENDING_HANDSHAKES); beyond it new connections are closed at once.
   */
  readonly maxPendingHandshakes?: number;
  /**
   * Of those, held at once from one source, an IPv4 address or an IPv6 /64 (default
   * DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE, at most maxPendingHandshakes); beyond it that
   * source's new connections are closed at once.
   */
  readonly maxPendingHandshakesPerSource?: number;
  /** Largest control frame accepted, in bytes (default 64 KiB). */
  readonly maxFrameBytes?: number;
  /**
   * Decides whether an authenticated client is admitted. A refusal is sent as Disconnect with
   * its reason and text. `hello.protocolVersion` is the negotiated version.
   */
  admit(hello: ClientHello): Admission;
  /** What the Welcome tells an admitted client. */
  offer(hello: ClientHello): TcpServerOffer;
  /** An admitted client's channel; the session layer owns it from here, and closes it. */
  onChannel(channel: TcpControlChannel, hello: ClientHello): void;
  /**
   * Told of each error thrown while handling a connection's input (counted in `handlerErrors`);
   * that connection is dropped, the server goes on.
   */
  onInputError?(report: PeerInputError): void;
  /**
   * Every connection turned away before Welcome: refused (a Disconnect sent: by admit(), a
   * failed key proof, a timeout, a protocol error) or closed unanswered at a handshake limit.
   */
  onRefused?(refusal: Refusal): void;
}

/** Plain counters, cumulative since the server started listening. */
export interface TcpControlServerStats {
  /** TCP connections accepted, including those dropped at once. */
  connectionsAccepted: number;
  /** Connections closed at once because maxPendingHandshakes were in progress. */
  droppedTooManyPending: number;
  /** Connections closed at once because maxPendingHandshakesPerSource were, from their source. */
  droppedTooManyPendingFromSource: number;
  /** Welcomes sent (channels handed to onChannel). */
  handshakesCompleted: number;
  /** Handshakes ended with Disconnect TIMEOUT. */
  handshakeTimeouts: number;
  /** Handshakes ended with Disconnect AUTH_FAILED: missing, unasked-for or wrong key proof. */
  authFailures: number;
  /** Handshakes refused by admit(), by the reason sent. */
  refused: Record<DisconnectReason, number>;
  /** Valid frames other than Hello or Disconnect before Welcome (Disconnect PROTOCOL_ERROR). */
  protocolErrors: number;
  /** Frames that could not be decoded, on any connection (handshaking or admitted), by code. */
  decodeErrors: Record<DecodeErrorCode, number>;
  /** Handshakes the client gave up: it closed the connection or sent Disconnect. */
  handshakesAbandoned: number;
  /** Errors accepting a connection (e.g. out of file descriptors). */
  acceptErrors: number;
  /** Connections dropped because handling their input threw (a bug, e.g. an unencodable answer). */
  handlerErrors: number;
}

/**
 * The server side of the TCP control plane: accepts connections, runs the handshake of each
 * (CONTROL.md §4, §5: version, optional pre-shared key, admission), and hands admitted clients'
 * channels to `onChannel`.
 */
export class TcpControlServer {
  readonly #server: Server;
  readonly #options: TcpControlServerOptions;
  readonly #key: PresharedKey | undefined;
  readonly #handshakeTimeoutMs: number;
  readonly #maxPending: number;
  readonly #maxPendingPerSource: number;
  /** Connections not yet admitted, until their socket is closed. */
  readonly #pending = new Set<FrameSocket>();
  /** How many of #pending each source (sourceKey) holds; sources holding none are absent. */
  readonly #pendingBySource = new Map<string, number>();
  readonly #stats: TcpControlServerStats = {
    connectionsAccepted: 0,
    droppedTooManyPending: 0,
    droppedTooManyPendingFromSource: 0,
    handshakesCompleted: 0,
    handshakeTimeouts: 0,
    authFailures: 0,
    refused: zeroCounts(DISCONNECT_REASONS),
    protocolErrors: 0,
    decodeErrors: zeroCounts(DECODE_ERROR_CODES),
    handshakesAbandoned: 0,
    acceptErrors: 0,
    handlerErrors: 0,
  };
  #port = 0;
  #closing: Promise<void> | undefined;

  private constructor(options: TcpControlServerOptions) {
    this.#options = options;
    this.#key = options.psk === undefined ? undefined : new PresharedKey(options.psk);
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#maxPending = options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES;
    this.#maxPendingPerSource = Math.min(
      options.maxPendingHandshakesPerSource ?? DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE,
      this.#maxPending,
    );
    if (!(this.#handshakeTimeoutMs > 0)) {
      throw new NetworkError(
        'BAD_OPTION',
        `handshakeTimeoutMs: expected a positive number, got ${this.#handshakeTimeoutMs}`,
      );
    }
    if (!Number.isInteger(this.#maxPending) || this.#maxPending < 1) {
      throw new NetworkError(
        'BAD_OPTION',
        `maxPendingHandshakes: expected an integer ≥ 1, got ${this.#maxPending}`,
      );
    }
    const perSource = options.maxPendingHandshakesPerSource;
    if (perSource !== undefined && (!Number.isInteger(perSource) || perSource < 1)) {
      throw new NetworkError(
        'BAD_OPTION',
        `maxPendingHandshakesPerSource: expected an integer ≥ 1, got ${perSource}`,
      );
    }
    this.#server = createServer(
      { noDelay: true },
      guarded(
        (socket: Socket) => this.#accept(socket),
        (error, socket) => {
          this.#stats.handlerErrors++;
          options.onInputError?.({
            plane: 'tcp',
            peer: formatAddress(socket.remoteAddress ?? '', socket.remotePort ?? 0),
            error,
          });
          socket.destroy();
        },
      ),
    );
    this.#server.on('error', () => this.#stats.acceptErrors++);
  }

  /**
   * Starts listening. Rejects with NetworkError ADDRESS_IN_USE when the port is taken,
   * BIND_FAILED for any other listen error, BAD_OPTION for a bad option.
   */
  static async listen(options: TcpControlServerOptions): Promise<TcpControlServer> {
    const host = options.host ?? '0.0.0.0';
    const port = options.port ?? DEFAULT_CONTROL_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new NetworkError('BAD_OPTION', `port: expected 0 to 65535, got ${port}`);
    }
    const server = new TcpControlServer(options);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        const where = formatAddress(host, port);
        reject(
          error.code === 'EADDRINUSE'
            ? new NetworkError(
                'ADDRESS_IN_USE',
                `TCP control port ${where} is already in use; stop the other server or pick another port`,
                { cause: error },
              )
            : new NetworkError(
                'BIND_FAILED',
                `could not listen for TCP control on ${where} (${error.code ?? error.message})`,
                { cause: error },
              ),
        );
      };
      server.#server.once('error', onError);
      server.#server.listen({ host, port }, () => {
        server.#server.off('error', onError);
        resolve();
      });
    });
    server.#port = (server.#server.address() as AddressInfo).port;
    return server;
  }

  /** The port listened on (the one picked when listening on port 0). */
  get port(): number {
    return this.#port;
  }

  /** A snapshot of the counters. */
  stats(): TcpControlServerStats {
    return {
      ...this.#stats,
      refused: { ...this.#stats.refused },
      decodeErrors: { ...this.#stats.decodeErrors },
    };
  }

  /**
   * Stops listening (the port is free when this resolves) and drops the handshakes in progress.
   * Admitted channels are left open: the session layer closes them; this does not wait for them.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // The listening socket closes now; the server's own 'close' event would wait for every
    // admitted connection, so it is not awaited.
    this.#server.close();
    const pending = [...this.#pending];
    for (const frames of pending) frames.destroy();
    await Promise.all(pending.map((frames) => frames.whenClosed));
  }

  /** Closes a connection unanswered: too many handshakes are in progress (`why`). */
  #drop(socket: Socket, why: string): void {
    socket.destroy();
    this.#refused(
      { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      'busy',
      `closed unanswered: ${why}`,
    );
  }

  #refused(
    peer: { readonly address: string; readonly port: number },
    reason: DisconnectReason,
    text: string,
  ): void {
    this.#options.onRefused?.({ transport: 'tcp', ...peer, reason, text });
  }

  #accept(socket: Socket): void {
    this.#stats.connectionsAccepted++;
    const source = sourceKey(socket.remoteAddress ?? '');
    const fromSource = this.#pendingBySource.get(source) ?? 0;
    // Flood protection: a connection we can't afford to handshake gets nothing, not even a frame.
    // The per-source limit comes first, so one source never fills the global one.
    if (fromSource >= this.#maxPendingPerSource) {
      this.#stats.droppedTooManyPendingFromSource++;
      this.#drop(socket, `${this.#maxPendingPerSource} handshakes in progress from ${source}`);
      return;
    }
    if (this.#pending.size >= this.#maxPending) {
      this.#stats.droppedTooManyPending++;
      this.#drop(socket, `${this.#maxPending} handshakes in progress`);
      return;
    }
    const stats = this.#stats;
    const encryption = this.#options.encryption !== false;
    /** The nonce of the challenge sent on this connection, once sent. */
    let nonce: Uint8Array | undefined;

    const refuse = (requestId: number, reason: DisconnectReason, text: string): void => {
      clearTimeout(timer);
      this.#refused(frames.peer, reason, text);
      const disconnect: ControlDisconnect = { type: 'disconnect', requestId, reason, text };
      frames.close(disconnect);
    };

    const onHello = (message: ControlHello): void => {
      // We speak version 2 only: a real version-1 client never gets here (its framing is refused
      // first, CONTROL.md §1.1), but a Hello may still claim 1 (CONTROL.md §4).
      if (message.protocolVersion < CONTROL_PROTOCOL_VERSION) {
        refuse(
          message.requestId,
          'version-unsupported',
          `this server speaks control version ${CONTROL_PROTOCOL_VERSION}, the client at most ${message.protocolVersion}`,
        );
        return;
      }
      const hello: ClientHello = {
        clientId: message.clientId,
        clientName: message.clientName,
        protocolVersion: CONTROL_PROTOCOL_VERSION,
        udpAudioPort: message.udpAudioPort,
        capabilities: message.capabilities,
        address: frames.peer.address,
        port: frames.peer.port,
      };
      const authFailed = (text: string): void => {
        stats.authFailures++;
        refuse(message.requestId, 'auth-failed', text);
      };
      const key = this.#key;
      let clientNonce: Uint8Array | undefined;
      if (key === undefined) {
        if (message.auth !== undefined) {
          authFailed('auth answers no challenge: this server asks for no key');
          return;
        }
      } else if (message.auth === undefined) {
        if (nonce !== undefined) {
          authFailed('a second Hello without auth');
          return;
        }
        nonce = randomNonce();
        frames.send({
          type: 'auth-challenge',
          requestId: message.requestId,
          method: 'hmac-sha256-psk',
          nonce,
        });
        return;
      } else if (nonce === undefined) {
        authFailed('auth answers no challenge of this connection');
        return;
      } else {
        const expected = key.clientMac(
          nonce,
          message.auth.clientNonce,
          message.clientId,
          message.keyShare,
        );
        if (!macMatches(expected, message.auth.mac)) {
          authFailed('wrong key proof');
          return;
        }
        clientNonce = message.auth.clientNonce;
      }

      // Encrypted audio when both offer it (SECURITY.md §2): a fresh key pair per connection.
      let exchange: { own: KeyShare; clientShare: Uint8Array; secret: Uint8Array } | undefined;
      if (encryption && message.keyShare !== undefined) {
        const own = new KeyShare();
        try {
          const secret = own.sharedSecret(message.keyShare);
          exchange = { own, clientShare: message.keyShare, secret };
        } catch {
          stats.protocolErrors++;
          const text = 'Hello.key_share: a low-order point, refused';
          refuse(message.requestId, 'protocol-error', text);
          return;
        }
      }

      const admission = this.#options.admit(hello);
      if (!admission.admit) {
        stats.refused[admission.reason]++;
        refuse(message.requestId, admission.reason, admission.text);
        return;
      }
      const offer = this.#options.offer(hello);
      const capabilities = [
        ...offer.capabilities.filter((name) => name !== ENCRYPTED_AUDIO_CAPABILITY),
        ...(exchange === undefined ? [] : [ENCRYPTED_AUDIO_CAPABILITY]),
      ];
      const audioKeys =
        exchange &&
        deriveAudioKeys(
          exchange.secret,
          {
            clientId: hello.clientId,
            endpointId: offer.endpointId,
            clientShare: exchange.clientShare,
            serverShare: exchange.own.share,
            formats: offer.formats,
          },
          key,
        );
      clearTimeout(timer);
      settle();
      frames.send({
        type: 'welcome',
        requestId: message.requestId,
        protocolVersion: hello.protocolVersion,
        endpointId: offer.endpointId,
        endpointName: offer.endpointName,
        formats: offer.formats,
        capabilities,
        udpAudioPort: offer.udpAudioPort,
        ...(key !== undefined &&
          nonce !== undefined &&
          clientNonce !== undefined && {
            authProof: key.serverProof(
              nonce,
              clientNonce,
              offer.endpointId,
              message.keyShare,
              exchange?.own.share,
            ),
          }),
        ...(exchange && { keyShare: exchange.own.share }),
      });
      stats.handshakesCompleted++;
      const shared = sharedCapabilities(capabilities, hello.capabilities);
      this.#options.onChannel(new TcpControlChannel(frames, 'server', shared, audioKeys), hello);
    };

    const onMessage = (message: ControlMessage): void => {
      switch (message.type) {
        case 'hello':
          onHello(message);
          return;
        case 'disconnect':
          stats.handshakesAbandoned++;
          clearTimeout(timer);
          frames.close();
          return;
        default:
          stats.protocolErrors++;
          refuse(0, 'protocol-error', `${message.type} before Welcome`);
      }
    };

    const frames = new FrameSocket(
      socket,
      {
        message: onMessage,
        lost: (error) => {
          clearTimeout(timer);
          // A broken frame (or a stream cut inside one) was counted by its code already.
          if (!(error instanceof DecodeError || error.cause instanceof DecodeError)) {
            stats.handshakesAbandoned++;
          }
        },
      },
      {
        ...(this.#options.maxFrameBytes !== undefined && {
          maxFrameBytes: this.#options.maxFrameBytes,
        }),
        onDecodeError: (error) => {
          stats.decodeErrors[error.code]++;
          // Before Welcome, the Disconnect that follows refuses the connection.
          if (this.#pending.has(frames))
            this.#refused(frames.peer, disconnectReasonFor(error), error.message);
        },
        onHandlerError: (error) => {
          stats.handlerErrors++;
          this.#options.onInputError?.({
            plane: 'tcp',
            peer: formatAddress(frames.peer.address, frames.peer.port),
            error,
          });
        },
      },
    );
    this.#pending.add(frames);
    this.#pendingBySource.set(source, fromSource + 1);
    /** The handshake is over (admitted, or the connection closed): its slots are free. */
    const settle = (): void => {
      if (!this.#pending.delete(frames)) return;
      const left = this.#pendingBySource.get(source)! - 1;
      if (left === 0) this.#pendingBySource.delete(source);
      else this.#pendingBySource.set(source, left);
    };
    void frames.whenClosed.then(() => {
      clearTimeout(timer);
      settle();
    });
    const timer = setTimeout(() => {
      stats.handshakeTimeouts++;
      refuse(0, 'timeout', `no handshake within ${this.#handshakeTimeoutMs} ms`);
    }, this.#handshakeTimeoutMs);
  }
}
