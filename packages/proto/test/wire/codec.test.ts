import { describe, expect, it } from 'vitest';
import {
  AUDIO_HEADER_BYTES,
  DecodeError,
  MAX_AUDIO_PAYLOAD_BYTES,
  MAX_SEALED_AUDIO_PAYLOAD_BYTES,
  SEALED_AUDIO_HEADER_BYTES,
  ValueError,
  createAudioHeader,
  createSealedAudioHeader,
  decodeMessage,
  decodeServerMessage,
  encode,
  encodeInto,
  encodedSize,
  readAudioHeader,
  readSealedAudioHeader,
  writeAudioHeader,
  writeSealedAudioHeader,
  type Message,
} from '../../src/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DecodeError || error instanceof ValueError) return error.code;
    throw error;
  }
  return undefined;
}

describe('audio header, the allocation-free path', () => {
  it('writes at an offset and reads back with the payload left in place', () => {
    const buf = new Uint8Array(100);
    const payload = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    writeAudioHeader(buf, 10, 7, 123_456_789_012, payload.length);
    buf.set(payload, 10 + AUDIO_HEADER_BYTES);

    const header = readAudioHeader(
      buf,
      createAudioHeader(),
      10,
      AUDIO_HEADER_BYTES + payload.length,
    );
    expect(header).toEqual({
      streamIndex: 7,
      byteIndex: 123_456_789_012,
      byteCount: 40,
      payloadOffset: 34,
    });
    expect(buf.subarray(header.payloadOffset, header.payloadOffset + header.byteCount)).toEqual(
      payload,
    );
  });

  it('reuses the caller-owned header object', () => {
    const out = createAudioHeader();
    const a = encode({ type: 'audio', streamIndex: 1, byteIndex: 0, payload: Uint8Array.of(1) });
    const b = encode({ type: 'audio', streamIndex: 2, byteIndex: 9, payload: Uint8Array.of(1, 2) });
    expect(readAudioHeader(a, out)).toBe(out);
    expect(readAudioHeader(b, out)).toBe(out);
    expect(out.streamIndex).toBe(2);
    expect(out.byteIndex).toBe(9);
  });

  it('rejects a header that is not audio', () => {
    expect(codeOf(() => readAudioHeader(encode({ type: 'discovery' }), createAudioHeader()))).toBe(
      'UNKNOWN_TAG',
    );
  });

  it('refuses to write out-of-range fields or past the buffer', () => {
    const buf = new Uint8Array(64);
    expect(codeOf(() => writeAudioHeader(buf, 0, -1, 0, 4))).toBe('BAD_FIELD');
    expect(codeOf(() => writeAudioHeader(buf, 0, 0, 2 ** 53, 4))).toBe('BAD_FIELD');
    expect(codeOf(() => writeAudioHeader(buf, 0, 0, 0, 0))).toBe('BAD_FIELD');
    expect(codeOf(() => writeAudioHeader(buf, 0, 0, 0, MAX_AUDIO_PAYLOAD_BYTES + 1))).toBe(
      'BAD_FIELD',
    );
    expect(codeOf(() => writeAudioHeader(buf, 50, 0, 0, 4))).toBe('BUFFER_TOO_SMALL');
  });
});

describe('sealed audio header', () => {
  it('writes at an offset and reads back, the ciphertext and tag left in place', () => {
    const buf = new Uint8Array(100);
    writeSealedAudioHeader(buf, 10, 7, 2 ** 53 - 1, 20, 0xffff_ffff, 3);
    const header = readSealedAudioHeader(
      buf,
      createSealedAudioHeader(),
      10,
      SEALED_AUDIO_HEADER_BYTES + 20 + 16,
    );
    expect(header).toEqual({
      streamIndex: 7,
      byteIndex: 2 ** 53 - 1,
      byteCount: 20,
      keyId: 0xffff_ffff,
      copy: 3,
      payloadOffset: 42,
    });
  });

  it('is not AUDI, and AUDI is not it', () => {
    const sealed = new Uint8Array(SEALED_AUDIO_HEADER_BYTES + 17);
    writeSealedAudioHeader(sealed, 0, 0, 0, 1, 0, 0);
    expect(codeOf(() => readAudioHeader(sealed, createAudioHeader()))).toBe('UNKNOWN_TAG');
    const clear = encode({ type: 'audio', streamIndex: 0, byteIndex: 0, payload: sealed });
    expect(codeOf(() => readSealedAudioHeader(clear, createSealedAudioHeader()))).toBe(
      'UNKNOWN_TAG',
    );
  });

  it('refuses to write out-of-range fields or past the buffer', () => {
    const buf = new Uint8Array(64);
    const write = (byteCount: number, keyId: number, copy: number, offset = 0): unknown =>
      writeSealedAudioHeader(buf, offset, 0, 0, byteCount, keyId, copy);
    expect(codeOf(() => write(0, 0, 0))).toBe('BAD_FIELD');
    expect(codeOf(() => write(MAX_SEALED_AUDIO_PAYLOAD_BYTES + 1, 0, 0))).toBe('BAD_FIELD');
    expect(codeOf(() => write(1, 2 ** 32, 0))).toBe('BAD_FIELD');
    expect(codeOf(() => write(1, 0, 4))).toBe('BAD_FIELD');
    expect(codeOf(() => write(1, 0, 0, 40))).toBe('BUFFER_TOO_SMALL');
    expect(codeOf(() => write(MAX_SEALED_AUDIO_PAYLOAD_BYTES, 0, 3))).toBeUndefined();
  });
});

