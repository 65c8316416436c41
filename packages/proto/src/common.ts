/**
 * Vocabulary shared by the UDP wire messages and the TCP control plane, so that one session
 * state machine can run over either (PROTOCOL.md §5.2, CONTROL.md).
 */
import { ValueError } from './errors.js';
import { MAX_NAME_BYTES } from './wire/constants.js';

/** Result of a request: Failure is transient (retry with backoff), Refusal is final (don't). */
export const OUTCOMES = ['ok', 'failure', 'refusal'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Why a connection ends. */
export const DISCONNECT_REASONS = [
  'normal',
  'shutdown',
  'timeout',
  'protocol-error',
  'auth-failed',
  'version-unsupported',
  'format-unsupported',
  'busy',
  'address-in-use',
  'device-lost',
] as const;
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

/** Endpoint and client ids: 128 bits, shown as lowercase 8-4-4-4-12 hex, sent as 16 bytes. */
export const ID_BYTES = 16;
const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** The id's 16 bytes; throws ValueError naming `field` unless it is a lowercase 8-4-4-4-12 id. */
export function idToBytes(id: unknown, field: string): Uint8Array {
  if (!isId(id)) {
    throw new ValueError(
      'BAD_FIELD',
      `${field}: expected a lowercase 8-4-4-4-12 hex id, got ${String(id)}`,
    );
  }
  return Uint8Array.from(id.replaceAll('-', '').match(/../g)!, (pair) => parseInt(pair, 16));
}

/** The id as text; the caller has checked that `bytes` holds exactly ID_BYTES. */
export function idFromBytes(bytes: ArrayLike<number>): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const utf8Encoder = new TextEncoder();

/**
 * An endpoint name's UTF-8 bytes; throws ValueError naming `field` unless it is a string of at
 * most MAX_NAME_BYTES bytes (the CONN name length is one byte, PROTOCOL.md §5.5).
 */
export function endpointNameBytes(name: unknown, field: string): Uint8Array {
  if (typeof name !== 'string') {
    throw new ValueError('BAD_FIELD', `${field}: expected a string, got ${typeof name}`);
  }
  const bytes = utf8Encoder.encode(name);
  if (bytes.length > MAX_NAME_BYTES) {
    throw new ValueError(
      'BAD_FIELD',
      `${field}: at most ${MAX_NAME_BYTES} UTF-8 bytes, got ${bytes.length}`,
    );
  }
  return bytes;
}
