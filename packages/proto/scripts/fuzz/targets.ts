import { isDeepStrictEqual } from 'node:util';
import {
  AUDIO_HEADER_BYTES,
  AUDIO_TAG_CODE,
  SEALED_AUDIO_HEADER_BYTES,
  SEALED_AUDIO_TAG_CODE,
  ControlFrameDecoder,
  DECODE_ERROR_CODES,
  DecodeError,
  createAudioHeader,
  createSealedAudioHeader,
  decodeControlMessage,
  decodeMessage,
  encode,
  encodeControlFrame,
  encodeControlMessage,
  openAudio,
  readAudioHeader,
  readPreamble,
  readSealedAudioHeader,
  writeAudioHeader,
  type ControlMessage,
  type DecodeErrorCode,
  type Role,
  type SeededRandom,
} from '../../src/index.js';
import { bodyDonors, controlDonors, hostileBody, hostileStream } from './control-inputs.js';
import { concat, mutate } from './mutate.js';
import { asBuffer, asPlain, toHex } from './values.js';
import {
  SEALED_DIRECTION,
  SEALED_KEYS,
  hostileDatagram,
  sealedDonors,
  wireDonors,
  wireFields,
} from './wire-inputs.js';

/** Why an input was refused: a DecodeError code, or a sealed datagram that is not authentic. */
export type RejectCode = DecodeErrorCode | 'AUTH_FAILED';
export const REJECT_CODES: readonly RejectCode[] = [...DECODE_ERROR_CODES, 'AUTH_FAILED'];

/** What one input came to: decoded (and round-tripped), or rejected. */
export type Verdict =
  | { readonly accepted: true; readonly canonical: boolean }
  | { readonly accepted: false; readonly code: RejectCode };

/** A property that failed on an accepted input: a bad round trip or two decoders disagreeing. */
export class Mismatch extends Error {
  override readonly name = 'Mismatch';
}

/** One generated input, checked on demand; its hex is built only for a report. */
export interface FuzzCase {
  check(): Verdict;
  hex(): string;
}

export interface FuzzTarget {
  readonly name: string;
  /** Draws the run's donors from `runRng`; returns the maker of an input from its own SeededRandom. */
  prepare(runRng: SeededRandom): (rng: SeededRandom) => FuzzCase;
}

interface TargetSpec<Input> {
  readonly name: string;
  /** Valid inputs to mutate and splice with. */
  donors(rng: SeededRandom): readonly Uint8Array[];
  generate(rng: SeededRandom, donors: readonly Uint8Array[]): Input;
  /** Throws Mismatch when a property fails; any other throw is the decoder's own. */
  check(input: Input): Verdict;
  hex(input: Input): string;
}

function target<Input>(spec: TargetSpec<Input>): FuzzTarget {
  return {
    name: spec.name,
    prepare: (runRng) => {
      const donors = spec.donors(runRng);
      return (rng) => {
        const input = spec.generate(rng, donors);
        return { check: () => spec.check(input), hex: () => spec.hex(input) };
      };
    },
  };
}

type Attempt<T> = { readonly value: T } | { readonly code: DecodeErrorCode };

/** A DecodeError with a known code becomes a rejection; anything else thrown escapes. */
function attempt<T>(decode: () => T): Attempt<T> {
  try {
    return { value: decode() };
  } catch (error) {
    if (error instanceof DecodeError && DECODE_ERROR_CODES.includes(error.code)) {
      return { code: error.code };
    }
    throw error;
  }
}

/** The encoder refusing what the decoder accepted is a failed round trip, not a crash. */
function reencode<T>(encodeIt: () => T): T {
  try {
    return encodeIt();
  } catch (error) {
    throw new Mismatch(`the encoder refuses the decoded message: ${String(error)}`);
  }
}

const rejected = (code: RejectCode): Verdict => ({ accepted: false, code });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The UDP encoding is canonical: an accepted datagram re-encodes to exactly its bytes. */
function checkDatagram(bytes: Uint8Array, sender: Role): Verdict {
  const decoded = attempt(() => decodeMessage(bytes, sender));
  if ('code' in decoded) return rejected(decoded.code);
  const again = reencode(() => encode(decoded.value));
  // VERS decodes whatever its version byte (PROTOCOL.md §11), which the message does not keep.
  if (decoded.value.type === 'version-not-supported') again[3] = bytes[3]!;
  if (!sameBytes(again, bytes)) throw new Mismatch(`re-encodes to ${toHex(again)}`);
  return { accepted: true, canonical: true };
}

/**
 * A datagram where a receive path finds it: alone or at an offset in a larger buffer, and half the
 * time in a Node Buffer, as sockets hand it over.
 */
interface Placed {
  readonly buf: Uint8Array;
  readonly offset: number;
  readonly length: number;
}

function place(rng: SeededRandom, datagram: Uint8Array): Placed {
  const before = rng.chance(0.5) ? 0 : rng.below(16);
  const after = rng.chance(0.5) ? 0 : rng.below(16);
  const buf = concat(rng.bytes(before), datagram, rng.bytes(after));
  return { buf: rng.chance(0.5) ? asBuffer(buf) : buf, offset: before, length: datagram.length };
}

