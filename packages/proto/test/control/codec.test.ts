import { describe, expect, it } from 'vitest';
import { DecodeError, ValueError } from '../../src/errors.js';
import { SAMPLE_TYPES, STANDARD_FORMAT } from '../../src/format.js';
import { decodeControlMessage, encodeControlMessage } from '../../src/control/codec.js';
import type {
  ControlHello,
  ControlMessage,
  ControlStats,
  ControlWelcome,
} from '../../src/control/messages.js';
import { EXAMPLES } from './examples.js';
import { enumValue, rawFrame } from './raw.js';

const HELLO = EXAMPLES.find((m): m is ControlHello => m.type === 'hello') as ControlHello;
const WELCOME = EXAMPLES.find((m): m is ControlWelcome => m.type === 'welcome') as ControlWelcome;

const VALID_FORMAT = {
  sampleType: enumValue('SampleType', 'SAMPLE_TYPE_F32'),
  sampleRate: 48_000,
  channels: 2,
  bufferFrames: 32,
};
const RAW_WELCOME = {
  protocolVersion: 1,
  endpointId: new Uint8Array(16),
  endpointName: 'x',
  formats: { inputs: [VALID_FORMAT], outputs: [] },
  udpAudioPort: 4474,
};
const RAW_HELLO = {
  protocolVersion: 1,
  clientId: new Uint8Array(16),
  clientName: 'c',
  udpAudioPort: 4464,
};

