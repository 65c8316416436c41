import fc from 'fast-check';
import {
  MAX_BUFFER_FRAMES,
  MAX_CHANNELS,
  MAX_SAMPLE_RATE,
  MIN_BUFFER_FRAMES,
  MIN_SAMPLE_RATE,
  SAMPLE_TYPES,
  makeFormat,
} from '../../src/format.js';
import type { Format } from '../../src/format.js';
import { DISCONNECT_REASONS, OUTCOMES } from '../../src/common.js';
import {
  AUTH_MAC_BYTES,
  AUTH_METHODS,
  AUTH_NONCE_BYTES,
  CONTROL_ERROR_CODES,
  ENCRYPTED_AUDIO_CAPABILITY,
  MAX_REDUNDANCY_PERIODS,
  STREAM_DIRECTIONS,
} from '../../src/control/messages.js';
import type { ControlMessage, ControlStatsCounters } from '../../src/control/messages.js';
import { KEY_SHARE_BYTES } from '../../src/secure/key-schedule.js';

const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const requestId = fc.integer({ min: 1, max: 0xffff_ffff });
const anyRequestId = fc.oneof(fc.constant(0), requestId);
const uint64 = fc.maxSafeNat();
const port = fc.integer({ min: 1, max: 0xffff });
const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const capabilities = fc.array(text, { maxLength: 4 });
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
/**
 * A Hello or Welcome with a key share or none, its capabilities listing "encrypted-audio"
 * exactly when it has one (the codec's rule).
 */
const withKeyShare = <T extends { readonly capabilities: readonly string[] }>(
  message: fc.Arbitrary<T>,
): fc.Arbitrary<T> =>
  fc.tuple(message, fc.option(bytes(KEY_SHARE_BYTES), { nil: undefined })).map(([m, share]) => {
    const others = m.capabilities.filter((c) => c !== ENCRYPTED_AUDIO_CAPABILITY);
    return share === undefined
      ? { ...m, capabilities: others }
      : { ...m, capabilities: [...others, ENCRYPTED_AUDIO_CAPABILITY], keyShare: share };
  });
const uuid = bytes(16).map((b) => {
  const hex = Array.from(b, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
});

const format: fc.Arbitrary<Format> = fc
  .record({
    sampleType: fc.constantFrom(...SAMPLE_TYPES),
    sampleRate: fc.double({ min: MIN_SAMPLE_RATE, max: MAX_SAMPLE_RATE, noNaN: true }),
    channels: fc.integer({ min: 1, max: MAX_CHANNELS }),
    bufferFrames: fc.oneof(
      fc.constant(0),
      fc.integer({ min: MIN_BUFFER_FRAMES, max: MAX_BUFFER_FRAMES }),
    ),
  })
  .map(makeFormat);

const counters: fc.Arbitrary<ControlStatsCounters> = fc.record(
  {
    packetsSent: uint64,
    packetsReceived: uint64,
    bytesSent: uint64,
    bytesReceived: uint64,
    lostFrames: uint64,
    latePackets: uint64,
    duplicatePackets: uint64,
    underruns: uint64,
    overruns: uint64,
    xruns: uint64,
    latencyFrames: uint32,
    bufferFillFrames: uint32,
    jitterUs: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
    driftPpm: fc.double({ noNaN: true, noDefaultInfinity: true }),
    skippedFrames: uint64,
  },
  { requiredKeys: [] },
);

const periods = fc.integer({ min: 0, max: MAX_REDUNDANCY_PERIODS });
const redundancy = fc.record({ serverToClient: periods, clientToServer: periods });

const result = <T extends 'start-io-result' | 'stop-io-result'>(type: T) =>
  fc.record({
    type: fc.constant(type),
    requestId,
    outcome: fc.constantFrom(...OUTCOMES),
    reason: text,
  });

/** Every control message type, with every field drawn from its whole valid range. */
export const controlMessage: fc.Arbitrary<ControlMessage> = fc.oneof(
  withKeyShare(
    fc.record(
      {
        type: fc.constant('hello' as const),
        requestId,
        protocolVersion: fc.integer({ min: 1, max: 0xffff_ffff }),
        clientId: uuid,
        clientName: text,
        capabilities,
        udpAudioPort: port,
        auth: fc.record({ clientNonce: bytes(AUTH_NONCE_BYTES), mac: bytes(AUTH_MAC_BYTES) }),
      },
      {
        requiredKeys: [
          'type',
          'requestId',
          'protocolVersion',
          'clientId',
          'clientName',
          'capabilities',
          'udpAudioPort',
        ],
      },
    ),
  ),
  fc.record({
    type: fc.constant('auth-challenge' as const),
    requestId,
    method: fc.constantFrom(...AUTH_METHODS),
    nonce: bytes(AUTH_NONCE_BYTES),
  }),
  withKeyShare(
    fc.record(
      {
        type: fc.constant('welcome' as const),
        requestId,
        protocolVersion: fc.integer({ min: 1, max: 0xffff_ffff }),
        endpointId: uuid,
        endpointName: text,
        formats: fc.record({
          inputs: fc.array(format, { maxLength: 4 }),
          outputs: fc.array(format, { maxLength: 4 }),
        }),
        capabilities,
        udpAudioPort: port,
        authProof: bytes(AUTH_MAC_BYTES),
      },
      {
        requiredKeys: [
          'type',
          'requestId',
          'protocolVersion',
          'endpointId',
          'endpointName',
          'formats',
          'capabilities',
          'udpAudioPort',
        ],
      },
    ),
  ),
  fc.record(
    { type: fc.constant('start-io' as const), requestId, redundancy },
    { requiredKeys: ['type', 'requestId'] },
  ),
  result('start-io-result'),
  fc.record(
    {
      type: fc.constant('start-io-result' as const),
      requestId,
      outcome: fc.constant('ok' as const),
      reason: text,
      redundancy,
    },
    { requiredKeys: ['type', 'requestId', 'outcome', 'reason', 'redundancy'] },
  ),
  fc.record({ type: fc.constant('stop-io' as const), requestId }),
  result('stop-io-result'),
  fc.record({
    type: fc.constant('heartbeat' as const),
    requestId: anyRequestId,
    sequence: uint32,
    senderTimeUs: uint64,
  }),
  fc.record({
    type: fc.constant('stats' as const),
    requestId: anyRequestId,
    senderTimeUs: uint64,
    session: counters,
    streams: fc.array(
      fc.record({
        direction: fc.constantFrom(...STREAM_DIRECTIONS),
        streamIndex: uint32,
        counters,
      }),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    type: fc.constant('error' as const),
    requestId: anyRequestId,
    code: fc.constantFrom(...CONTROL_ERROR_CODES),
    message: text,
  }),
  fc.record({
    type: fc.constant('disconnect' as const),
    requestId: anyRequestId,
    reason: fc.constantFrom(...DISCONNECT_REASONS),
    text,
  }),
);

/** Cuts `bytes` into consecutive chunks at the given (unsorted, possibly repeated) points. */
export function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const bounds = [
    0,
    ...points.map((p) => p % (bytes.length + 1)).sort((a, b) => a - b),
    bytes.length,
  ];
  return bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end));
}
