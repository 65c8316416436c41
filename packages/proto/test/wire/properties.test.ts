import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DISCONNECT_REASONS,
  DecodeError,
  MAX_BUFFER_FRAMES,
  MAX_CHANNELS,
  MAX_DATAGRAM_BYTES,
  MAX_SAMPLE_RATE,
  MIN_BUFFER_FRAMES,
  MIN_SAMPLE_RATE,
  OUTCOMES,
  SAMPLE_TYPES,
  TAGS,
  decodeMessage,
  encode,
  tagCode,
  type Format,
  type Message,
  type MessageType,
  type Role,
} from '../../src/index.js';

const u32 = fc.nat({ max: 0xffff_ffff });
const safeU64 = fc.maxSafeNat();
const outcome = fc.constantFrom(...OUTCOMES);

const format: fc.Arbitrary<Format> = fc.record({
  sampleRate: fc.double({ min: MIN_SAMPLE_RATE, max: MAX_SAMPLE_RATE, noNaN: true }),
  channels: fc.integer({ min: 1, max: MAX_CHANNELS }),
  bufferFrames: fc.oneof(
    fc.constant(0),
    fc.integer({ min: MIN_BUFFER_FRAMES, max: MAX_BUFFER_FRAMES }),
  ),
  sampleType: fc.constantFrom(...SAMPLE_TYPES),
});

const endpointId = fc.uuid().map((id) => id.toLowerCase());
/** Names up to 255 UTF-8 bytes, including multi-byte characters. */
const name = fc.string({ unit: 'binary', maxLength: 60 });

const messages: { [T in MessageType]: fc.Arbitrary<Extract<Message, { type: T }>> } = {
  discovery: fc.constant({ type: 'discovery' }),
  connect: fc.record({
    type: fc.constant('connect'),
    endpointId,
    name,
    controlPort: fc.nat({ max: 0xffff }),
    formats: fc.record({
      inputs: fc.array(format, { maxLength: 8 }),
      outputs: fc.array(format, { maxLength: 8 }),
    }),
  }),
  'connection-result': fc.record({ type: fc.constant('connection-result'), outcome }),
  'start-io': fc.record({ type: fc.constant('start-io'), requestId: u32 }),
  'stop-io': fc.record({ type: fc.constant('stop-io'), requestId: u32 }),
  'start-io-result': fc.record({ type: fc.constant('start-io-result'), requestId: u32, outcome }),
  'stop-io-result': fc.record({ type: fc.constant('stop-io-result'), requestId: u32, outcome }),
  heartbeat: fc.record({ type: fc.constant('heartbeat'), sequence: u32, senderTimeUs: safeU64 }),
  audio: fc.record({
    type: fc.constant('audio'),
    streamIndex: u32,
    byteIndex: safeU64,
    payload: fc.uint8Array({ minLength: 1, maxLength: 1400 }),
  }),
  'sealed-audio': fc.record({
    type: fc.constant('sealed-audio'),
    streamIndex: u32,
    byteIndex: safeU64,
    keyId: u32,
    copy: fc.nat({ max: 3 }),
    sealed: fc.uint8Array({ minLength: 17, maxLength: 1400 }),
  }),
  disconnect: fc.record({
    type: fc.constant('disconnect'),
    reason: fc.constantFrom(...DISCONNECT_REASONS),
  }),
  'version-not-supported': fc.record({
    type: fc.constant('version-not-supported'),
    minVersion: fc.nat({ max: 255 }),
    maxVersion: fc.nat({ max: 255 }),
  }),
};

const anyMessage = fc.oneof(...Object.values(messages)) as fc.Arbitrary<Message>;
const role = fc.constantFrom<Role>('client', 'server');

/** Decodes and returns true, or returns false for a DecodeError; anything else escapes and fails. */
function decodesOrRejects(bytes: Uint8Array, sender: Role): boolean {
  try {
    decodeMessage(bytes, sender);
    return true;
  } catch (error) {
    if (error instanceof DecodeError) return false;
    throw error;
  }
}

describe('wire codec properties', () => {
  it.each(Object.keys(messages) as MessageType[])('decode(encode(m)) = m for every %s', (type) => {
    fc.assert(
      fc.property(messages[type] as fc.Arbitrary<Message>, (message) => {
        for (const sender of TAGS[type].sentBy) {
          expect(decodeMessage(encode(message), sender)).toEqual(message);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes make the decoder throw nothing but DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), role, (bytes, sender) => {
        decodesOrRejects(bytes, sender);
      }),
      { numRuns: 20_000 },
    );
  });

  it('a valid preamble with every tag and a random body throws nothing but DecodeError', () => {
    const tags = (Object.keys(TAGS) as MessageType[]).map((type) => tagCode(TAGS[type].tag));
    fc.assert(
      fc.property(
        fc.constantFrom(...tags),
        fc.uint8Array({ maxLength: 200 }),
        role,
        (code, body, sender) => {
          const bytes = new Uint8Array(8 + body.length);
          bytes.set([
            0x53,
            0x59,
            0x46,
            1,
            code & 0xff,
            (code >>> 8) & 0xff,
            (code >>> 16) & 0xff,
            code >>> 24,
          ]);
          bytes.set(body, 8);
          decodesOrRejects(bytes, sender);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('mutated, truncated and extended valid datagrams throw nothing but DecodeError', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('extend' as const),
        extra: fc.uint8Array({ minLength: 1, maxLength: 8 }),
      }),
    );
    fc.assert(
      fc.property(
        anyMessage,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        role,
        (message, mutations, sender) => {
          let bytes = encode(message);
          for (const m of mutations) {
            if (m.kind === 'flip' && bytes.length > 0) bytes[m.at % bytes.length] = m.value;
            else if (m.kind === 'cut') bytes = bytes.subarray(0, m.at % (bytes.length + 1));
            else if (m.kind === 'extend') bytes = Uint8Array.from([...bytes, ...m.extra]);
          }
          decodesOrRejects(bytes, sender);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('rejects an oversized datagram before reading it', () => {
    const huge = new Uint8Array(MAX_DATAGRAM_BYTES + 1);
    expect(decodesOrRejects(huge, 'client')).toBe(false);
  });
});
