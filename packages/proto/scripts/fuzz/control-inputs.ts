import { readFileSync } from 'node:fs';
import {
  AUTH_MAC_BYTES,
  AUTH_NONCE_BYTES,
  CONTROL_ERROR_CODES,
  CONTROL_MESSAGE_TYPES,
  DISCONNECT_REASONS,
  MAX_CONTROL_FRAME_BYTES,
  OUTCOMES,
  STREAM_DIRECTIONS,
  encodeControlFrame,
  encodeControlMessage,
  encodeVersion1ControlFrame,
  type ControlMessage,
  type ControlStatsCounters,
  type SeededRandom,
} from '../../src/index.js';
import { concat, mutate, type Field } from './mutate.js';
import { formats, fromHex, text, u32, u53, uuid } from './values.js';

const requestId = (rng: SeededRandom): number => u32(rng) || 1;
const port = (rng: SeededRandom): number => rng.int(1, 0xffff);
const strings = (rng: SeededRandom): string[] =>
  Array.from({ length: rng.below(4) }, () => text(rng, 8));

function counters(rng: SeededRandom): ControlStatsCounters {
  const out: Record<string, number> = {};
  for (const key of ['packetsSent', 'bytesReceived', 'lostFrames', 'xruns'] as const) {
    if (rng.chance(0.5)) out[key] = u53(rng);
  }
  if (rng.chance(0.5)) out['latencyFrames'] = u32(rng);
  if (rng.chance(0.5)) out['jitterUs'] = rng.pick([0, 0.5, 412.5, Number.MAX_VALUE]);
  if (rng.chance(0.5)) out['driftPpm'] = rng.pick([-0, -37.25, 1e-300, -Number.MAX_VALUE]);
  return out;
}

/** A valid control message of a random type, fields at their boundaries often. */
export function randomControlMessage(rng: SeededRandom): ControlMessage {
  const type = rng.pick(CONTROL_MESSAGE_TYPES);
  switch (type) {
    case 'hello':
      return {
        type,
        requestId: requestId(rng),
        protocolVersion: u32(rng) || 1,
        clientId: uuid(rng),
        clientName: text(rng, 12),
        capabilities: strings(rng),
        udpAudioPort: port(rng),
        ...(rng.chance(0.5) && {
          auth: { clientNonce: rng.bytes(AUTH_NONCE_BYTES), mac: rng.bytes(AUTH_MAC_BYTES) },
        }),
      };
    case 'auth-challenge':
      return {
        type,
        requestId: requestId(rng),
        method: 'hmac-sha256-psk',
        nonce: rng.bytes(AUTH_NONCE_BYTES),
      };
    case 'welcome':
      return {
        type,
        requestId: requestId(rng),
        protocolVersion: u32(rng) || 1,
        endpointId: uuid(rng),
        endpointName: text(rng, 12),
        formats: { inputs: formats(rng, 300), outputs: formats(rng, 300) },
        capabilities: strings(rng),
        udpAudioPort: port(rng),
        ...(rng.chance(0.5) && { authProof: rng.bytes(AUTH_MAC_BYTES) }),
      };
    case 'start-io':
    case 'stop-io':
      return { type, requestId: requestId(rng) };
    case 'start-io-result':
    case 'stop-io-result':
      return { type, requestId: requestId(rng), outcome: rng.pick(OUTCOMES), reason: text(rng, 8) };
    case 'heartbeat':
      return { type, requestId: 0, sequence: u32(rng), senderTimeUs: u53(rng) };
    case 'stats':
      return {
        type,
        requestId: 0,
        senderTimeUs: u53(rng),
        session: counters(rng),
        streams: Array.from({ length: rng.below(3) }, () => ({
          direction: rng.pick(STREAM_DIRECTIONS),
          streamIndex: u32(rng),
          counters: counters(rng),
        })),
      };
    case 'error':
      return {
        type,
        requestId: rng.chance(0.5) ? 0 : u32(rng),
        code: rng.pick(CONTROL_ERROR_CODES),
        message: text(rng, 8),
      };
    case 'disconnect':
      return {
        type,
        requestId: rng.chance(0.5) ? 0 : u32(rng),
        reason: rng.pick(DISCONNECT_REASONS),
        text: text(rng, 8),
      };
  }
}

/** Field numbers of control.proto (the ControlFrame bodies, and 1-15 for the inner messages). */
const FIELD_NUMBERS = [...Array.from({ length: 15 }, (_, i) => i + 1), 20, 21, 22, 23, 30, 31, 40];
/** Keys (field number and wire type) a tag may be swapped for, groups (3, 4) included. */
const KEYS = [...FIELD_NUMBERS, 41, 99].flatMap((n) => [0, 1, 2, 3, 4, 5].map((t) => n * 8 + t));
const VARINT_VALUES = [0, 1, 2, 3, 12, 13, 0xffff, 0x1_0000, 0xffff_ffff, 2 ** 53];
/** Top two bytes of a double, read little-endian: +∞, NaN, −∞, −0. */
const DOUBLE_TOPS = [0x7ff0, 0x7ff8, 0xfff0, 0x8000];

