import type { DisconnectReason, Outcome } from '../common.js';
import type { StreamFormats } from '../format.js';

/**
 * The control protocol version this implementation speaks, the only one (Hello/Welcome
 * `protocolVersion`): version 1 framed with 4-byte lengths, which this side refuses (CONTROL.md §1.1).
 */
export const CONTROL_PROTOCOL_VERSION = 2;
/** Length of an auth nonce (AuthChallenge `nonce`, AuthResponse `clientNonce`), in bytes. */
export const AUTH_NONCE_BYTES = 32;
/** Length of an HMAC-SHA256 tag (AuthResponse `mac`, Welcome `authProof`), in bytes. */
export const AUTH_MAC_BYTES = 32;
/**
 * The capability (Hello and Welcome `capabilities`) that lets StartIo requests and results carry
 * `redundancy`; a peer sends that field only when both sides advertised it (CONTROL.md §3).
 */
export const REDUNDANCY_CAPABILITY = 'redundancy';
/**
 * The capability (Hello and Welcome `capabilities`) of encrypted audio (SECURITY.md §2): its
 * sender's `keyShare` comes with it, and a connection whose two lists name it carries AUDE only.
 */
export const ENCRYPTED_AUDIO_CAPABILITY = 'encrypted-audio';
/**
 * The capability (Hello and Welcome `capabilities`) of Stats frames: a side sends Stats only to
 * a peer that listed it, once a second while I/O runs and once when it stops (CONTROL.md §Stats).
 */
export const STATS_CAPABILITY = 'stats';
/** Most redundant periods a direction may carry (PROTOCOL.md §7.3). */
export const MAX_REDUNDANCY_PERIODS = 3;

/** Whether `n` is a redundancy a direction may carry: an integer from 0 to MAX_REDUNDANCY_PERIODS. */
export const isRedundancyPeriods = (n: number): boolean =>
  Number.isInteger(n) && n >= 0 && n <= MAX_REDUNDANCY_PERIODS;

/** What an Error frame complains about (control.proto `ErrorCode`). */
export const CONTROL_ERROR_CODES = [
  'unexpected-message',
  'duplicate-request',
  'unsupported',
  'internal',
] as const;
export type ControlErrorCode = (typeof CONTROL_ERROR_CODES)[number];

