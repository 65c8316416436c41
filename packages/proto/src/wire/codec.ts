import { DecodeError, ValueError } from '../errors.js';
import {
  type Format,
  type StreamFormats,
  makeFormat,
  sampleTypeFromCode,
  SAMPLE_TYPE_INFO,
} from '../format.js';
import {
  createAudioHeader,
  createSealedAudioHeader,
  readAudioHeader,
  readSealedAudioHeader,
  writeAudioHeader,
  writeSealedAudioHeader,
} from './audio.js';
import { ByteReader, ByteWriter, checkUint } from './bytes.js';
import {
  AUDIO_AUTH_TAG_BYTES,
  AUDIO_HEADER_BYTES,
  FORMAT_RECORD_BYTES,
  MAX_STREAMS_PER_DIRECTION,
  PREAMBLE_BYTES,
  SEALED_AUDIO_HEADER_BYTES,
} from './constants.js';
import {
  DISCONNECT_REASONS,
  ID_BYTES,
  OUTCOMES,
  endpointNameBytes,
  idFromBytes,
  idToBytes,
  type Outcome,
} from '../common.js';
import type { ClientMessage, Message, ServerMessage } from './messages.js';
import { checkCapacity, readPreamble, writePreamble } from './preamble.js';
import {
  type MessageType,
  type Role,
  isSentBy,
  messageTypeOfTagCode,
  tagCode,
  TAGS,
} from './tags.js';

const MAX_U8 = 0xff;
const MAX_U32 = 0xffff_ffff;
// ignoreBOM keeps a leading U+FEFF in the name: stripping it would accept 3 bytes the message
// does not hold, so the datagram would not re-encode to itself.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;

/** How one message type's body (everything after the preamble) is sized, written and read. */
interface BodyCodec<T extends MessageType> {
  size(message: MessageOf<T>): number;
  write(message: MessageOf<T>, w: ByteWriter): void;
  read(r: ByteReader): MessageOf<T>;
}

const empty = <T extends 'discovery'>(type: T): BodyCodec<T> => ({
  size: () => 0,
  write: () => {},
  read: () => ({ type }) as MessageOf<T>,
});

/** Wire code of an enum value is its index in the list plus one; 0 is never valid (PROTOCOL.md §5.3). */
function readEnum<V>(r: ByteReader, values: readonly V[], field: string): V {
  const code = r.u8(field);
  const value = code >= 1 ? values[code - 1] : undefined;
  if (value === undefined) {
    throw new DecodeError('BAD_FIELD', `${field}: unknown code ${code}`);
  }
  return value;
}

function writeEnum<V>(w: ByteWriter, values: readonly V[], value: V, field: string): void {
  const code = values.indexOf(value);
  if (code < 0) {
    throw new ValueError(
      'BAD_FIELD',
      `${field}: expected one of ${values.join(', ')}, got ${String(value)}`,
    );
  }
  w.u8(code + 1);
}

const outcomeResult = <T extends 'start-io-result' | 'stop-io-result'>(type: T): BodyCodec<T> => ({
  size: () => 5,
  write: (m: { requestId: number; outcome: Outcome }, w) => {
    checkUint(m.requestId, MAX_U32, `${type} request id`);
    w.u32(m.requestId);
    writeEnum(w, OUTCOMES, m.outcome, `${type} outcome`);
  },
  read: (r) =>
    ({
      type,
      requestId: r.u32(`${type} request id`),
      outcome: readEnum(r, OUTCOMES, `${type} outcome`),
    }) as MessageOf<T>,
});

const request = <T extends 'start-io' | 'stop-io'>(type: T): BodyCodec<T> => ({
  size: () => 4,
  write: (m: { requestId: number }, w) => {
    checkUint(m.requestId, MAX_U32, `${type} request id`);
    w.u32(m.requestId);
  },
  read: (r) => ({ type, requestId: r.u32(`${type} request id`) }) as MessageOf<T>,
});

function checkStreamCount(formats: readonly Format[], field: string): void {
  if (formats.length > MAX_STREAMS_PER_DIRECTION) {
    throw new ValueError(
      'BAD_FIELD',
      `${field}: at most ${MAX_STREAMS_PER_DIRECTION} streams, got ${formats.length}`,
    );
  }
}

/** Format record: sample type u8, channels u16, buffer frames u32, sample rate f64. */
function writeFormat(w: ByteWriter, format: Format): void {
  const valid = makeFormat(format);
  w.u8(SAMPLE_TYPE_INFO[valid.sampleType].code);
  w.u16(valid.channels);
  w.u32(valid.bufferFrames);
  w.f64(valid.sampleRate);
}