function readVarint(bytes: Uint8Array, at: number, end: number): [number, number] | undefined {
  let value = 0;
  for (let i = 0; i < 10 && at + i < end; i++) {
    const byte = bytes[at + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return [value, i + 1];
  }
  return undefined;
}

/**
 * Walks the protobuf message in [at, end) and collects its keys, varints, lengths and doubles,
 * recursing into length-delimited fields that parse as messages. Returns false when the bytes
 * are not a well-formed message (the fields found so far stay useful).
 */
function protobufFields(
  bytes: Uint8Array,
  at: number,
  end: number,
  out: Field[],
  depth = 0,
): boolean {
  while (at < end) {
    const key = readVarint(bytes, at, end);
    if (key === undefined) return false;
    out.push({ offset: at, size: key[1], kind: 'varint', value: key[0], candidates: KEYS });
    at += key[1];
    const wireType = key[0] % 8;
    if (wireType === 0 || wireType === 2) {
      const v = readVarint(bytes, at, end);
      if (v === undefined) return false;
      out.push({ offset: at, size: v[1], kind: 'varint', value: v[0], candidates: VARINT_VALUES });
      at += v[1];
      if (wireType === 2) {
        if (at + v[0] > end) return false;
        const inner: Field[] = [];
        if (depth < 4 && protobufFields(bytes, at, at + v[0], inner, depth + 1)) out.push(...inner);
        at += v[0];
      }
    } else if (wireType === 1) {
      if (at + 8 > end) return false;
      const value = (bytes[at + 6] ?? 0) | ((bytes[at + 7] ?? 0) << 8);
      out.push({ offset: at + 6, size: 2, kind: 'le', value, candidates: DOUBLE_TOPS });
      at += 8;
    } else if (wireType === 5) {
      at += 4;
    } else {
      return false;
    }
  }
  return at === end;
}

export function bodyFields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  protobufFields(bytes, 0, bytes.length, out);
  return out;
}

/** Every frame's varint length prefix, then the protobuf fields of its body. */
export function streamFields(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < bytes.length && out.length < 400) {
    const prefix = readVarint(bytes, at, bytes.length);
    if (prefix === undefined) break;
    const [length, size] = prefix;
    const candidates = [0, length - 1, length + 1, MAX_CONTROL_FRAME_BYTES + 1, 0xffff_ffff];
    out.push({ offset: at, size, kind: 'varint', value: length, candidates });
    at += size;
    protobufFields(bytes, at, Math.min(bytes.length, at + length), out);
    at += length;
  }
  return out;
}

/** The body of a varint-delimited frame (what follows its prefix), or undefined if it has none. */
function frameBody(frame: Uint8Array): Uint8Array | undefined {
  const prefix = readVarint(frame, 0, frame.length);
  return prefix === undefined || prefix[1] >= frame.length ? undefined : frame.subarray(prefix[1]);
}

/** Every frame of packages/proto/vectors/control.json, valid and invalid, prefix included. */
export function controlVectorStreams(): Uint8Array[] {
  const vectors = JSON.parse(
    readFileSync(new URL('../../vectors/control.json', import.meta.url), 'utf8'),
  ) as { valid: { hex: string }[]; invalid: { hex: string }[] };
  return [...vectors.valid, ...vectors.invalid].map((vector) => fromHex(vector.hex));
}

/** One hostile ControlFrame body (no prefix): mostly mutated valid messages, some untouched. */
export function hostileBody(rng: SeededRandom, donors: readonly Uint8Array[]): Uint8Array {
  const roll = rng.below(100);
  if (roll < 3) return rng.bytes(rng.below(64));
  const seed = rng.chance(0.5) ? encodeControlMessage(randomControlMessage(rng)) : rng.pick(donors);
  return roll < 11 ? seed : mutate(rng, seed, donors, bodyFields);
}

/** One hostile control stream: one to three frames, mutated as a whole, then cut into reads. */
export function hostileStream(rng: SeededRandom, donors: readonly Uint8Array[]): Uint8Array[] {
  const roll = rng.below(100);
  let bytes: Uint8Array;
  if (roll < 3) {
    bytes = rng.bytes(rng.below(64));
  } else if (roll < 5) {
    // A control version 1 peer: 4-byte little-endian lengths (CONTROL.md §1.1).
    bytes = encodeVersion1ControlFrame(randomControlMessage(rng));
  } else {
    const frames = Array.from({ length: rng.int(1, 3) }, () =>
      rng.chance(0.5) ? encodeControlFrame(randomControlMessage(rng)) : rng.pick(donors),
    );
    bytes = concat(...frames);
    if (roll >= 11) bytes = mutate(rng, bytes, donors, streamFields);
  }
  const cuts = Array.from({ length: rng.below(5) }, () => rng.below(bytes.length + 1));
  cuts.sort((a, b) => a - b);
  const ends = [...cuts, bytes.length];
  return [0, ...cuts].map((from, i) => bytes.subarray(from, ends[i]));
}

/** Control frames to splice with: the vectors and random valid frames. */
export function controlDonors(rng: SeededRandom): Uint8Array[] {
  const random = Array.from({ length: 48 }, () => encodeControlFrame(randomControlMessage(rng)));
  return [...controlVectorStreams(), ...random];
}

/** The same donors as bodies, for decodeControlMessage. */
export function bodyDonors(rng: SeededRandom): Uint8Array[] {
  return controlDonors(rng)
    .map(frameBody)
    .filter((body) => body !== undefined);
}
