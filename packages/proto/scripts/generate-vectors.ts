/**
 * Writes vectors/wire.json: every wire message type as message ↔ hex, plus invalid datagrams with
 * the DecodeError code each must produce. The hex comes from the TS encoder; test/wire/spec.test.ts
 * checks every vector independently against the byte layouts in docs/PROTOCOL.md, and the C++
 * tests read the same file. Run: pnpm --filter @syfala/proto generate:vectors
 */
import { writeFileSync } from 'node:fs';
import { encode, type Message, type Role, TAGS } from '../src/index.js';

type JsonMessage = Record<string, unknown>;

interface ValidVector {
  name: string;
  sentBy: Role[];
  message: JsonMessage;
  hex: string;
}

interface InvalidVector {
  name: string;
  sentBy: Role;
  hex: string;
  code: string;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Audio bytes are hex strings in JSON; everything else is plain. */
function toJson(message: Message): JsonMessage {
  if (message.type === 'audio') return { ...message, payload: hex(message.payload) };
  if (message.type === 'sealed-audio') return { ...message, sealed: hex(message.sealed) };
  return { ...message };
}

const ENDPOINT_ID = '5f1a0c3e-9b2d-4e6f-8a71-c0ffee000001';

const messages: [string, Message][] = [
  ['discovery', { type: 'discovery' }],
  [
    'connect with one input and two outputs',
    {
      type: 'connect',
      endpointId: ENDPOINT_ID,
      name: 'Studio A',
      controlPort: 6911,
      formats: {
        inputs: [{ sampleRate: 48_000, channels: 2, bufferFrames: 32, sampleType: 'f32' }],
        outputs: [
          { sampleRate: 44_100, channels: 8, bufferFrames: 64, sampleType: 'i24' },
          { sampleRate: 96_000, channels: 1, bufferFrames: 0, sampleType: 'u8' },
        ],
      },
    },
  ],
  [
    'connect with no streams, UDP control only, non-ASCII name',
    {
      type: 'connect',
      endpointId: '00000000-0000-0000-0000-000000000000',
      name: 'Salle Pleyel — scène',
      controlPort: 0,
      formats: { inputs: [], outputs: [] },
    },
  ],
  ['connection-result ok', { type: 'connection-result', outcome: 'ok' }],
  ['connection-result failure', { type: 'connection-result', outcome: 'failure' }],
  ['connection-result refusal', { type: 'connection-result', outcome: 'refusal' }],
  ['start-io', { type: 'start-io', requestId: 1 }],
  ['stop-io', { type: 'stop-io', requestId: 0xffff_ffff }],
  ['start-io-result ok', { type: 'start-io-result', requestId: 1, outcome: 'ok' }],
  ['start-io-result failure', { type: 'start-io-result', requestId: 7, outcome: 'failure' }],
  [
    'stop-io-result refusal',
    { type: 'stop-io-result', requestId: 0x0102_0304, outcome: 'refusal' },
  ],
  ['heartbeat', { type: 'heartbeat', sequence: 42, senderTimeUs: 1_234_567_890_123 }],
  [
    'heartbeat at the largest time',
    { type: 'heartbeat', sequence: 0xffff_ffff, senderTimeUs: Number.MAX_SAFE_INTEGER },
  ],
  [
    'audio: two f32 stereo frames',
    {
      type: 'audio',
      streamIndex: 0,
      byteIndex: 0,
      payload: new Uint8Array(new Float32Array([0.5, -0.5, 1, -1]).buffer),
    },
  ],
  [
    'audio: partial frame at a large byte index',
    {
      type: 'audio',
      streamIndex: 3,
      byteIndex: 2 ** 40 + 5,
      payload: Uint8Array.of(0xde, 0xad, 0xbe),
    },
  ],
  [
    // Ciphertext and tag are opaque to the codec: these bytes need not be authentic.
    'sealed audio: four bytes and their tag',
    {
      type: 'sealed-audio',
      streamIndex: 0,
      byteIndex: 0,
      keyId: 0,
      copy: 0,
      sealed: Uint8Array.from({ length: 4 + 16 }, (_, i) => 0xa0 + i),
    },
  ],
  [
    'sealed audio: redundancy copy 3, last key id, large byte index',
    {
      type: 'sealed-audio',
      streamIndex: 0xffff_ffff,
      byteIndex: 2 ** 53 - 1,
      keyId: 0xffff_ffff,
      copy: 3,
      sealed: Uint8Array.from({ length: 1 + 16 }, (_, i) => 0x10 * (i & 0xf)),
    },
  ],
  ['disconnect normal', { type: 'disconnect', reason: 'normal' }],
  ['disconnect shutdown', { type: 'disconnect', reason: 'shutdown' }],
  ['disconnect timeout', { type: 'disconnect', reason: 'timeout' }],
  ['disconnect protocol-error', { type: 'disconnect', reason: 'protocol-error' }],
  ['disconnect busy', { type: 'disconnect', reason: 'busy' }],
  ['disconnect address-in-use', { type: 'disconnect', reason: 'address-in-use' }],
  ['disconnect device-lost', { type: 'disconnect', reason: 'device-lost' }],
  ['version-not-supported', { type: 'version-not-supported', minVersion: 1, maxVersion: 1 }],
];

const valid: ValidVector[] = messages.map(([name, message]) => ({
  name,
  sentBy: [...TAGS[message.type].sentBy],
  message: toJson(message),
  hex: hex(encode(message)),
}));

const byName = (name: string): string => valid.find((v) => v.name === name)!.hex;
const heartbeat = byName('heartbeat');
const audio = byName('audio: two f32 stereo frames');
const connect = byName('connect with one input and two outputs');
const sealed = byName('sealed audio: four bytes and their tag');
/** Replaces the bytes at `offset` of a valid vector's hex. */
const patch = (base: string, offset: number, bytes: string): string =>
  base.slice(0, offset * 2) + bytes + base.slice(offset * 2 + bytes.length);

const invalid: InvalidVector[] = [
  { name: 'empty datagram', sentBy: 'client', hex: '', code: 'TRUNCATED' },
  { name: 'preamble cut short', sentBy: 'client', hex: '53594601424541', code: 'TRUNCATED' },
  { name: 'wrong magic', sentBy: 'client', hex: patch(heartbeat, 0, '4a4b4c'), code: 'BAD_MAGIC' },
  {
    name: 'version 2 heartbeat',
    sentBy: 'client',
    hex: patch(heartbeat, 3, '02'),
    code: 'BAD_VERSION',
  },
  { name: 'version 0', sentBy: 'server', hex: patch(heartbeat, 3, '00'), code: 'BAD_VERSION' },
  { name: 'unknown tag', sentBy: 'client', hex: '5359460158585858', code: 'UNKNOWN_TAG' },
  { name: 'server-only tag sent by a client', sentBy: 'client', hex: connect, code: 'UNKNOWN_TAG' },
  {
    name: 'client-only tag sent by a server',
    sentBy: 'server',
    hex: byName('discovery'),
    code: 'UNKNOWN_TAG',
  },
  {
    name: 'heartbeat missing its time',
    sentBy: 'server',
    hex: heartbeat.slice(0, 24),
    code: 'TRUNCATED',
  },
  {
    name: 'heartbeat with a trailing byte',
    sentBy: 'server',
    hex: heartbeat + '00',
    code: 'LENGTH_MISMATCH',
  },
  {
    name: 'heartbeat time at 2^53',
    sentBy: 'client',
    hex: patch(heartbeat, 12, '0000000000002000'),
    code: 'BAD_FIELD',
  },
  {
    name: 'outcome code 0',
    sentBy: 'client',
    hex: patch(byName('connection-result ok'), 8, '00'),
    code: 'BAD_FIELD',
  },
  {
    name: 'outcome code 4',
    sentBy: 'server',
    hex: patch(byName('start-io-result ok'), 12, '04'),
    code: 'BAD_FIELD',
  },
  {
    name: 'disconnect reason 11',
    sentBy: 'client',
    hex: patch(byName('disconnect normal'), 8, '0b'),
    code: 'BAD_FIELD',
  },
  { name: 'audio header cut short', sentBy: 'client', hex: audio.slice(0, 36), code: 'TRUNCATED' },
  {
    name: 'audio byte count larger than payload',
    sentBy: 'client',
    hex: patch(audio, 20, '11000000'),
    code: 'LENGTH_MISMATCH',
  },
  {
    name: 'audio byte count smaller than payload',
    sentBy: 'server',
    hex: patch(audio, 20, '0f000000'),
    code: 'LENGTH_MISMATCH',
  },
  {
    name: 'audio byte count announcing 4 GB',
    sentBy: 'server',
    hex: patch(audio, 20, 'ffffffff'),
    code: 'TOO_LARGE',
  },
  {
    name: 'audio with no payload',
    sentBy: 'client',
    hex: patch(audio, 20, '00000000').slice(0, 48),
    code: 'BAD_FIELD',
  },
  {
    name: 'audio byte index at 2^63',
    sentBy: 'client',
    hex: patch(audio, 12, '0000000000000080'),
    code: 'BAD_FIELD',
  },
  {
    name: 'sealed audio header cut short',
    sentBy: 'server',
    hex: sealed.slice(0, 62),
    code: 'TRUNCATED',
  },
  {
    name: 'sealed audio byte count 65460 (above 65459)',
    sentBy: 'client',
    hex: patch(sealed, 20, 'b4ff0000'),
    code: 'TOO_LARGE',
  },
  {
    name: 'sealed audio with byte count 0',
    sentBy: 'server',
    hex: patch(sealed, 20, '00000000'),
    code: 'BAD_FIELD',
  },
  {
    name: 'sealed audio copy 4',
    sentBy: 'client',
    hex: patch(sealed, 28, '04'),
    code: 'BAD_FIELD',
  },
  {
    name: 'sealed audio reserved byte not zero',
    sentBy: 'server',
    hex: patch(sealed, 31, '01'),
    code: 'BAD_FIELD',
  },
  {
    name: 'sealed audio byte index at 2^53',
    sentBy: 'client',
    hex: patch(sealed, 12, '0000000000002000'),
    code: 'BAD_FIELD',
  },
  {
    name: 'sealed audio byte count counting the tag',
    sentBy: 'client',
    hex: patch(sealed, 20, '14000000'),
    code: 'LENGTH_MISMATCH',
  },
  {
    name: 'sealed audio missing its tag',
    sentBy: 'server',
    hex: sealed.slice(0, -32),
    code: 'LENGTH_MISMATCH',
  },
  {
    name: 'connect with sample rate 0',
    sentBy: 'server',
    hex: patch(connect, 38, '0000000000000000'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with NaN sample rate',
    sentBy: 'server',
    hex: patch(connect, 38, '000000000000f87f'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with infinite sample rate',
    sentBy: 'server',
    hex: patch(connect, 38, '000000000000f07f'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with sample rate 2^32 (above 384000)',
    sentBy: 'server',
    hex: patch(connect, 38, '000000000000f041'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with sample rate -48000',
    sentBy: 'server',
    hex: patch(connect, 38, '000000000070e7c0'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with sample rate 7999 (below 8000)',
    sentBy: 'server',
    hex: patch(connect, 38, '00000000003fbf40'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with 1025 channels (above 1024)',
    sentBy: 'server',
    hex: patch(connect, 32, '0104'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with buffer frames 8193 (above 8192)',
    sentBy: 'server',
    hex: patch(connect, 34, '01200000'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with buffer frames 15 (below 16, not 0)',
    sentBy: 'server',
    hex: patch(connect, 34, '0f000000'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with 0 channels',
    sentBy: 'server',
    hex: patch(connect, 32, '0000'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with sample type 0',
    sentBy: 'server',
    hex: patch(connect, 31, '00'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect with sample type 13',
    sentBy: 'server',
    hex: patch(connect, 31, '0d'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect announcing 65535 inputs',
    sentBy: 'server',
    hex: patch(connect, 26, 'ffff'),
    code: 'TOO_LARGE',
  },
  {
    name: 'connect name not UTF-8',
    sentBy: 'server',
    hex: patch(connect, 76, 'ff'),
    code: 'BAD_FIELD',
  },
  {
    name: 'connect name cut short',
    sentBy: 'server',
    hex: connect.slice(0, -2),
    code: 'TRUNCATED',
  },
  {
    name: 'datagram over 65507 bytes',
    sentBy: 'client',
    hex: audio.slice(0, 16) + '00'.repeat(65_500),
    code: 'TOO_LARGE',
  },
];

const file = {
  description:
    'Syfala wire test vectors (docs/PROTOCOL.md). valid: decoding hex as sent by each role in sentBy gives message, and encoding message gives hex; audio payloads and sealed-audio sealed bytes (ciphertext then tag, not authentic here: vectors/aead.json has authentic ones) are hex. invalid: decoding hex as sent by sentBy fails with DecodeError code.',
  protocolVersion: 1,
  valid,
  invalid,
};

writeFileSync(
  new URL('../vectors/wire.json', import.meta.url),
  JSON.stringify(file, null, 2) + '\n',
);
console.log(`wrote ${valid.length} valid and ${invalid.length} invalid vectors`);
