import { STANDARD_FORMAT, makeFormat } from '../../src/format.js';
import type { ControlMessage } from '../../src/control/messages.js';

const bytes = (length: number, first: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (first + i) & 0xff);

/** One hand-written message of every type, with every optional part present somewhere. */
export const EXAMPLES: readonly ControlMessage[] = [
  {
    type: 'hello',
    requestId: 1,
    protocolVersion: 1,
    clientId: '6f9619ff-8b86-d011-b42d-00c04fc964ff',
    clientName: 'studio-mac',
    capabilities: ['stats'],
    udpAudioPort: 4464,
  },
  {
    type: 'hello',
    requestId: 2,
    protocolVersion: 3,
    clientId: '00000000-0000-0000-0000-000000000001',
    clientName: 'Régie — 2',
    capabilities: [],
    udpAudioPort: 65_535,
    auth: { clientNonce: bytes(32, 0x40), mac: bytes(32, 0xe0) },
  },
  { type: 'auth-challenge', requestId: 1, method: 'hmac-sha256-psk', nonce: bytes(32, 0) },
  {
    type: 'welcome',
    requestId: 2,
    protocolVersion: 1,
    endpointId: 'a3bb189e-8bf9-3888-9912-ace4e6543002',
    endpointName: 'rack-1 (JACK)',
    formats: {
      inputs: [
        STANDARD_FORMAT,
        makeFormat({ sampleRate: 44_100, channels: 1, bufferFrames: 0, sampleType: 'i24' }),
      ],
      outputs: [
        makeFormat({ sampleRate: 96_000, channels: 64, bufferFrames: 128, sampleType: 'f64' }),
      ],
    },
    capabilities: ['stats', 'udp-control'],
    udpAudioPort: 4474,
    authProof: bytes(32, 0x80),
  },
  {
    type: 'welcome',
    requestId: 0xffff_ffff,
    protocolVersion: 1,
    endpointId: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    endpointName: '',
    formats: { inputs: [], outputs: [] },
    capabilities: [],
    udpAudioPort: 1,
  },
  { type: 'start-io', requestId: 7 },
  { type: 'start-io-result', requestId: 7, outcome: 'ok', reason: '' },
  { type: 'start-io-result', requestId: 8, outcome: 'failure', reason: 'device busy, retry' },
  { type: 'stop-io', requestId: 9 },
  { type: 'stop-io-result', requestId: 9, outcome: 'refusal', reason: 'not streaming' },
  { type: 'heartbeat', requestId: 0, sequence: 0xffff_ffff, senderTimeUs: Number.MAX_SAFE_INTEGER },
  {
    type: 'stats',
    requestId: 0,
    senderTimeUs: 1_700_000_000_000_000,
    session: {
      packetsSent: 2 ** 40,
      packetsReceived: 0,
      bytesSent: 123_456_789,
      bytesReceived: 987_654_321,
      lostFrames: 64,
      latePackets: 3,
      duplicatePackets: 1,
      underruns: 0,
      overruns: 2,
      xruns: 5,
      latencyFrames: 192,
      bufferFillFrames: 96,
      jitterUs: 412.5,
      driftPpm: -37.25,
    },
    streams: [
      { direction: 'input', streamIndex: 0, counters: { lostFrames: 64, jitterUs: 0 } },
      { direction: 'output', streamIndex: 3, counters: {} },
    ],
  },
  { type: 'stats', requestId: 0, senderTimeUs: 0, session: {}, streams: [] },
  { type: 'error', requestId: 7, code: 'unexpected-message', message: 'start-io before welcome' },
  { type: 'error', requestId: 0, code: 'internal', message: '' },
  { type: 'disconnect', requestId: 1, reason: 'auth-failed', text: 'wrong key' },
  { type: 'disconnect', requestId: 0, reason: 'shutdown', text: '' },
  // Redundancy (capability "redundancy"): asked for, granted capped, and present but all zero.
  {
    type: 'start-io',
    requestId: 10,
    redundancy: { serverToClient: 3, clientToServer: 1 },
  },
  {
    type: 'start-io-result',
    requestId: 10,
    outcome: 'ok',
    reason: '',
    redundancy: { serverToClient: 2, clientToServer: 1 },
  },
  { type: 'start-io', requestId: 11, redundancy: { serverToClient: 0, clientToServer: 0 } },
  {
    type: 'disconnect',
    requestId: 1,
    reason: 'address-in-use',
    text: 'another session receives audio at 127.0.0.1:40000',
  },
  { type: 'disconnect', requestId: 0, reason: 'device-lost', text: 'the JACK server went away' },
];
