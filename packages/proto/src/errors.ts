/**
 * Every error the library throws on purpose is a `SyfalaError` with a stable string `code`,
 * so callers (and receive loops that count rejects) can switch on it without parsing messages.
 */
export class SyfalaError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Why a received datagram or frame was rejected. See docs/PROTOCOL.md §8. */
export type DecodeErrorCode =
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'BAD_VERSION'
  | 'UNKNOWN_TAG'
  | 'BAD_FIELD'
  | 'LENGTH_MISMATCH'
  | 'TOO_LARGE';

export const DECODE_ERROR_CODES: readonly DecodeErrorCode[] = [
  'TRUNCATED',
  'BAD_MAGIC',
  'BAD_VERSION',
  'UNKNOWN_TAG',
  'BAD_FIELD',
  'LENGTH_MISMATCH',
  'TOO_LARGE',
];

/** Received bytes that are not a valid message. The message names the field at fault. */
export class DecodeError extends SyfalaError<DecodeErrorCode> {}

/** A value handed to the library (a format, a message to encode) that breaks a protocol rule. */
export type ValueErrorCode =
  | 'BAD_SAMPLE_TYPE'
  | 'BAD_SAMPLE_RATE'
  | 'BAD_CHANNEL_COUNT'
  | 'BAD_BUFFER_SIZE'
  | 'BAD_FIELD'
  | 'BAD_ADDRESS'
  | 'BUFFER_TOO_SMALL';

export class ValueError extends SyfalaError<ValueErrorCode> {}

/**
 * The one sentence for a value that breaks its rule: "`what` must be `expected`, got `value`",
 * e.g. "--udp-port must be an integer from 0 to 65535, got "x"". Each caller throws it in its own
 * error class.
 */
export function mustBe(what: string, expected: string, got: unknown): string {
  return `${what} must be ${expected}, got ${describeValue(got)}`;
}

/**
 * How a value shows in an error message: text quoted (so "" and " 1" are visible), bytes by their
 * count, arrays and other objects by their kind rather than dumped, anything else as written.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
