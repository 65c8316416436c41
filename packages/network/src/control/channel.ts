import type {
  ControlErrorMessage,
  ControlStats as StatsMessage,
  DisconnectReason,
  Outcome,
  Redundancy,
  StreamFormats,
} from '@syfala/proto';
import type { AudioKeys } from './audio-keys.js';

/**
 * What a session says once the handshake is done, whatever the transport: the TCP control
 * frames and the UDP control datagrams both map onto these, so the session state machine is
 * written once (PROTOCOL.md §6, CONTROL.md §3). Fields a transport cannot carry read as empty
 * (UDP has no reason text, and no redundancy: CONTROL.md §3).
 */
export type SessionMessage =
  | {
      readonly type: 'start-io' | 'stop-io';
      readonly requestId: number;
      /** start-io only, and only once both sides advertised REDUNDANCY_CAPABILITY. */
      readonly redundancy?: Redundancy;
    }
  | {
      readonly type: 'start-io-result' | 'stop-io-result';
      readonly requestId: number;
      readonly outcome: Outcome;
      readonly reason: string;
      /** An ok start-io-result to a request that carried redundancy: what each side sends. */
      readonly redundancy?: Redundancy;
    }
  | { readonly type: 'heartbeat'; readonly sequence: number; readonly senderTimeUs: number }
  | { readonly type: 'disconnect'; readonly reason: DisconnectReason; readonly text: string }
  /** TCP only, and only where both sides advertised STATS_CAPABILITY. */
  | Omit<StatsMessage, 'requestId'>
  | PeerError;

/**
 * The peer's Error frame (TCP only): it fails the request it names, if any, and the session
 * continues (CONTROL.md §7). Received, never sent by the session layer.
 */
export type PeerError = ControlErrorMessage;

export interface ChannelHandlers {
  /** A valid message from the peer, in arrival order. */
  message(message: SessionMessage): void;
  /**
   * The channel is closed and will deliver nothing more: `error` says why when the peer or the
   * transport ended it (a malformed frame, a reset connection), absent after our own close().
   */
  closed(error?: Error): void;
}

/** One peer's control path, after the handshake. Sending on a closed channel does nothing. */
export interface ControlChannel {
  readonly transport: 'tcp' | 'udp';
  /** False for UDP: requests are retransmitted until answered (PROTOCOL.md §6). */
  readonly reliable: boolean;
  /** Optional features both sides advertised (CONTROL.md §3); none over UDP. */
  readonly capabilities: readonly string[];
  /**
   * The audio keys the handshake agreed (SECURITY.md §2): present when both sides advertised
   * ENCRYPTED_AUDIO_CAPABILITY (TCP only: UDP control stays clear in version 1).
   */
  readonly audioKeys?: AudioKeys | undefined;
  /** The peer's address and port, as seen by this side. */
  readonly peer: { readonly address: string; readonly port: number };
  /** Called once, by the session that takes the channel over; buffered messages are delivered then. */
  listen(handlers: ChannelHandlers): void;
  send(message: Exclude<SessionMessage, PeerError>): void;
  /** Idempotent; after it, `closed()` is called once with no error. */
  close(): void;
}

/** What the client learns from the handshake, whichever transport carried it. */
export interface ServerOffer {
  readonly endpointId: string;
  readonly endpointName: string;
  readonly formats: StreamFormats;
  readonly protocolVersion: number;
  /** The server's UDP port for audio. */
  readonly udpAudioPort: number;
  readonly capabilities: readonly string[];
}

/** What the server learns from the handshake. */
export interface ClientHello {
  /** 128-bit client id; over UDP control, derived from the client's address (no id on the wire). */
  readonly clientId: string;
  readonly clientName: string;
  readonly protocolVersion: number;
  /** The client's UDP port for audio. */
  readonly udpAudioPort: number;
  readonly capabilities: readonly string[];
  readonly address: string;
  readonly port: number;
}

/** A server's answer to a client asking to connect: admit, or refuse with a reason sent to it. */
export type Admission =
  | { readonly admit: true }
  | { readonly admit: false; readonly reason: DisconnectReason; readonly text: string };
