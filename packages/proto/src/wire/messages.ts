import type { DisconnectReason, Outcome } from '../common.js';
import type { StreamFormats } from '../format.js';

/** Client beacon, sent to a broadcast/multicast or unicast address; servers that want the client answer Connect. */
export interface Discovery {
  readonly type: 'discovery';
}

/** A server's connection offer: who it is and the stream formats, fixed for the connection's life. */
export interface Connect {
  readonly type: 'connect';
  /** 128-bit endpoint identity, as a lowercase 8-4-4-4-12 hex string. */
  readonly endpointId: string;
  /** Human-readable name, at most 255 UTF-8 bytes. */
  readonly name: string;
  /** TCP control port, or 0 when the server speaks UDP control only. */
  readonly controlPort: number;
  readonly formats: StreamFormats;
}

/** The client's answer to a Connect offer. */
export interface ConnectionResult {
  readonly type: 'connection-result';
  readonly outcome: Outcome;
}

/** Start/stop I/O requests; `requestId` pairs a result with its request and spots retransmissions. */
export interface StartIo {
  readonly type: 'start-io';
  readonly requestId: number;
}

export interface StopIo {
  readonly type: 'stop-io';
  readonly requestId: number;
}

export interface StartIoResult {
  readonly type: 'start-io-result';
  readonly requestId: number;
  readonly outcome: Outcome;
}

export interface StopIoResult {
  readonly type: 'stop-io-result';
  readonly requestId: number;
  readonly outcome: Outcome;
}

export interface Heartbeat {
  readonly type: 'heartbeat';
  /** Increments by one per heartbeat sent, wrapping at 2^32. */
  readonly sequence: number;
  /** Sender's monotonic clock in microseconds (below 2^53). */
  readonly senderTimeUs: number;
}

/** A run of one stream's packed little-endian interleaved sample bytes. May hold partial frames. */
export interface Audio {
  readonly type: 'audio';
  readonly streamIndex: number;
  /** Position of the payload's first byte in the stream's byte sequence (below 2^53). */
  readonly byteIndex: number;
  /** The bytes; on decode, a view into the datagram, not a copy. */
  readonly payload: Uint8Array;
}

/**
 * An encrypted, authenticated run of one stream's bytes (docs/SECURITY.md §3). The header stays
 * readable; `sealed` is the ciphertext and its 16-byte tag, opened with openAudio().
 */
export interface SealedAudio {
  readonly type: 'sealed-audio';
  readonly streamIndex: number;
  /** Position of the plaintext's first byte in the stream's byte sequence (below 2^53). */
  readonly byteIndex: number;
  /** Which key sealed it: the I/O run's first key id, plus one per rotation. */
  readonly keyId: number;
  /** How many periods back the first byte was first sent: 0 to 3 (redundancy). */
  readonly copy: number;
  /** Ciphertext (as long as the plaintext) then the tag; on decode, a view into the datagram. */
  readonly sealed: Uint8Array;
}

export interface Disconnect {
  readonly type: 'disconnect';
  readonly reason: DisconnectReason;
}

/** The answer to a datagram in a version the receiver does not speak. Its layout never changes. */
export interface VersionNotSupported {
  readonly type: 'version-not-supported';
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** What a client sends and a server receives. */
export type ClientMessage =
  | Discovery
  | ConnectionResult
  | StartIo
  | StopIo
  | Heartbeat
  | Audio
  | SealedAudio
  | Disconnect
  | VersionNotSupported;

/** What a server sends and a client receives. */
export type ServerMessage =
  | Connect
  | StartIoResult
  | StopIoResult
  | Heartbeat
  | Audio
  | SealedAudio
  | Disconnect
  | VersionNotSupported;

export type Message = ClientMessage | ServerMessage;