const placedHex = ({ buf, offset, length }: Placed): string =>
  `${toHex(buf.subarray(offset, offset + length))} (at offset ${offset} of a ${buf.length}-byte ${buf.constructor.name})`;

const datagramTarget = (sender: Role): FuzzTarget =>
  target<Placed>({
    name: `udp-${sender}`,
    donors: wireDonors,
    generate: (rng, donors) => place(rng, hostileDatagram(rng, donors)),
    check: ({ buf, offset, length }) =>
      checkDatagram(buf.subarray(offset, offset + length), sender),
    hex: placedHex,
  });

/**
 * A header reader for one tag must agree with decodeMessage: the same verdict when the preamble
 * fails or the tag is its own, UNKNOWN_TAG for every other tag. Returns the reader's result.
 */
function crossCheck<T>(
  { buf, offset, length }: Placed,
  tagCode: number,
  name: string,
  read: () => T,
): Attempt<T> {
  const header = attempt(read);
  const preamble = attempt(() => readPreamble(buf, offset, length));
  const reference = attempt(() => decodeMessage(buf.subarray(offset, offset + length), 'client'));
  const expected: Attempt<unknown> =
    'code' in preamble || preamble.value === tagCode ? reference : { code: 'UNKNOWN_TAG' };
  const got = 'code' in header ? header.code : 'accepted';
  const want = 'code' in expected ? expected.code : 'accepted';
  if (got !== want) throw new Mismatch(`${name}: ${got}, decodeMessage: ${want}`);
  return header;
}

/** readAudioHeader agrees with decodeMessage, and what it accepts re-encodes to itself. */
function checkAudio(placed: Placed): Verdict {
  const { buf, offset, length } = placed;
  const datagram = buf.subarray(offset, offset + length);
  const header = crossCheck(placed, AUDIO_TAG_CODE, 'readAudioHeader', () =>
    readAudioHeader(buf, createAudioHeader(), offset, length),
  );
  if ('code' in header) return rejected(header.code);
  const { streamIndex, byteIndex, byteCount, payloadOffset } = header.value;
  if (payloadOffset !== offset + AUDIO_HEADER_BYTES) {
    throw new Mismatch(`payload offset ${payloadOffset} for a datagram at ${offset}`);
  }
  const again = new Uint8Array(AUDIO_HEADER_BYTES + byteCount);
  reencode(() => writeAudioHeader(again, 0, streamIndex, byteIndex, byteCount));
  again.set(buf.subarray(payloadOffset, payloadOffset + byteCount), AUDIO_HEADER_BYTES);
  if (!sameBytes(again, datagram)) throw new Mismatch(`re-encodes to ${toHex(again)}`);
  return { accepted: true, canonical: true };
}

const audioTarget = target<Placed>({
  name: 'audio-header',
  donors: wireDonors,
  generate: (rng, donors) => place(rng, hostileDatagram(rng, donors, 'audio')),
  check: checkAudio,
  hex: placedHex,
});

/** A datagram for the decrypt path, and whether it is byte for byte an authentic one. */
interface SealedInput extends Placed {
  readonly authentic: boolean;
}

/**
 * The decrypt path as a receiver runs it (docs/SECURITY.md §4): readSealedAudioHeader, which
 * must agree with decodeMessage, then openAudio with the key of the datagram's key id (of the
 * three a receiver holds). Only an authentic datagram may open, and every authentic one must.
 */
function checkSealed(input: SealedInput): Verdict {
  const { buf, offset, length } = input;
  const header = crossCheck(input, SEALED_AUDIO_TAG_CODE, 'readSealedAudioHeader', () =>
    readSealedAudioHeader(buf, createSealedAudioHeader(), offset, length),
  );
  if ('code' in header) return rejected(header.code);
  if (header.value.payloadOffset !== offset + SEALED_AUDIO_HEADER_BYTES) {
    throw new Mismatch(`payload offset ${header.value.payloadOffset} for a datagram at ${offset}`);
  }
  const key = SEALED_KEYS[header.value.keyId % SEALED_KEYS.length]!;
  const plaintext = openAudio(key, SEALED_DIRECTION, buf, header.value);
  if (plaintext === null) {
    if (input.authentic) throw new Mismatch('an authentic datagram failed to open');
    return rejected('AUTH_FAILED');
  }
  if (!input.authentic) throw new Mismatch('a datagram that is not authentic opened');
  if (plaintext.length !== header.value.byteCount) {
    throw new Mismatch(`opened to ${plaintext.length} bytes, not ${header.value.byteCount}`);
  }
  return { accepted: true, canonical: true };
}