function decodeError(bytes: Uint8Array): DecodeError {
  try {
    decodeControlMessage(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error('expected decodeControlMessage to throw');
}

function encodeError(message: unknown): ValueError {
  try {
    encodeControlMessage(message as ControlMessage);
  } catch (error) {
    expect(error).toBeInstanceOf(ValueError);
    return error as ValueError;
  }
  throw new Error('expected encodeControlMessage to throw');
}

describe('control codec round trip', () => {
  it.each(EXAMPLES.map((message) => [message.type, message] as const))(
    'decodes an encoded %s back to the same message',
    (_type, message) => {
      expect(decodeControlMessage(encodeControlMessage(message))).toEqual(message);
    },
  );

  it('covers every message type in its examples', () => {
    const types = new Set(EXAMPLES.map((message) => message.type));
    expect([...types].sort()).toEqual(
      [
        'auth-challenge',
        'disconnect',
        'error',
        'heartbeat',
        'hello',
        'start-io',
        'start-io-result',
        'stats',
        'stop-io',
        'stop-io-result',
        'welcome',
      ].sort(),
    );
  });

  it('copies decoded bytes instead of aliasing the input', () => {
    const encoded = encodeControlMessage({
      type: 'auth-challenge',
      requestId: 1,
      method: 'hmac-sha256-psk',
      nonce: new Uint8Array(32).fill(7),
    });
    const decoded = decodeControlMessage(encoded);
    encoded.fill(0);
    expect(decoded).toMatchObject({ nonce: new Uint8Array(32).fill(7) });
  });

  it('numbers sample types as the UDP wire code + 1', () => {
    SAMPLE_TYPES.forEach((type, code) => {
      expect(enumValue('SampleType', `SAMPLE_TYPE_${type.toUpperCase()}`)).toBe(code + 1);
    });
  });

  it('keeps an absent stats counter apart from a zero one', () => {
    const stats: ControlStats = {
      type: 'stats',
      requestId: 0,
      senderTimeUs: 5,
      session: { underruns: 0 },
      streams: [],
    };
    const decoded = decodeControlMessage(encodeControlMessage(stats)) as ControlStats;
    expect(decoded.session).toStrictEqual({ underruns: 0 });
  });
});

describe('control decode rejects', () => {
  it('an empty frame (no body) with BAD_FIELD', () => {
    const error = decodeError(new Uint8Array(0));
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toMatch(/no body/);
  });

  it('a frame whose only body field this version does not know', () => {
    // Field 99, length-delimited, empty: skipped by protobuf, so the frame has no known body.
    expect(decodeError(Uint8Array.of(0x9a, 0x06, 0x00)).code).toBe('BAD_FIELD');
  });

  it('a frame with two bodies', () => {
    const error = decodeError(rawFrame({ requestId: 1, startIo: {}, stopIo: {} }));
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toMatch(/startIo, stopIo/);
  });

  it.each([
    ['hello', { hello: RAW_HELLO }],
    ['start-io', { startIo: {} }],
    ['start-io-result', { startIoResult: { outcome: 1 } }],
    ['welcome', { welcome: RAW_WELCOME }],
  ] as const)('a %s with request id 0', (type, body) => {
    const error = decodeError(rawFrame({ requestId: 0, ...body }));
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toContain(`${type}.requestId`);
  });

  it('accepts notifications with request id 0', () => {
    expect(decodeControlMessage(rawFrame({ heartbeat: { sequence: 1 } }))).toEqual({
      type: 'heartbeat',
      requestId: 0,
      sequence: 1,
      senderTimeUs: 0,
    });
  });

  it.each([
    ['start-io-result.outcome', { startIoResult: { outcome: 0 } }, /unspecified/],
    ['stop-io-result.outcome', { stopIoResult: { outcome: 4 } }, /unknown enum value 4/],
    ['disconnect.reason', { disconnect: { reason: 0 } }, /unspecified/],
    ['disconnect.reason', { disconnect: { reason: 99 } }, /unknown/],
    ['error.code', { error: { code: 0 } }, /unspecified/],
    [
      'auth-challenge.method',
      { authChallenge: { method: 0, nonce: new Uint8Array(32) } },
      /unspecified/,
    ],
    ['stats.streams[0].direction', { stats: { streams: [{ direction: 0 }] } }, /unspecified/],
    [
      'stats.streams[1].direction',
      { stats: { streams: [{ direction: 1 }, { direction: -1 }] } },
      /unknown/,
    ],
    [
      'welcome.formats.inputs[0].sampleType',
      { welcome: { ...RAW_WELCOME, formats: { inputs: [{ ...VALID_FORMAT, sampleType: 0 }] } } },
      /unspecified/,
    ],
    [
      'welcome.formats.outputs[0].sampleType',
      { welcome: { ...RAW_WELCOME, formats: { outputs: [{ ...VALID_FORMAT, sampleType: 13 }] } } },
      /unknown/,
    ],
  ])('%s when unspecified or unknown', (path, body, detail) => {
    const error = decodeError(rawFrame({ requestId: 5, ...body }));
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(detail);
  });

  it.each([
    ['hello.keyShare', { hello: { ...RAW_HELLO, capabilities: ['encrypted-audio'] } }, /missing/],
    [
      'hello.keyShare',
      { hello: { ...RAW_HELLO, capabilities: ['stats'], keyShare: new Uint8Array(32) } },
      /present without "encrypted-audio"/,
    ],
    [
      'hello.keyShare',
      { hello: { ...RAW_HELLO, capabilities: ['encrypted-audio'], keyShare: new Uint8Array(31) } },
      /32 bytes, got 31/,
    ],
    [
      'welcome.keyShare',
      { welcome: { ...RAW_WELCOME, capabilities: ['encrypted-audio'] } },
      /missing/,
    ],
    [
      'welcome.keyShare',
      { welcome: { ...RAW_WELCOME, keyShare: new Uint8Array(32) } },
      /present without "encrypted-audio"/,
    ],
    [
      'welcome.keyShare',
      {
        welcome: {
          ...RAW_WELCOME,
          capabilities: ['encrypted-audio'],
          keyShare: new Uint8Array(33),
        },
      },
      /32 bytes, got 33/,
    ],
  ])('a %s that breaks the encrypted-audio rule', (path, body, detail) => {
    const error = decodeError(rawFrame({ requestId: 2, ...body }));
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(detail);
  });

  it('tells a redundancy of all zeros from none', () => {
    expect(decodeControlMessage(rawFrame({ requestId: 3, startIo: {} }))).toEqual({
      type: 'start-io',
      requestId: 3,
    });
    expect(decodeControlMessage(rawFrame({ requestId: 3, startIo: { redundancy: {} } }))).toEqual({
      type: 'start-io',
      requestId: 3,
      redundancy: { serverToClient: 0, clientToServer: 0 },
    });
  });

  it.each([
    ['start-io.redundancy.serverToClient', { startIo: { redundancy: { serverToClient: 4 } } }],
    [
      'start-io-result.redundancy.clientToServer',
      { startIoResult: { outcome: 1, redundancy: { clientToServer: 0xffff_ffff } } },
    ],
  ])('%s above 3 periods', (path, body) => {
    const error = decodeError(rawFrame({ requestId: 6, ...body }));
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/0 to 3 periods/);
  });

  it.each([2, 3])('a start-io-result with outcome %d carrying redundancy', (outcome) => {
    const error = decodeError(
      rawFrame({ requestId: 6, startIoResult: { outcome, redundancy: { serverToClient: 1 } } }),
    );
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toContain('start-io-result.redundancy');
  });

  it.each([
    ['a zero sample rate', { sampleRate: 0 }, /sample rate/],
    ['a NaN sample rate', { sampleRate: Number.NaN }, /sample rate/],
    ['an infinite sample rate', { sampleRate: Infinity }, /sample rate/],
    ['a negative sample rate', { sampleRate: -48_000 }, /sample rate/],
    ['zero channels', { channels: 0 }, /channel count/],
    ['too many channels', { channels: 65_536 }, /channel count/],
  ])('a format with %s, naming the field', (_what, change, detail) => {
    const formats = {
      inputs: [VALID_FORMAT],
      outputs: [VALID_FORMAT, { ...VALID_FORMAT, ...change }],
    };
    const error = decodeError(rawFrame({ requestId: 2, welcome: { ...RAW_WELCOME, formats } }));
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toContain('welcome.formats.outputs[1]');
    expect(error.message).toMatch(detail);
    expect(error.cause).toBeInstanceOf(ValueError);
  });

  it.each([
    ['welcome.formats', { welcome: { ...RAW_WELCOME, formats: null } }, /missing/],
    [
      'welcome.endpointId',
      { welcome: { ...RAW_WELCOME, endpointId: new Uint8Array(15) } },
      /16 bytes, got 15/,
    ],
    [
      'welcome.authProof',
      { welcome: { ...RAW_WELCOME, authProof: new Uint8Array(31) } },
      /32 bytes, got 31/,
    ],
    ['welcome.protocolVersion', { welcome: { ...RAW_WELCOME, protocolVersion: 0 } }, /at least 1/],
    ['welcome.udpAudioPort', { welcome: { ...RAW_WELCOME, udpAudioPort: 65_536 } }, /port/],
    ['hello.clientId', { hello: { ...RAW_HELLO, clientId: new Uint8Array(0) } }, /got 0/],
    ['hello.udpAudioPort', { hello: { ...RAW_HELLO, udpAudioPort: 0 } }, /port/],
    [
      'hello.auth.clientNonce',
      {
        hello: { ...RAW_HELLO, auth: { clientNonce: new Uint8Array(16), mac: new Uint8Array(32) } },
      },
      /32 bytes/,
    ],
    [
      'hello.auth.mac',
      { hello: { ...RAW_HELLO, auth: { clientNonce: new Uint8Array(32) } } },
      /32 bytes, got 0/,
    ],
    [
      'auth-challenge.nonce',
      { authChallenge: { method: 1, nonce: new Uint8Array(33) } },
      /32 bytes/,
    ],
    ['heartbeat.senderTimeUs', { heartbeat: { senderTimeUs: 2 ** 53 } }, /above 2\^53/],
    ['stats.session.xruns', { stats: { session: { xruns: 2 ** 63 } } }, /above 2\^53/],
    ['stats.session.jitterUs', { stats: { session: { jitterUs: -1 } } }, /finite number ≥ 0/],
    [
      'stats.streams[0].counters.driftPpm',
      { stats: { streams: [{ direction: 2, counters: { driftPpm: Number.NaN } }] } },
      /finite/,
    ],
  ])('a bad %s', (path, body, detail) => {
    const error = decodeError(rawFrame({ requestId: 3, ...body }));
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(detail);
  });

  it('a body cut short with TRUNCATED', () => {
    const bytes = encodeControlMessage(WELCOME);
    for (let length = 1; length < bytes.length; length++) {
      const error = decodeError(bytes.subarray(0, length));
      expect(['TRUNCATED', 'BAD_FIELD']).toContain(error.code);
    }
    expect(decodeError(bytes.subarray(0, bytes.length - 1)).code).toBe('TRUNCATED');
  });

  it('an invalid wire type with BAD_FIELD', () => {
    // Tag 0x9f 0x06: unknown field 99 with wire type 7, which does not exist.
    const error = decodeError(Uint8Array.of(0x9f, 0x06));
    expect(error.code).toBe('BAD_FIELD');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('a varint longer than 10 bytes', () => {
    expect(decodeError(new Uint8Array(12).fill(0xff)).code).toMatch(/TRUNCATED|BAD_FIELD/);
  });

  it('a Node Buffer exactly as a Uint8Array (found by the fuzzer)', () => {
    // An Error whose message announces 1 byte and has none, and a Disconnect text holding an
    // encoded surrogate (ED B0 90): protobufjs cuts the first short and reads the second as
    // U+FFFD when handed a Buffer, which is what TCP reads are.
    for (const hex of ['088b8cab20c2020408041201', '0800ca020708011203edb090']) {
      const bytes = Buffer.from(hex, 'hex');
      const code = decodeError(new Uint8Array(bytes)).code;
      expect(code).toMatch(/TRUNCATED|BAD_FIELD/);
      expect(decodeError(bytes).code).toBe(code);
    }
  });

  it('deeply nested unknown groups without overflowing the stack', () => {
    // 32 K start-group tags of unknown field 100: protobufjs recurses once per level.
    const bytes = new Uint8Array(64 * 1024);
    for (let i = 0; i < bytes.length; i += 2) bytes.set([0xa3, 0x06], i);
    expect(decodeError(bytes).code).toBe('BAD_FIELD');
  });
});

describe('control encode rejects', () => {
  it.each([
    ['hello.requestId', { ...HELLO, requestId: 0 }, /from 1 to/],
    ['hello.requestId', { ...HELLO, requestId: 2 ** 32 }, /from 1 to 4294967295/],
    ['hello.protocolVersion', { ...HELLO, protocolVersion: 0 }, /from 1/],
    ['hello.clientId', { ...HELLO, clientId: '6F9619FF-8B86-D011-B42D-00C04FC964FF' }, /lowercase/],
    ['hello.clientId', { ...HELLO, clientId: '6f9619ff8b86d011b42d00c04fc964ff' }, /8-4-4-4-12/],
    ['hello.clientName', { ...HELLO, clientName: 'a\uD800b' }, /well-formed/],
    ['hello.capabilities[1]', { ...HELLO, capabilities: ['stats', 7] }, /string/],
    ['hello.udpAudioPort', { ...HELLO, udpAudioPort: 0 }, /from 1 to 65535/],
    ['hello.udpAudioPort', { ...HELLO, udpAudioPort: 4464.5 }, /integer/],
    [
      'hello.auth.mac',
      { ...HELLO, auth: { clientNonce: new Uint8Array(32), mac: new Uint8Array(20) } },
      /32 bytes, got 20 bytes/,
    ],
    ['welcome.authProof', { ...WELCOME, authProof: new Uint8Array(0) }, /32 bytes/],
    [
      'hello.keyShare',
      { ...HELLO, capabilities: ['encrypted-audio'] },
      /a key share with "encrypted-audio"/,
    ],
    [
      'hello.keyShare',
      { ...HELLO, capabilities: [], keyShare: new Uint8Array(32) },
      /none without "encrypted-audio"/,
    ],
    [
      'welcome.keyShare',
      { ...WELCOME, capabilities: ['encrypted-audio'], keyShare: new Uint8Array(16) },
      /32 bytes, got 16 bytes/,
    ],
    ['welcome.formats.inputs', { ...WELCOME, formats: { inputs: 'f32', outputs: [] } }, /array/],
    [
      'heartbeat.senderTimeUs',
      { type: 'heartbeat', requestId: 0, sequence: 0, senderTimeUs: 2 ** 53 },
      /2\^53/,
    ],
    [
      'heartbeat.sequence',
      { type: 'heartbeat', requestId: 0, sequence: -1, senderTimeUs: 0 },
      /from 0/,
    ],
    [
      'stats.session.lostFrames',
      { type: 'stats', requestId: 0, senderTimeUs: 0, session: { lostFrames: -1 }, streams: [] },
      /from 0/,
    ],
    [
      'stats.session.jitterUs',
      {
        type: 'stats',
        requestId: 0,
        senderTimeUs: 0,
        session: { jitterUs: Infinity },
        streams: [],
      },
      /finite/,
    ],
    [
      'stats.streams[0].direction',
      {
        type: 'stats',
        requestId: 0,
        senderTimeUs: 0,
        session: {},
        streams: [{ direction: 'sideways', streamIndex: 0, counters: {} }],
      },
      /input, output/,
    ],
    [
      'start-io-result.outcome',
      { type: 'start-io-result', requestId: 1, outcome: 'maybe', reason: '' },
      /ok, failure, refusal/,
    ],
    [
      'disconnect.reason',
      { type: 'disconnect', requestId: 0, reason: 'unspecified', text: '' },
      /normal/,
    ],
    [
      'start-io.redundancy.serverToClient',
      { type: 'start-io', requestId: 1, redundancy: { serverToClient: 4, clientToServer: 0 } },
      /from 0 to 3/,
    ],
    [
      'start-io.redundancy.clientToServer',
      { type: 'start-io', requestId: 1, redundancy: { serverToClient: 0, clientToServer: 0.5 } },
      /from 0 to 3/,
    ],
    [
      'start-io-result.redundancy',
      {
        type: 'start-io-result',
        requestId: 1,
        outcome: 'refusal',
        reason: 'no',
        redundancy: { serverToClient: 1, clientToServer: 1 },
      },
      /unless the outcome is ok/,
    ],
    ['message.type', { type: 'audio', requestId: 1 }, /hello/],
  ])('a bad %s with ValueError BAD_FIELD', (path, message, detail) => {
    const error = encodeError(message);
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(detail);
  });

  it('an invalid format with makeFormat’s code, naming the field', () => {
    const formats = {
      inputs: [STANDARD_FORMAT, { ...STANDARD_FORMAT, sampleRate: 0 }],
      outputs: [],
    };
    const error = encodeError({ ...WELCOME, formats });
    expect(error.code).toBe('BAD_SAMPLE_RATE');
    expect(error.message).toContain('welcome.formats.inputs[1]');
  });
});
