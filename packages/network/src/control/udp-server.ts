import { createHash } from 'node:crypto';
import type { RemoteInfo, Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import {
  isAudioTagCode,
  DECODE_ERROR_CODES,
  DISCONNECT_REASONS,
  DecodeError,
  MAX_PROTOCOL_VERSION,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  decodeMessage,
  encode,
  idFromBytes,
  readPreamble,
  type ClientMessage,
  type Connect,
  type ConnectionResult,
  type DecodeErrorCode,
  type DisconnectReason,
  type Message,
} from '@syfala/proto';
import { DEFAULT_UDP_PORT } from '../endpoint.js';
import { zeroCounts } from '../counts.js';
import { NetworkError } from '../errors.js';
import { guarded, type PeerInputError } from '../guard.js';
import type { Refusal } from '../refusals.js';
import { formatAddress } from './address.js';
import type { PskInput } from './auth.js';
import type { Admission, ClientHello } from './channel.js';
import { DatagramSender, bindUdpSocket } from './datagram-socket.js';
import { SourceRateLimiter, TokenBucket } from './rate-limit.js';
import { UdpControlChannel } from './udp-channel.js';

/** DSCV answered per source IP address: sustained rate per second, and burst. */
export const DISCOVERY_RATE_PER_SOURCE_PER_S = 10;
export const DISCOVERY_BURST_PER_SOURCE = 20;
/** DSCV answered in all, whatever the source (bounds what spoofed sources can reflect). */
export const DISCOVERY_RATE_PER_S = 200;
export const DISCOVERY_BURST = 400;
/** Sources whose rate is tracked at once; beyond it the least recent is forgotten. */
export const MAX_TRACKED_SOURCES = 4096;
/** Offers (CONN sent, CRES awaited) held at once; beyond it the oldest is dropped. */
export const MAX_OFFERED_PEERS = 1024;
/** How long an offer waits for the client's CRES, in milliseconds. */
export const OFFER_TTL_MS = 10_000;
/** VERS sent to one source address at most once per this interval (PROTOCOL.md §11), in ms. */
export const VERSION_REPLY_INTERVAL_MS = 1000;

/** What a CONN offer carries. */
export type UdpServerOffer = Omit<Connect, 'type'>;

export interface UdpControlServerOptions {
  /** Address to bind (default '0.0.0.0'). */
  readonly host?: string;
  /** UDP port (default DEFAULT_UDP_PORT); 0 picks a free one, see `port`. */
  readonly port?: number;
  /**
   * UDP control has no authentication: with a key configured, every client is refused with
   * DCON AUTH_FAILED (it must use TCP control). Discovery is still answered.
   */
  readonly psk?: PskInput;
  /** What CONN offers; called for each DSCV answered. */
  offer(): UdpServerOffer;
  /** Whether to answer a DSCV from this source (default: answer all). */
  answerDiscovery?(address: string, port: number): boolean;
  /** Decides on a client's CRES ok to an offer. A refusal is sent as DCON with its reason. */
  admit(hello: ClientHello): Admission;
  /** An admitted client's channel; the session layer owns it from here, and closes it. */
  onChannel(channel: UdpControlChannel, hello: ClientHello): void;
  /**
   * AUDI datagrams from a connected peer, not decoded beyond their preamble: the datagram is
   * only valid during the call (copy what you keep). Without it they are counted and dropped.
   */
  onAudio?(datagram: Buffer, channel: UdpControlChannel): void;
  /** Told of each error thrown while handling a datagram (counted in `handlerErrors`, then dropped). */
  onInputError?(report: PeerInputError): void;
  /** Every client refused with DCON (a key is required, or admit() said no). */
  onRefused?(refusal: Refusal): void;
}

/** Plain counters, cumulative since the socket was bound. */
export interface UdpControlServerStats {
  datagramsReceived: number;
  /** Datagrams rejected by the codec, by code (PROTOCOL.md §8). */
  decodeErrors: Record<DecodeErrorCode, number>;
  /** VERS sent in answer to BAD_VERSION datagrams, and those not sent (at most 1/s per source). */
  versionRepliesSent: number;
  versionRepliesLimited: number;
  /** CONN sent in answer to DSCV. */
  offersSent: number;
  /** DSCV not answered: over the per-source or the global rate. */
  discoveryRateLimited: number;
  /** DSCV not answered: answerDiscovery said no. */
  discoveryDeclined: number;
  /** Channels handed to onChannel. */
  handshakesCompleted: number;
  /** CRES failure or refusal: the client declined an offer. */
  offersDeclined: number;
  /** CRES from a peer with no outstanding offer (never made, expired or dropped): ignored. */
  unofferedResults: number;
  /** CRES from a connected peer, or repeated after we refused it: its answer was lost. */
  duplicateResults: number;
  /** CRES ok refused with DCON AUTH_FAILED because a key is configured. */
  authFailures: number;
  /** CRES ok refused by admit(), by the reason sent. */
  refused: Record<DisconnectReason, number>;
  /** Connected peers that sent DSCV again: their old session was ended (they restarted). */
  peersRestarted: number;
  /** Valid datagrams other than DSCV and CRES from an address that is not a connected peer. */
  unknownPeer: number;
  /** AUDI from connected peers passed to onAudio, or dropped for want of it. */
  audioDelivered: number;
  audioDropped: number;
  /** Errors the socket reported. */
  socketErrors: number;
  /** Datagrams whose handling threw (a bug, e.g. an answer that could not be encoded): dropped. */
  handlerErrors: number;
}

interface ConnectedPeer {
  readonly channel: UdpControlChannel;
  readonly receive: (message: Message) => void;
  readonly fail: (error: Error) => void;
}

interface Offered {
  readonly expiresMs: number;
  /** Our DCON when we refused the CRES ok; sent again for each repeat, admit() is not asked twice. */
  refusal?: DisconnectReason;
}

/**
 * The server side of UDP control (PROTOCOL.md §5, §6, §8, §11) on one socket, which also carries
 * discovery and audio: answers DSCV with CONN (rate limited), admits CRES ok to an outstanding
 * offer, and routes each connected peer's datagrams to its channel by source address and port.
 */
export class UdpControlServer {
  readonly #socket: Socket;
  readonly #sender: DatagramSender;
  readonly #options: UdpControlServerOptions;
  readonly #requiresKey: boolean;
  readonly #port: number;
  /** By `address:port`. */
  readonly #peers = new Map<string, ConnectedPeer>();
  /** By `address:port`, oldest first. */
  readonly #offered = new Map<string, Offered>();
  readonly #discoveryPerSource = new SourceRateLimiter(
    DISCOVERY_RATE_PER_SOURCE_PER_S,
    DISCOVERY_BURST_PER_SOURCE,
    MAX_TRACKED_SOURCES,
  );
  readonly #discovery = new TokenBucket(DISCOVERY_RATE_PER_S, DISCOVERY_BURST, performance.now());
  readonly #versionReplies = new SourceRateLimiter(
    1000 / VERSION_REPLY_INTERVAL_MS,
    1,
    MAX_TRACKED_SOURCES,
  );
  readonly #stats: UdpControlServerStats = {
    datagramsReceived: 0,
    decodeErrors: zeroCounts(DECODE_ERROR_CODES),
    versionRepliesSent: 0,
    versionRepliesLimited: 0,
    offersSent: 0,
    discoveryRateLimited: 0,
    discoveryDeclined: 0,
    handshakesCompleted: 0,
    offersDeclined: 0,
    unofferedResults: 0,
    duplicateResults: 0,
    authFailures: 0,
    refused: zeroCounts(DISCONNECT_REASONS),
    peersRestarted: 0,
    unknownPeer: 0,
    audioDelivered: 0,
    audioDropped: 0,
    socketErrors: 0,
    handlerErrors: 0,
  };
  #closing: Promise<void> | undefined;

  private constructor(socket: Socket, options: UdpControlServerOptions) {
    this.#socket = socket;
    this.#sender = new DatagramSender(socket, true);
    this.#options = options;
    this.#requiresKey = options.psk !== undefined;
    this.#port = socket.address().port;
    socket.on(
      'message',
      guarded(
        (datagram: Buffer, from: RemoteInfo) => this.#onDatagram(datagram, from),
        (error, _datagram, from) => {
          this.#stats.handlerErrors++;
          options.onInputError?.({
            plane: 'udp',
            peer: formatAddress(from.address, from.port),
            error,
          });
        },
      ),
    );
    socket.on('error', () => this.#stats.socketErrors++);
  }

  /**
   * Binds the server's UDP socket. Rejects with NetworkError ADDRESS_IN_USE when the port is
   * taken, BIND_FAILED for any other bind error.
   */
  static async bind(options: UdpControlServerOptions): Promise<UdpControlServer> {
    const port = options.port ?? DEFAULT_UDP_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new NetworkError('BAD_OPTION', `port: expected 0 to 65535, got ${port}`);
    }
    const socket = await bindUdpSocket(options.host ?? '0.0.0.0', port, 'the UDP control server');
    return new UdpControlServer(socket, options);
  }

  /** The bound port (the one picked when binding port 0). */
  get port(): number {
    return this.#port;
  }

  /**
   * The server's socket, to join a discovery multicast group on. Everything it receives is this
   * server's to route: don't read from it or close it.
   */
  get socket(): Socket {
    return this.#socket;
  }

  /** A snapshot of the counters. */
  stats(): UdpControlServerStats {
    return {
      ...this.#stats,
      decodeErrors: { ...this.#stats.decodeErrors },
      refused: { ...this.#stats.refused },
    };
  }

  /**
   * Closes every channel (with NetworkError CONNECTION_CLOSED: they can't outlive the socket),
   * then the socket, once the datagrams already sent have left. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const error = new NetworkError('CONNECTION_CLOSED', 'the UDP control server closed');
    for (const peer of [...this.#peers.values()]) peer.fail(error);
    this.#offered.clear();
    await this.#sender.close();
  }

  #onDatagram(datagram: Buffer, from: RemoteInfo): void {
    if (this.#closing !== undefined) return;
    this.#stats.datagramsReceived++;
    const key = peerKey(from);
    const peer = this.#peers.get(key);
    let message: ClientMessage;
    try {
      // The preamble alone routes audio, which is the audio plane's to decode.
      if (isAudioTagCode(readPreamble(datagram, 0, datagram.length))) {
        this.#onAudio(datagram, peer);
        return;
      }
      message = decodeMessage(datagram, 'client');
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.#stats.decodeErrors[error.code]++;
      if (error.code === 'BAD_VERSION' && !isAudioTagCode(datagram.readUInt32LE(4))) {
        this.#answerVersion(from);
      }
      return;
    }
    if (message.type === 'discovery') {
      if (peer !== undefined) this.#restarted(peer, key);
      this.#onDiscovery(from, key);
    } else if (peer !== undefined) {
      if (message.type === 'connection-result') this.#stats.duplicateResults++;
      else peer.receive(message);
    } else if (message.type === 'connection-result') {
      this.#onConnectionResult(message, from, key);
    } else {
      this.#stats.unknownPeer++;
    }
  }

  /**
   * A connected peer beaconing again has started over (PROTOCOL.md §6): its old session ends
   * now, silently, so that the new handshake is not confirmed by the old session's heartbeats.
   */
  #restarted(peer: ConnectedPeer, key: string): void {
    this.#peers.delete(key);
    this.#stats.peersRestarted++;
    peer.fail(
      new NetworkError(
        'CONNECTION_CLOSED',
        `${key} sent a discovery beacon while connected: it restarted`,
      ),
    );
  }

  #onAudio(datagram: Buffer, peer: ConnectedPeer | undefined): void {
    if (peer === undefined) {
      this.#stats.unknownPeer++;
    } else if (this.#options.onAudio === undefined) {
      this.#stats.audioDropped++;
    } else {
      this.#stats.audioDelivered++;
      this.#options.onAudio(datagram, peer.channel);
    }
  }

  /** PROTOCOL.md §11: tell the sender which versions we speak, at most once a second per address. */
  #answerVersion(from: RemoteInfo): void {
    if (!this.#versionReplies.take(from.address, performance.now())) {
      this.#stats.versionRepliesLimited++;
      return;
    }
    this.#stats.versionRepliesSent++;
    this.#send(
      {
        type: 'version-not-supported',
        minVersion: MIN_PROTOCOL_VERSION,
        maxVersion: MAX_PROTOCOL_VERSION,
      },
      from,
    );
  }

  #onDiscovery(from: RemoteInfo, key: string): void {
    const now = performance.now();
    // A CONN is larger than a DSCV: unlimited answers would make us an amplifier for spoofed
    // sources, so each source, and all of them together, get a bounded rate.
    if (!this.#discoveryPerSource.take(from.address, now) || !this.#discovery.take(now)) {
      this.#stats.discoveryRateLimited++;
      return;
    }
    if (this.#options.answerDiscovery?.(from.address, from.port) === false) {
      this.#stats.discoveryDeclined++;
      return;
    }
    // A DSCV from a connected peer is answered too; its CRES will count as a duplicate.
    this.#offered.delete(key);
    if (this.#offered.size >= MAX_OFFERED_PEERS) {
      this.#offered.delete(this.#offered.keys().next().value!);
    }
    this.#offered.set(key, { expiresMs: now + OFFER_TTL_MS });
    this.#stats.offersSent++;
    this.#send({ type: 'connect', ...this.#options.offer() }, from);
  }

  #onConnectionResult(message: ConnectionResult, from: RemoteInfo, key: string): void {
    const offered = this.#offered.get(key);
    if (offered === undefined || offered.expiresMs < performance.now()) {
      this.#offered.delete(key);
      this.#stats.unofferedResults++;
      return;
    }
    if (message.outcome !== 'ok') {
      this.#offered.delete(key);
      this.#stats.offersDeclined++;
      return;
    }
    if (offered.refusal !== undefined) {
      // Our DCON was lost and the client sent CRES again: same answer, decided once.
      this.#stats.duplicateResults++;
      this.#send({ type: 'disconnect', reason: offered.refusal }, from);
      return;
    }
    if (this.#requiresKey) {
      this.#stats.authFailures++;
      this.#refuse(offered, from, 'auth-failed', 'a key is required: UDP control has none');
      return;
    }
    const hello = udpClientHello(from);
    const admission = this.#options.admit(hello);
    if (!admission.admit) {
      this.#stats.refused[admission.reason]++;
      this.#refuse(offered, from, admission.reason, admission.text);
      return;
    }
    this.#offered.delete(key);
    let receive: ((message: Message) => void) | undefined;
    let fail: ((error: Error) => void) | undefined;
    const channel = new UdpControlChannel({
      peer: { address: from.address, port: from.port },
      send: (datagram) => this.#sender.send(datagram, from.port, from.address),
      attach: (onMessage, onFail) => {
        receive = onMessage;
        fail = onFail;
      },
      detach: () => {
        if (this.#peers.get(key)?.channel === channel) this.#peers.delete(key);
      },
    });
    this.#peers.set(key, { channel, receive: receive!, fail: fail! });
    this.#stats.handshakesCompleted++;
    this.#options.onChannel(channel, hello);
  }

  /** DCON carries no text: `text` is for onRefused only. */
  #refuse(offered: Offered, from: RemoteInfo, reason: DisconnectReason, text: string): void {
    offered.refusal = reason;
    this.#options.onRefused?.({
      transport: 'udp',
      address: from.address,
      port: from.port,
      reason,
      text,
    });
    this.#send({ type: 'disconnect', reason }, from);
  }

  #send(message: Message, to: RemoteInfo): void {
    this.#sender.send(encode(message), to.port, to.address);
  }
}

function peerKey(from: RemoteInfo): string {
  return `${from.address}:${from.port}`;
}

/**
 * What a UDP client is known by: UDP control carries no client id or name, so both come from
 * its address and port. The id is a hash of them, shaped as a UUID (version 8, RFC 9562), stable
 * for as long as the client keeps its address and port.
 */
export function udpClientHello(from: { address: string; port: number }): ClientHello {
  const bytes = createHash('sha256')
    .update(`syfala udp client ${from.address} ${from.port}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return {
    clientId: idFromBytes(bytes),
    clientName: formatAddress(from.address, from.port),
    protocolVersion: PROTOCOL_VERSION,
    udpAudioPort: from.port,
    capabilities: [],
    address: from.address,
    port: from.port,
  };
}
