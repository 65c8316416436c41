import { readFileSync } from 'node:fs';
import {
  AUDIO_AUTH_TAG_BYTES,
  AUDIO_HEADER_BYTES,
  DISCONNECT_REASONS,
  MAX_AUDIO_PAYLOAD_BYTES,
  MAX_SEALED_AUDIO_PAYLOAD_BYTES,
  SEALED_AUDIO_HEADER_BYTES,
  MAX_DATAGRAM_BYTES,
  MAX_STREAMS_PER_DIRECTION,
  OUTCOMES,
  TAGS,
  deriveAudioKey,
  encode,
  sealAudio,
  tagCode,
  type AudioDirection,
  type Message,
  type MessageType,
  type SeededRandom,
} from '../../src/index.js';
import { concat, mutate, type Field } from './mutate.js';
import { formats, fromHex, text, u32, u53, uuid } from './values.js';

const MESSAGE_TYPES = Object.keys(TAGS) as MessageType[];
const TAG_CODES = MESSAGE_TYPES.map((type) => tagCode(TAGS[type].tag));

function payloadLength(rng: SeededRandom, max = MAX_AUDIO_PAYLOAD_BYTES): number {
  if (rng.chance(0.005)) return max;
  return rng.chance(0.1) ? 1400 : rng.int(1, 64);
}

/** A valid message of `type` (any type when not given), fields at their boundaries often. */
export function randomWireMessage(rng: SeededRandom, type = rng.pick(MESSAGE_TYPES)): Message {
  switch (type) {
    case 'discovery':
      return { type };
    case 'connect':
      return {
        type,
        endpointId: uuid(rng),
        name: rng.chance(0.05) ? 'x'.repeat(255) : text(rng, 16),
        controlPort: rng.below(0x1_0000),
        formats: {
          inputs: formats(rng, MAX_STREAMS_PER_DIRECTION),
          outputs: formats(rng, MAX_STREAMS_PER_DIRECTION),
        },
      };
    case 'connection-result':
      return { type, outcome: rng.pick(OUTCOMES) };
    case 'start-io':
    case 'stop-io':
      return { type, requestId: u32(rng) };
    case 'start-io-result':
    case 'stop-io-result':
      return { type, requestId: u32(rng), outcome: rng.pick(OUTCOMES) };
    case 'heartbeat':
      return { type, sequence: u32(rng), senderTimeUs: u53(rng) };
    case 'audio':
      return {
        type,
        streamIndex: u32(rng),
        byteIndex: u53(rng),
        payload: rng.bytes(payloadLength(rng)),
      };
    case 'sealed-audio':
      return {
        type,
        streamIndex: u32(rng),
        byteIndex: u53(rng),
        keyId: u32(rng),
        copy: rng.below(4),
        sealed: rng.bytes(
          payloadLength(rng, MAX_SEALED_AUDIO_PAYLOAD_BYTES) + AUDIO_AUTH_TAG_BYTES,
        ),
      };
    case 'disconnect':
      return { type, reason: rng.pick(DISCONNECT_REASONS) };
    case 'version-not-supported':
      return { type, minVersion: rng.below(256), maxVersion: rng.below(256) };
  }
}

/** Every datagram of packages/proto/vectors/wire.json, valid and invalid. */
export function wireVectorDatagrams(): Uint8Array[] {
  const vectors = JSON.parse(
    readFileSync(new URL('../../vectors/wire.json', import.meta.url), 'utf8'),
  ) as { valid: { hex: string }[]; invalid: { hex: string }[] };
  return [...vectors.valid, ...vectors.invalid].map((vector) => fromHex(vector.hex));
}

const ENUM_CODES = [0, 1, 2, 3, 4, 8, 9, 255];
const COUNT_VALUES = [0, 1, MAX_STREAMS_PER_DIRECTION, MAX_STREAMS_PER_DIRECTION + 1, 0xffff];
/** High words of a u64 on either side of 2^53. */
const HIGH_WORDS = [0x1f_ffff, 0x20_0000, 0xffff_ffff];
/** Top two bytes of an f64: +∞, NaN, −∞, −0, 0. */
const DOUBLE_TOPS = [0x7ff0, 0x7ff8, 0xfff0, 0x8000, 0];

const le = (offset: number, size: number, bytes: Uint8Array, candidates?: number[]): Field => {
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + (bytes[offset + i] ?? 0);
  return candidates === undefined
    ? { offset, size, kind: 'le', value }
    : { offset, size, kind: 'le', value, candidates };
};