const sealedTarget: FuzzTarget = {
  name: 'sealed-audio',
  prepare: (runRng) => {
    const { authentic, reflected } = sealedDonors(runRng);
    const donors = [...authentic, ...reflected, ...wireDonors(runRng)];
    const isAuthentic = (bytes: Uint8Array): boolean => authentic.some((a) => sameBytes(a, bytes));
    return (rng) => {
      // Mostly authentic datagrams under stacked mutations; some unchanged, some reflected, some
      // of every other kind of hostile datagram.
      const roll = rng.below(100);
      const datagram =
        roll < 10
          ? hostileDatagram(rng, donors, 'sealed-audio')
          : roll < 20
            ? rng.pick(authentic)
            : roll < 25
              ? rng.pick(reflected)
              : mutate(rng, rng.pick(authentic), donors, wireFields);
      const input: SealedInput = { ...place(rng, datagram), authentic: isAuthentic(datagram) };
      return { check: () => checkSealed(input), hex: () => placedHex(input) };
    };
  },
};

/**
 * Protobuf is not canonical (field order, repeats, unknown fields, long varints, invalid UTF-8
 * read as U+FFFD), so the property is decode(encode(m)) = m; `canonical` counts the inputs that
 * also re-encode to their own bytes.
 */
function roundTrip(message: ControlMessage): Uint8Array {
  const again = reencode(() => encodeControlMessage(message));
  const decoded = attempt(() => decodeControlMessage(again));
  if ('code' in decoded) throw new Mismatch(`the re-encoded message is rejected: ${decoded.code}`);
  if (!isDeepStrictEqual(decoded.value, message)) {
    throw new Mismatch(`decodes again as ${JSON.stringify(decoded.value)}`);
  }
  return again;
}

const describe = (result: Attempt<unknown>): string =>
  'code' in result ? result.code : JSON.stringify(result.value);

const frameTarget = target<Uint8Array>({
  name: 'control-frame',
  donors: bodyDonors,
  generate: (rng, donors) => {
    const body = hostileBody(rng, donors);
    return rng.chance(0.5) ? asBuffer(body) : body;
  },
  check: (bytes) => {
    const decoded = attempt(() => decodeControlMessage(bytes));
    // The verdict must be the bytes' alone: TCP reads are Buffers, split frames are gathered in a
    // plain Uint8Array, and protobufjs has a reader for each.
    const other = bytes instanceof Buffer ? asPlain(bytes) : asBuffer(bytes);
    const again = attempt(() => decodeControlMessage(other));
    if (!isDeepStrictEqual(decoded, again)) {
      throw new Mismatch(
        `${bytes.constructor.name}: ${describe(decoded)}, ${other.constructor.name}: ${describe(again)}`,
      );
    }
    if ('code' in decoded) return rejected(decoded.code);
    return { accepted: true, canonical: sameBytes(roundTrip(decoded.value), bytes) };
  },
  hex: (bytes) => `${toHex(bytes)} (${bytes.constructor.name})`,
});

/** Feeds the reads to a fresh decoder, then ends the stream; a failed decoder must stay failed. */
function decodeStream(chunks: readonly Uint8Array[]): Attempt<ControlMessage[]> {
  const decoder = new ControlFrameDecoder();
  const result = attempt(() => {
    const messages = chunks.flatMap((chunk) => decoder.push(chunk));
    decoder.end();
    return messages;
  });
  if ('code' in result) {
    const later = attempt(() => decoder.push(Uint8Array.of(0)));
    if (!('code' in later) || later.code !== result.code) {
      throw new Mismatch(`a decoder failed with ${result.code} does not stay failed`);
    }
  }
  return result;
}

/** Where TCP cuts the stream must not matter; what decodes must frame and decode again as is. */
function checkStream(chunks: readonly Uint8Array[]): Verdict {
  const stream = concat(...chunks);
  const result = decodeStream(chunks);
  const whole = decodeStream([chunks[0] instanceof Buffer ? asBuffer(stream) : stream]);
  if (!isDeepStrictEqual(result, whole)) {
    throw new Mismatch(`in reads: ${describe(result)}; in one read: ${describe(whole)}`);
  }
  if ('code' in result) return rejected(result.code);
  result.value.forEach(roundTrip);
  const again = reencode(() => concat(...result.value.map((m) => encodeControlFrame(m))));
  const reread = decodeStream([again]);
  if (!isDeepStrictEqual(reread, result)) throw new Mismatch('the re-encoded stream differs');
  return { accepted: true, canonical: sameBytes(again, stream) };
}

const streamTarget = target<Uint8Array[]>({
  name: 'control-stream',
  donors: controlDonors,
  // TCP reads are Buffers; plain arrays too, for other callers.
  generate: (rng, donors) => {
    const chunks = hostileStream(rng, donors);
    return rng.chance(0.5) ? chunks.map(asBuffer) : chunks;
  },
  check: checkStream,
  hex: (chunks) => `${chunks.map(toHex).join(' | ')} (${chunks[0]!.constructor.name}s)`,
});

/** Every decoder that takes bytes from the network. */
export const TARGETS: readonly FuzzTarget[] = [
  datagramTarget('client'),
  datagramTarget('server'),
  audioTarget,
  sealedTarget,
  frameTarget,
  streamTarget,
];
