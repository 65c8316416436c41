/**
 * Writes vectors/control.json: every control message type as a varint-delimited frame ↔ message,
 * plus invalid frames with the DecodeError code each must produce. Byte fields are
 * `{ "$bytes": "hex" }` in JSON. Run: pnpm --filter @syfala/proto generate:vectors
 *
 * The contract for other implementations is decoding: protobuf encoders may order fields or
 * write zero values differently, so a C++ encoder need not reproduce `hex` byte for byte, but
 * decoding `hex` must give `message`, and decoding its own encoding must too.
 */
import { writeFileSync } from 'node:fs';
import {
  ENCRYPTED_AUDIO_CAPABILITY,
  KEY_SHARE_BYTES,
  encodeControlFrame,
  encodeVersion1ControlFrame,
} from '../src/index.js';
import { EXAMPLES } from '../test/control/examples.js';
import { concat, enumValue, framed, rawFrame } from '../test/control/raw.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytesToJson = (_key: string, value: unknown): unknown =>
  value instanceof Uint8Array ? { $bytes: hex(value) } : value;

const valid = EXAMPLES.map((message, i) => ({
  name: `${message.type} #${i}`,
  message: JSON.parse(JSON.stringify(message, bytesToJson)) as unknown,
  hex: hex(encodeControlFrame(message)),
}));