function readFormat(r: ByteReader, field: string): Format {
  const code = r.u8(`${field} sample type`);
  const sampleType = sampleTypeFromCode(code);
  if (sampleType === undefined) {
    throw new DecodeError('BAD_FIELD', `${field} sample type: unknown code ${code}`);
  }
  const channels = r.u16(`${field} channels`);
  const bufferFrames = r.u32(`${field} buffer frames`);
  const sampleRate = r.f64(`${field} sample rate`);
  try {
    return makeFormat({ sampleType, channels, bufferFrames, sampleRate });
  } catch (error) {
    throw new DecodeError('BAD_FIELD', `${field}: ${(error as Error).message}`);
  }
}

function readStreamCount(r: ByteReader, field: string): number {
  const count = r.u16(field);
  if (count > MAX_STREAMS_PER_DIRECTION) {
    throw new DecodeError(
      'TOO_LARGE',
      `${field}: at most ${MAX_STREAMS_PER_DIRECTION} streams, got ${count}`,
    );
  }
  return count;
}

/**
 * CONN body: endpoint id (16) | control port u16 | input count u16 | output count u16 |
 * name length u8 | format records (15 each, inputs then outputs) | name (UTF-8).
 */
const connect: BodyCodec<'connect'> = {
  size: (m) =>
    ID_BYTES +
    7 +
    FORMAT_RECORD_BYTES * (m.formats.inputs.length + m.formats.outputs.length) +
    endpointNameBytes(m.name, 'connect name').length,
  write: (m, w) => {
    checkUint(m.controlPort, 0xffff, 'connect control port');
    checkStreamCount(m.formats.inputs, 'connect inputs');
    checkStreamCount(m.formats.outputs, 'connect outputs');
    const name = endpointNameBytes(m.name, 'connect name');
    w.bytes(idToBytes(m.endpointId, 'connect endpoint id'));
    w.u16(m.controlPort);
    w.u16(m.formats.inputs.length);
    w.u16(m.formats.outputs.length);
    w.u8(name.length);
    for (const format of m.formats.inputs) writeFormat(w, format);
    for (const format of m.formats.outputs) writeFormat(w, format);
    w.bytes(name);
  },
  read: (r) => {
    const endpointId = idFromBytes(r.bytes(ID_BYTES, 'connect endpoint id'));
    const controlPort = r.u16('connect control port');
    const inputCount = readStreamCount(r, 'connect input count');
    const outputCount = readStreamCount(r, 'connect output count');
    const nameLength = r.u8('connect name length');
    const inputs = Array.from({ length: inputCount }, (_, i) =>
      readFormat(r, `connect input ${i}`),
    );
    const outputs = Array.from({ length: outputCount }, (_, i) =>
      readFormat(r, `connect output ${i}`),
    );
    let name: string;
    try {
      name = utf8Decoder.decode(r.bytes(nameLength, 'connect name'));
    } catch (error) {
      if (error instanceof DecodeError) throw error;
      throw new DecodeError('BAD_FIELD', 'connect name: not valid UTF-8');
    }
    const formats: StreamFormats = { inputs, outputs };
    return { type: 'connect', endpointId, name, controlPort, formats };
  },
};

/** Audio is absent: it goes through the allocation-free header functions in audio.ts. */
type ControlType = Exclude<MessageType, 'audio' | 'sealed-audio'>;

const BODY_CODECS: { readonly [T in ControlType]: BodyCodec<T> } = {
  discovery: empty('discovery'),
  connect,
  'connection-result': {
    size: () => 1,
    write: (m, w) => writeEnum(w, OUTCOMES, m.outcome, 'connection-result outcome'),
    read: (r) => ({
      type: 'connection-result',
      outcome: readEnum(r, OUTCOMES, 'connection-result outcome'),
    }),
  },
  'start-io': request('start-io'),
  'stop-io': request('stop-io'),
  'start-io-result': outcomeResult('start-io-result'),
  'stop-io-result': outcomeResult('stop-io-result'),
  heartbeat: {
    size: () => 12,
    write: (m, w) => {
      checkUint(m.sequence, MAX_U32, 'heartbeat sequence');
      checkUint(m.senderTimeUs, Number.MAX_SAFE_INTEGER, 'heartbeat time');
      w.u32(m.sequence);
      w.u64(m.senderTimeUs);
    },
    read: (r) => ({
      type: 'heartbeat',
      sequence: r.u32('heartbeat sequence'),
      senderTimeUs: r.u64('heartbeat time'),
    }),
  },
  disconnect: {
    size: () => 1,
    write: (m, w) => writeEnum(w, DISCONNECT_REASONS, m.reason, 'disconnect reason'),
    read: (r) => ({
      type: 'disconnect',
      reason: readEnum(r, DISCONNECT_REASONS, 'disconnect reason'),
    }),
  },
  'version-not-supported': {
    size: () => 2,
    write: (m, w) => {
      checkUint(m.minVersion, MAX_U8, 'version-not-supported min version');
      checkUint(m.maxVersion, MAX_U8, 'version-not-supported max version');
      w.u8(m.minVersion);
      w.u8(m.maxVersion);
    },
    read: (r) => ({
      type: 'version-not-supported',
      minVersion: r.u8('version-not-supported min version'),
      maxVersion: r.u8('version-not-supported max version'),
    }),
  },
};