describe('message codec', () => {
  it('decodes an audio payload as a view into the datagram, not a copy', () => {
    const datagram = encode({
      type: 'audio',
      streamIndex: 0,
      byteIndex: 64,
      payload: Uint8Array.of(9, 8, 7),
    });
    const message = decodeServerMessage(datagram);
    if (message.type !== 'audio') throw new Error(`expected audio, got ${message.type}`);
    expect(message.payload.buffer).toBe(datagram.buffer);
    datagram[AUDIO_HEADER_BYTES] = 42;
    expect(message.payload[0]).toBe(42);
  });

  it('encodes into a caller-owned buffer at an offset and returns the byte count', () => {
    const message: Message = { type: 'heartbeat', sequence: 5, senderTimeUs: 10 };
    const buf = new Uint8Array(64).fill(0xee);
    const written = encodeInto(message, buf, 3);
    expect(written).toBe(encodedSize(message));
    expect(buf[2]).toBe(0xee);
    expect(buf[3 + written]).toBe(0xee);
    expect(decodeMessage(buf.subarray(3, 3 + written), 'client')).toEqual(message);
    expect(codeOf(() => encodeInto(message, new Uint8Array(10)))).toBe('BUFFER_TOO_SMALL');
  });

  it('decodes VERS whatever its version byte, and nothing else from another version', () => {
    const vers = encode({ type: 'version-not-supported', minVersion: 3, maxVersion: 5 });
    vers[3] = 4;
    expect(decodeMessage(vers, 'server')).toEqual({
      type: 'version-not-supported',
      minVersion: 3,
      maxVersion: 5,
    });
    const beat = encode({ type: 'heartbeat', sequence: 1, senderTimeUs: 1 });
    beat[3] = 4;
    expect(codeOf(() => decodeMessage(beat, 'server'))).toBe('BAD_VERSION');
  });

  it('keeps a byte-order mark that starts a CONN name (found by the fuzzer)', () => {
    // No streams, name = EF BB BF: a decoder that strips the BOM reads name "" from 3 name
    // bytes, and the message then re-encodes to 3 bytes less.
    const hex = '53594601434f4e4e' + '00'.repeat(16) + '0000' + '0000' + '0000' + '03' + 'efbbbf';
    const datagram = new Uint8Array(Buffer.from(hex, 'hex'));
    const message = decodeMessage(datagram, 'server');
    expect(message).toMatchObject({ type: 'connect', name: '\ufeff' });
    expect(encode(message)).toEqual(datagram);
    const named = { ...message, name: '\ufeffStudio' } as Message;
    expect(decodeMessage(encode(named), 'server')).toEqual(named);
  });

  it('names the field at fault', () => {
    const result = encode({ type: 'start-io-result', requestId: 1, outcome: 'ok' });
    result[12] = 9;
    expect(() => decodeMessage(result, 'server')).toThrow(
      /start-io-result outcome: unknown code 9/,
    );
    expect(() => decodeMessage(result.subarray(0, 10), 'server')).toThrow(
      /start-io-result request id: expected 4 bytes at offset 8, got 2/,
    );
  });

  it('rejects invalid messages on encode with a ValueError', () => {
    const connect = (patch: object): Message =>
      ({
        type: 'connect',
        endpointId: '5f1a0c3e-9b2d-4e6f-8a71-c0ffee000001',
        name: 'x',
        controlPort: 1,
        formats: { inputs: [], outputs: [] },
        ...patch,
      }) as Message;
    expect(codeOf(() => encode(connect({ endpointId: 'not-an-id' })))).toBe('BAD_FIELD');
    expect(codeOf(() => encode(connect({ name: 'é'.repeat(128) })))).toBe('BAD_FIELD');
    expect(codeOf(() => encode(connect({ controlPort: 70_000 })))).toBe('BAD_FIELD');
    const bad = { sampleRate: 0, channels: 2, bufferFrames: 0, sampleType: 'f32' };
    expect(codeOf(() => encode(connect({ formats: { inputs: [bad], outputs: [] } })))).toBe(
      'BAD_SAMPLE_RATE',
    );
    const many = Array.from({ length: 257 }, () => ({ ...bad, sampleRate: 48_000 }));
    expect(codeOf(() => encode(connect({ formats: { inputs: many, outputs: [] } })))).toBe(
      'BAD_FIELD',
    );
    expect(codeOf(() => encode({ type: 'connection-result', outcome: 'maybe' } as never))).toBe(
      'BAD_FIELD',
    );
    expect(codeOf(() => encode({ type: 'heartbeat', sequence: 2 ** 32, senderTimeUs: 0 }))).toBe(
      'BAD_FIELD',
    );
    expect(codeOf(() => encode({ type: 'nonsense' } as never))).toBe('BAD_FIELD');
  });
});