const startIo = encodeControlFrame({ type: 'start-io', requestId: 7 });
const CAP = ENCRYPTED_AUDIO_CAPABILITY;
const SHARE = new Uint8Array(KEY_SHARE_BYTES).fill(9);
const RAW_HELLO = {
  protocolVersion: 1,
  clientId: new Uint8Array(16),
  clientName: 'c',
  udpAudioPort: 4464,
};
const RAW_WELCOME = {
  protocolVersion: 1,
  endpointId: new Uint8Array(16),
  endpointName: 'x',
  formats: { inputs: [], outputs: [] },
  udpAudioPort: 4474,
};
const invalid = [
  { name: 'length prefix announcing 4 GB', hex: 'ffffffff0f', code: 'TOO_LARGE' },
  {
    // A stream's first 4 bytes are held until all are in (CONTROL.md §1.1), hence the 00.
    name: 'length prefix of 65537 (one over the default maximum)',
    hex: '81800400',
    code: 'TOO_LARGE',
  },
  { name: 'zero-length frame', hex: hex(concat(Uint8Array.of(0), startIo)), code: 'BAD_FIELD' },
  {
    name: 'a control version 1 Hello (4-byte little-endian length)',
    hex: hex(
      encodeVersion1ControlFrame({
        type: 'hello',
        requestId: 1,
        protocolVersion: 1,
        clientId: '00000000-0000-4000-8000-000000000000',
        clientName: 'c',
        capabilities: [],
        udpAudioPort: 4464,
      }),
    ),
    code: 'BAD_VERSION',
  },
  {
    name: 'frame cut short at end of stream',
    hex: hex(startIo.subarray(0, startIo.length - 1)),
    code: 'TRUNCATED',
  },
  {
    name: 'body is not protobuf',
    hex: hex(framed(Uint8Array.of(0xff, 0xff, 0xff))),
    code: 'TRUNCATED',
  },
  {
    // At least 4 bytes: a shorter stream ends inside its first frame (CONTROL.md §1.1).
    name: 'frame with no body',
    hex: hex(framed(rawFrame({ requestId: 300 }))),
    code: 'BAD_FIELD',
  },
  {
    name: 'frame with two bodies',
    hex: hex(framed(rawFrame({ requestId: 1, startIo: {}, stopIo: {} }))),
    code: 'BAD_FIELD',
  },
  {
    name: 'request with request id 0',
    hex: hex(framed(rawFrame({ requestId: 0, startIo: {} }))),
    code: 'BAD_FIELD',
  },
  {
    name: 'outcome unspecified',
    hex: hex(
      framed(
        rawFrame({
          requestId: 2,
          startIoResult: { outcome: enumValue('Outcome', 'OUTCOME_UNSPECIFIED') },
        }),
      ),
    ),
    code: 'BAD_FIELD',
  },
  {
    name: 'disconnect reason unknown to this version',
    hex: hex(framed(rawFrame({ requestId: 0, disconnect: { reason: 99 } }))),
    code: 'BAD_FIELD',
  },
  {
    name: 'heartbeat time at 2^53',
    hex: hex(framed(rawFrame({ heartbeat: { sequence: 1, senderTimeUs: 2 ** 53 } }))),
    code: 'BAD_FIELD',
  },
  {
    name: 'disconnect text holding an encoded lone surrogate (ED B0 90)',
    hex: hex(framed(rawFrame({ requestId: 0, disconnect: { reason: 1, text: '\udc10' } }))),
    code: 'BAD_FIELD',
  },
  {
    name: 'start-io asking for 4 redundant periods (at most 3)',
    hex: hex(framed(rawFrame({ requestId: 4, startIo: { redundancy: { serverToClient: 4 } } }))),
    code: 'BAD_FIELD',
  },
  {
    name: 'start-io-result granting redundancy with a failure',
    hex: hex(
      framed(
        rawFrame({
          requestId: 4,
          startIoResult: {
            outcome: enumValue('Outcome', 'OUTCOME_FAILURE'),
            redundancy: { serverToClient: 1 },
          },
        }),
      ),
    ),
    code: 'BAD_FIELD',
  },
  {
    name: 'welcome with a 1025-channel format (above 1024)',
    hex: hex(
      framed(
        rawFrame({
          requestId: 1,
          welcome: {
            protocolVersion: 1,
            endpointId: new Uint8Array(16),
            endpointName: 'x',
            formats: {
              inputs: [
                {
                  sampleType: enumValue('SampleType', 'SAMPLE_TYPE_F32'),
                  sampleRate: 48_000,
                  channels: 1025,
                  bufferFrames: 32,
                },
              ],
              outputs: [],
            },
            udpAudioPort: 4474,
          },
        }),
      ),
    ),
    code: 'BAD_FIELD',
  },
  {
    name: 'hello listing "encrypted-audio" without a key share',
    hex: hex(framed(rawFrame({ requestId: 1, hello: { ...RAW_HELLO, capabilities: [CAP] } }))),
    code: 'BAD_FIELD',
  },
  {
    name: 'hello with a key share but without "encrypted-audio"',
    hex: hex(framed(rawFrame({ requestId: 1, hello: { ...RAW_HELLO, keyShare: SHARE } }))),
    code: 'BAD_FIELD',
  },
  {
    name: 'welcome with a 31-byte key share',
    hex: hex(
      framed(
        rawFrame({
          requestId: 1,
          welcome: { ...RAW_WELCOME, capabilities: [CAP], keyShare: SHARE.subarray(1) },
        }),
      ),
    ),
    code: 'BAD_FIELD',
  },
  {
    name: 'a valid frame followed by a zero-length one',
    hex: hex(concat(startIo, new Uint8Array(4))),
    code: 'BAD_FIELD',
  },
];

const file = {
  description:
    'Syfala control-plane test vectors (docs/CONTROL.md). Each hex is a byte stream of varint-delimited ControlFrame protobufs (a varint length, then the protobuf, as protobuf delimited helpers write it). valid: decoding hex gives message (byte fields are {"$bytes": hex}); the TS encoder gives hex exactly, other encoders need only decode to the same message. invalid: feeding hex to a frame decoder, then ending the stream, fails with DecodeError code.',
  protocolVersion: 2,
  valid,
  invalid,
};
writeFileSync(
  new URL('../vectors/control.json', import.meta.url),
  JSON.stringify(file, null, 2) + '\n',
);
console.log(`wrote ${valid.length} valid and ${invalid.length} invalid control vectors`);