function codecOf<T extends ControlType>(type: T): BodyCodec<T> {
  const codec = BODY_CODECS[type] as BodyCodec<T> | undefined;
  if (codec === undefined) {
    throw new ValueError('BAD_FIELD', `message type: unknown type ${String(type)}`);
  }
  return codec;
}

/** Bytes `message` takes on the wire. */
export function encodedSize(message: Message): number {
  if (message.type === 'audio') return AUDIO_HEADER_BYTES + message.payload.length;
  if (message.type === 'sealed-audio') return SEALED_AUDIO_HEADER_BYTES + message.sealed.length;
  return PREAMBLE_BYTES + codecOf(message.type).size(message as never);
}

/** Encodes `message` into `buf` at `offset` (a buffer the caller owns); returns the bytes written. */
export function encodeInto(message: Message, buf: Uint8Array, offset = 0): number {
  const size = encodedSize(message);
  checkCapacity(buf, offset, size);
  if (message.type === 'audio') {
    writeAudioHeader(buf, offset, message.streamIndex, message.byteIndex, message.payload.length);
    buf.set(message.payload, offset + AUDIO_HEADER_BYTES);
    return size;
  }
  if (message.type === 'sealed-audio') {
    const { streamIndex, byteIndex, keyId, copy, sealed } = message;
    const byteCount = sealed.length - AUDIO_AUTH_TAG_BYTES;
    writeSealedAudioHeader(buf, offset, streamIndex, byteIndex, byteCount, keyId, copy);
    buf.set(sealed, offset + SEALED_AUDIO_HEADER_BYTES);
    return size;
  }
  writePreamble(buf, offset, tagCode(TAGS[message.type].tag));
  const w = new ByteWriter(buf, offset + PREAMBLE_BYTES);
  codecOf(message.type).write(message as never, w);
  return size;
}

/** Encodes `message` into a new buffer; for control messages (the audio path uses encodeInto). */
export function encode(message: Message): Uint8Array {
  const buf = new Uint8Array(encodedSize(message));
  encodeInto(message, buf);
  return buf;
}

/**
 * Decodes one datagram sent by `sender`. Throws only DecodeError. An audio payload is a view
 * into `bytes`, not a copy.
 */
export function decodeMessage(bytes: Uint8Array, sender: 'client'): ClientMessage;
export function decodeMessage(bytes: Uint8Array, sender: 'server'): ServerMessage;
export function decodeMessage(bytes: Uint8Array, sender: Role): Message;
export function decodeMessage(bytes: Uint8Array, sender: Role): Message {
  const code = readPreamble(bytes, 0, bytes.length);
  const type = messageTypeOfTagCode(code);
  if (type === undefined) {
    throw new DecodeError('UNKNOWN_TAG', `tag: unknown tag ${describeTag(bytes)}`);
  }
  if (!isSentBy(type, sender)) {
    throw new DecodeError('UNKNOWN_TAG', `tag: ${TAGS[type].tag} is never sent by a ${sender}`);
  }
  if (type === 'audio') {
    const header = readAudioHeader(bytes, createAudioHeader());
    return {
      type,
      streamIndex: header.streamIndex,
      byteIndex: header.byteIndex,
      payload: bytes.subarray(header.payloadOffset),
    };
  }
  if (type === 'sealed-audio') {
    const header = readSealedAudioHeader(bytes, createSealedAudioHeader());
    return {
      type,
      streamIndex: header.streamIndex,
      byteIndex: header.byteIndex,
      keyId: header.keyId,
      copy: header.copy,
      sealed: bytes.subarray(header.payloadOffset),
    };
  }
  const r = new ByteReader(bytes, PREAMBLE_BYTES, bytes.length);
  const message = codecOf(type).read(r);
  r.end(TAGS[type].tag);
  return message;
}

export const decodeClientMessage = (bytes: Uint8Array): ClientMessage =>
  decodeMessage(bytes, 'client');
export const decodeServerMessage = (bytes: Uint8Array): ServerMessage =>
  decodeMessage(bytes, 'server');

/** The tag as text when printable, else as hex: it goes into an error message about a stranger's datagram. */
function describeTag(bytes: Uint8Array): string {
  const tag = bytes.subarray(4, 8);
  const printable = tag.every((b) => b >= 0x20 && b < 0x7f);
  return printable
    ? JSON.stringify(String.fromCharCode(...tag))
    : `0x${Array.from(tag, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