/** The preamble, counts, lengths, enums, u64 high words and format records of the tag at hand. */
export function wireFields(bytes: Uint8Array): Field[] {
  if (bytes.length < 8) return [];
  const fields = [le(3, 1, bytes, [0, 1, 2, 255]), le(4, 4, bytes, TAG_CODES)];
  const tag = String.fromCharCode(...bytes.subarray(4, 8));
  if (tag === 'CRES' || tag === 'DCON') fields.push(le(8, 1, bytes, ENUM_CODES));
  if (tag === 'STRR' || tag === 'STPR') fields.push(le(12, 1, bytes, ENUM_CODES));
  if (tag === 'BEAT') fields.push(le(16, 4, bytes, HIGH_WORDS));
  if (tag === 'AUDI') {
    const payload = bytes.length - AUDIO_HEADER_BYTES;
    fields.push(le(16, 4, bytes, HIGH_WORDS));
    fields.push(le(20, 4, bytes, [payload, payload + 1, payload - 1, MAX_AUDIO_PAYLOAD_BYTES + 1]));
  }
  if (tag === 'AUDE') {
    const sealed = bytes.length - SEALED_AUDIO_HEADER_BYTES - AUDIO_AUTH_TAG_BYTES;
    fields.push(le(16, 4, bytes, HIGH_WORDS));
    fields.push(
      le(20, 4, bytes, [sealed, sealed + 16, sealed - 1, MAX_SEALED_AUDIO_PAYLOAD_BYTES + 1]),
    );
    fields.push(le(24, 4, bytes, [0, 1, 2, 3, 0xffff_ffff]), le(28, 1, bytes, [0, 1, 3, 4, 0x13]));
    fields.push(le(29, 3, bytes, [0, 1, 0x80_0000]));
  }
  if (tag === 'CONN') {
    fields.push(le(26, 2, bytes, COUNT_VALUES), le(28, 2, bytes, COUNT_VALUES), le(30, 1, bytes));
    for (let at = 31; at + 15 <= bytes.length && at < 31 + 15 * 4; at += 15) {
      fields.push(le(at, 1, bytes, [0, 12, 13]), le(at + 1, 2, bytes, [0, 1, 0xffff]));
      fields.push(le(at + 13, 2, bytes, DOUBLE_TOPS));
    }
  }
  return fields;
}

/** A datagram of `size` bytes around the UDP maximum whose AUDI header is otherwise right. */
function oversized(rng: SeededRandom): Uint8Array {
  const size = MAX_DATAGRAM_BYTES + rng.int(-1, 2);
  const bytes = encode({
    type: 'audio',
    streamIndex: 0,
    byteIndex: 0,
    payload: new Uint8Array(MAX_AUDIO_PAYLOAD_BYTES),
  });
  const out = new Uint8Array(size);
  out.set(bytes.subarray(0, Math.min(size, bytes.length)));
  new DataView(out.buffer).setUint32(20, size - AUDIO_HEADER_BYTES, true);
  return out;
}

/**
 * One hostile datagram: mostly a valid message (fresh or from `donors`) under stacked mutations;
 * some valid ones unchanged, some noise, some behind a valid preamble, some around the size limit.
 * `type` biases the fresh messages towards one type.
 */
export function hostileDatagram(
  rng: SeededRandom,
  donors: readonly Uint8Array[],
  type?: MessageType,
): Uint8Array {
  const roll = rng.below(100);
  if (roll < 3) return rng.bytes(rng.below(48));
  if (roll < 6) {
    const preamble = Uint8Array.of(0x53, 0x59, 0x46, 1, 0, 0, 0, 0);
    new DataView(preamble.buffer).setUint32(4, rng.pick(TAG_CODES), true);
    return concat(preamble, rng.bytes(rng.below(64)));
  }
  if (roll < 7) return oversized(rng);
  const seed = rng.chance(0.5)
    ? encode(randomWireMessage(rng, type !== undefined && rng.chance(0.8) ? type : undefined))
    : rng.pick(donors);
  return roll < 15 ? seed : mutate(rng, seed, donors, wireFields);
}

/** The direction and keys of the authentic datagrams below: a server's view of its client. */
export const SEALED_DIRECTION: AudioDirection = 'client-to-server';
const FUZZ_SECRET = new Uint8Array(32).fill(0x5a);
/** The keys of ids 0 to 2, by id: a receiver holds the current key id and its neighbours. */
export const SEALED_KEYS = [0, 1, 2].map((id) => deriveAudioKey(FUZZ_SECRET, id));

/**
 * Authentic AUDE datagrams of key ids 0 to 2 (SEALED_KEYS, SEALED_DIRECTION), and others sealed
 * with the same keys the other way, which a receiver must refuse (reflected datagrams).
 */
export function sealedDonors(rng: SeededRandom): {
  authentic: Uint8Array[];
  reflected: Uint8Array[];
} {
  const seal = (direction: AudioDirection, i: number): Uint8Array =>
    sealAudio(SEALED_KEYS[i % SEALED_KEYS.length]!, direction, {
      streamIndex: rng.below(4),
      byteIndex: rng.chance(0.1) ? u53(rng) : rng.below(1 << 20),
      copy: rng.below(4),
      keyId: i % SEALED_KEYS.length,
      payload: rng.bytes(rng.chance(0.3) ? 1352 : rng.int(1, 300)),
    });
  return {
    authentic: Array.from({ length: 42 }, (_, i) => seal(SEALED_DIRECTION, i)),
    reflected: Array.from({ length: 6 }, (_, i) => seal('server-to-client', i)),
  };
}

/** Donors to splice with: the vectors and random valid messages of every type. */
export function wireDonors(rng: SeededRandom): Uint8Array[] {
  const random = MESSAGE_TYPES.flatMap((type) =>
    Array.from({ length: 4 }, () => encode(randomWireMessage(rng, type))),
  );
  return [...wireVectorDatagrams(), ...random];
}