/** How a client proves it holds the pre-shared key (docs/CONTROL.md, "Authentication"). */
export const AUTH_METHODS = ['hmac-sha256-psk'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** Which list of a StreamFormats a stream index refers to. */
export const STREAM_DIRECTIONS = ['input', 'output'] as const;
export type StreamDirection = (typeof STREAM_DIRECTIONS)[number];

/** The client's answer to an AuthChallenge, carried in its second Hello. */
export interface AuthResponse {
  /** AUTH_NONCE_BYTES random bytes chosen by the client. */
  readonly clientNonce: Uint8Array;
  /**
   * HMAC-SHA256(psk, "syfala-control-v1 client" ‖ nonce ‖ clientNonce ‖ clientId bytes ‖ the
   * Hello's keyShare, empty when absent): AUTH_MAC_BYTES.
   */
  readonly mac: Uint8Array;
}

/** Client → server request; the first frame on a connection. */
export interface ControlHello {
  readonly type: 'hello';
  /** Non-zero; the answer echoes it. */
  readonly requestId: number;
  /** Highest control protocol version the client speaks; ≥ 1. */
  readonly protocolVersion: number;
  /** 128-bit client identity, as a lowercase 8-4-4-4-12 hex string. */
  readonly clientId: string;
  readonly clientName: string;
  readonly capabilities: readonly string[];
  /** UDP port the client receives audio on: 1-65535. */
  readonly udpAudioPort: number;
  /** Only in the Hello that answers an AuthChallenge. */
  readonly auth?: AuthResponse;
  /**
   * The client's X25519 public key (KEY_SHARE_BYTES), present if and only if `capabilities`
   * lists ENCRYPTED_AUDIO_CAPABILITY.
   */
  readonly keyShare?: Uint8Array;
}

/** Server → client response to a Hello: authenticate first. */
export interface ControlAuthChallenge {
  readonly type: 'auth-challenge';
  readonly requestId: number;
  readonly method: AuthMethod;
  /** AUTH_NONCE_BYTES random bytes, fresh for this connection. */
  readonly nonce: Uint8Array;
}

/** Server → client response to a Hello: admitted. */
export interface ControlWelcome {
  readonly type: 'welcome';
  readonly requestId: number;
  /** The version this connection speaks; ≥ 1. */
  readonly protocolVersion: number;
  /** 128-bit endpoint identity, as a lowercase 8-4-4-4-12 hex string. */
  readonly endpointId: string;
  readonly endpointName: string;
  /** Fixed for the life of the connection. */
  readonly formats: StreamFormats;
  readonly capabilities: readonly string[];
  /** UDP port the server receives audio on: 1-65535. */
  readonly udpAudioPort: number;
  /**
   * HMAC-SHA256(psk, "syfala-control-v1 server" ‖ nonce ‖ clientNonce ‖ endpointId bytes ‖ the
   * Hello's keyShare ‖ the Welcome's, each empty when absent): AUTH_MAC_BYTES; only after a
   * challenge.
   */
  readonly authProof?: Uint8Array;
  /**
   * The server's X25519 public key (KEY_SHARE_BYTES), present if and only if `capabilities`
   * lists ENCRYPTED_AUDIO_CAPABILITY (only when the Hello did).
   */
  readonly keyShare?: Uint8Array;
}

/**
 * Redundant periods each direction's audio carries (PROTOCOL.md §7.3): every byte travels in
 * 1 + that many datagrams. Each is an integer from 0 to MAX_REDUNDANCY_PERIODS.
 */
export interface Redundancy {
  readonly serverToClient: number;
  readonly clientToServer: number;
}

/** None either way: what an absent `redundancy` means. */
export const NO_REDUNDANCY: Redundancy = Object.freeze({ serverToClient: 0, clientToServer: 0 });

/** Client → server request: start all streams of both directions. */
export interface ControlStartIo {
  readonly type: 'start-io';
  readonly requestId: number;
  /**
   * What the client asks the server to send and will send itself; only when both sides
   * advertised REDUNDANCY_CAPABILITY.
   */
  readonly redundancy?: Redundancy;
}

/** Server → client response to start-io. `ok` means audio flows now. */
export interface ControlStartIoResult {
  readonly type: 'start-io-result';
  readonly requestId: number;
  readonly outcome: Outcome;
  /** Human-readable; empty when ok. */
  readonly reason: string;
  /**
   * Only with `ok`, when the request had one: what the server sends (at most what was asked),
   * and the client's own figure acknowledged.
   */
  readonly redundancy?: Redundancy;
}

/** Client → server request: stop all streams. */
export interface ControlStopIo {
  readonly type: 'stop-io';
  readonly requestId: number;
}

/** Server → client response to stop-io. */
export interface ControlStopIoResult {
  readonly type: 'stop-io-result';
  readonly requestId: number;
  readonly outcome: Outcome;
  /** Human-readable; empty when ok. */
  readonly reason: string;
}

/** Both directions, periodic. */
export interface ControlHeartbeat {
  readonly type: 'heartbeat';
  /** 0: heartbeats answer nothing. */
  readonly requestId: number;
  /** Increments by one per heartbeat sent, wrapping at 2^32. */
  readonly sequence: number;
  /** Sender's monotonic clock in microseconds (below 2^53). */
  readonly senderTimeUs: number;
}

/**
 * A sender's measurements; every field is optional and absent differs from zero.
 * Counters are cumulative since the connection started; gauges are current values.
 * Integer fields stay below 2^53.
 */
export interface ControlStatsCounters {
  /** UDP audio datagrams sent. */
  readonly packetsSent?: number;
  readonly packetsReceived?: number;
  /** UDP audio bytes sent, headers included. */
  readonly bytesSent?: number;
  readonly bytesReceived?: number;
  /** Frames concealed because they never arrived. */
  readonly lostFrames?: number;
  /** Packets dropped because their data had already been played. */
  readonly latePackets?: number;
  /** Packets dropped because their data had already arrived. */
  readonly duplicatePackets?: number;
  /** Times the jitter buffer ran dry. */
  readonly underruns?: number;
  /** Times the jitter buffer overflowed. */
  readonly overruns?: number;
  /** Xruns the device reported. */
  readonly xruns?: number;
  /** Gauge: end-to-end latency in frames (uint32). */
  readonly latencyFrames?: number;
  /** Gauge: jitter-buffer fill in frames (uint32). */
  readonly bufferFillFrames?: number;
  /** Gauge: packet arrival jitter in microseconds; finite, ≥ 0. */
  readonly jitterUs?: number;
  /** Gauge: clock drift against the peer in parts per million; finite, signed. */
  readonly driftPpm?: number;
  /** Frames dropped unplayed to bring the jitter buffer back down to its target (slips). */
  readonly skippedFrames?: number;
}

/** One stream's counters. */
export interface ControlStreamStats {
  readonly direction: StreamDirection;
  /** Position in the direction's list of StreamFormats (uint32). */
  readonly streamIndex: number;
  readonly counters: ControlStatsCounters;
}

/** Both directions, to a peer that advertised the "stats" capability. */
export interface ControlStats {
  readonly type: 'stats';
  readonly requestId: number;
  /** Sender's monotonic clock when the counters were read, in microseconds (below 2^53). */
  readonly senderTimeUs: number;
  /** Over all streams. */
  readonly session: ControlStatsCounters;
  readonly streams: readonly ControlStreamStats[];
}

/** Both directions: a valid frame the receiver could not act on. The connection continues. */
export interface ControlErrorMessage {
  readonly type: 'error';
  /** The request this answers (which then fails), or 0. */
  readonly requestId: number;
  readonly code: ControlErrorCode;
  readonly message: string;
}

/** Both directions: the last frame before the sender closes the connection. */
export interface ControlDisconnect {
  readonly type: 'disconnect';
  /** The Hello this refuses, or 0. */
  readonly requestId: number;
  readonly reason: DisconnectReason;
  /** Human-readable; may be empty. */
  readonly text: string;
}

/** One control frame's content, as the library sees it. Wire shape: control.proto `ControlFrame`. */
export type ControlMessage =
  | ControlHello
  | ControlAuthChallenge
  | ControlWelcome
  | ControlStartIo
  | ControlStartIoResult
  | ControlStopIo
  | ControlStopIoResult
  | ControlHeartbeat
  | ControlStats
  | ControlErrorMessage
  | ControlDisconnect;

export type ControlMessageType = ControlMessage['type'];

/** Message types that are requests or responses, and so carry a non-zero `requestId`. */
export const CORRELATED_CONTROL_MESSAGE_TYPES: ReadonlySet<ControlMessageType> = new Set([
  'hello',
  'auth-challenge',
  'welcome',
  'start-io',
  'start-io-result',
  'stop-io',
  'stop-io-result',
]);
