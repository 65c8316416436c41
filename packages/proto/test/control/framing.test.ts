import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DecodeError, ValueError } from '../../src/errors.js';
import { encodeControlMessage } from '../../src/control/codec.js';
import protobuf from 'protobufjs';
import {
  ControlFrameDecoder,
  MAX_CONTROL_FRAME_BYTES,
  encodeControlFrame,
  encodeVersion1ControlFrame,
} from '../../src/control/framing.js';
import type { ControlErrorMessage, ControlMessage } from '../../src/control/messages.js';
import { EXAMPLES } from './examples.js';
import { concat, framed } from './raw.js';

const HEARTBEAT: ControlMessage = {
  type: 'heartbeat',
  requestId: 0,
  sequence: 1,
  senderTimeUs: 42,
};
const START: ControlMessage = { type: 'start-io', requestId: 9 };

/** An error message whose ControlFrame body is exactly `bytes` long. */
function errorOfSize(bytes: number): ControlErrorMessage {
  const base: ControlErrorMessage = { type: 'error', requestId: 0, code: 'internal', message: '' };
  // Grow the text until the body reaches the target; the varint length fields shift the size
  // by a byte now and then, so step one character at a time.
  for (let length = Math.max(0, bytes - 16); ; length++) {
    const message = { ...base, message: 'x'.repeat(length) };
    const size = encodeControlMessage(message).length;
    if (size === bytes) return message;
    if (size > bytes) throw new Error(`no error message encodes to exactly ${bytes} bytes`);
  }
}

function pushError(decoder: ControlFrameDecoder, chunk: Uint8Array): DecodeError {
  try {
    decoder.push(chunk);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error('expected push to throw');
}

describe('encodeControlFrame', () => {
  it('prefixes the protobuf with its length as a varint, as protobufjs encodeDelimited does', () => {
    const body = encodeControlMessage(HEARTBEAT);
    const frame = encodeControlFrame(HEARTBEAT);
    expect(frame).toEqual(concat(Uint8Array.of(body.length), body));
    const ControlFrame = protobuf
      .parse(readFileSync(new URL('../../control.proto', import.meta.url), 'utf8'))
      .root.lookupType('syfala.control.v1.ControlFrame');
    const delimited = ControlFrame.encodeDelimited(ControlFrame.decode(body)).finish();
    expect(frame).toEqual(new Uint8Array(delimited));
    expect(ControlFrame.toObject(ControlFrame.decodeDelimited(frame))).toEqual(
      ControlFrame.toObject(ControlFrame.decode(body)),
    );
  });

  it('writes a 3-byte prefix for the largest frame (65 536 = 80 80 04)', () => {
    const frame = encodeControlFrame(errorOfSize(MAX_CONTROL_FRAME_BYTES));
    expect([...frame.subarray(0, 3)]).toEqual([0x80, 0x80, 0x04]);
  });

  it('encodes a frame of exactly the maximum size and refuses one byte more', () => {
    expect(encodeControlFrame(errorOfSize(MAX_CONTROL_FRAME_BYTES)).length).toBe(
      3 + MAX_CONTROL_FRAME_BYTES,
    );
    expect(() => encodeControlFrame(errorOfSize(MAX_CONTROL_FRAME_BYTES + 1))).toThrow(ValueError);
    expect(() => encodeControlFrame(errorOfSize(300), { maxFrameBytes: 299 })).toThrow(
      /encodes to 300 bytes, above the 299-byte frame maximum/,
    );
  });

  it.each([0, -1, 1.5, 2 ** 32, Number.NaN])('rejects maxFrameBytes %s', (maxFrameBytes) => {
    expect(() => encodeControlFrame(HEARTBEAT, { maxFrameBytes })).toThrow(ValueError);
    expect(() => new ControlFrameDecoder({ maxFrameBytes })).toThrow(ValueError);
  });
});

describe('ControlFrameDecoder', () => {
  const stream = concat(...EXAMPLES.map((message) => encodeControlFrame(message)));

  it('decodes every example from one chunk, in order', () => {
    expect(new ControlFrameDecoder().push(stream)).toEqual(EXAMPLES);
  });

  it('decodes the examples fed one byte at a time', () => {
    const decoder = new ControlFrameDecoder();
    const messages: ControlMessage[] = [];
    for (let i = 0; i < stream.length; i++) {
      messages.push(...decoder.push(stream.subarray(i, i + 1)));
    }
    expect(messages).toEqual(EXAMPLES);
    expect(() => decoder.end()).not.toThrow();
  });

  it('decodes a two-frame stream split at every possible point', () => {
    const twoFrames = concat(
      encodeControlFrame(START),
      encodeControlFrame(EXAMPLES[3] as ControlMessage),
    );
    for (let cut = 0; cut <= twoFrames.length; cut++) {
      const decoder = new ControlFrameDecoder();
      const first = decoder.push(twoFrames.subarray(0, cut));
      const second = decoder.push(twoFrames.subarray(cut));
      expect([...first, ...second]).toEqual([START, EXAMPLES[3]]);
      const firstFrameEnd = encodeControlFrame(START).length;
      expect(first).toHaveLength(cut < firstFrameEnd ? 0 : cut < twoFrames.length ? 1 : 2);
    }
  });

  it('decodes a two-frame stream cut into three at every pair of points', () => {
    const twoFrames = concat(encodeControlFrame(HEARTBEAT), encodeControlFrame(START));
    for (let a = 0; a <= twoFrames.length; a++) {
      for (let b = a; b <= twoFrames.length; b++) {
        const decoder = new ControlFrameDecoder();
        const messages = [
          ...decoder.push(twoFrames.subarray(0, a)),
          ...decoder.push(twoFrames.subarray(a, b)),
          ...decoder.push(twoFrames.subarray(b)),
        ];
        expect(messages).toEqual([HEARTBEAT, START]);
      }
    }
  });

  it('returns nothing for an empty chunk', () => {
    expect(new ControlFrameDecoder().push(new Uint8Array(0))).toEqual([]);
  });

  it('does not alias the caller’s chunk in decoded messages', () => {
    const challenge: ControlMessage = {
      type: 'auth-challenge',
      requestId: 1,
      method: 'hmac-sha256-psk',
      nonce: new Uint8Array(32).fill(9),
    };
    const chunk = encodeControlFrame(challenge);
    const [decoded] = new ControlFrameDecoder().push(chunk);
    chunk.fill(0);
    expect(decoded).toEqual(challenge);
  });

  it('rejects a 4 GB length prefix as soon as it is known to exceed the maximum', () => {
    // ff ff ff ff 0f: 2^32 - 1. Past the three bytes the 65 536-byte maximum needs, the value
    // can only be larger. A stream's first 4 bytes are held until all are in (§1.1).
    const first = new ControlFrameDecoder();
    expect(first.push(Uint8Array.of(0xff, 0xff, 0xff))).toEqual([]);
    expect(pushError(first, Uint8Array.of(0xff)).code).toBe('TOO_LARGE');

    const later = new ControlFrameDecoder();
    expect(later.push(concat(encodeControlFrame(HEARTBEAT), Uint8Array.of(0xff, 0xff)))).toEqual([
      HEARTBEAT,
    ]);
    const error = pushError(later, Uint8Array.of(0xff));
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toMatch(/3 or more varint bytes announces more than the 65536-byte/);
  });

  it('rejects a 5-byte prefix whose last byte sets bits past 32 when the maximum allows 5 bytes', () => {
    const decoder = new ControlFrameDecoder({ maxFrameBytes: 0xffff_ffff });
    expect(pushError(decoder, Uint8Array.of(0x81, 0x80, 0x80, 0x80, 0x10)).code).toBe('TOO_LARGE');
  });

  it('accepts a frame of exactly maxFrameBytes and rejects maxFrameBytes + 1 at its prefix', () => {
    const exact = encodeControlFrame(errorOfSize(MAX_CONTROL_FRAME_BYTES));
    expect(new ControlFrameDecoder().push(exact)).toHaveLength(1);

    const over = encodeControlMessage(errorOfSize(MAX_CONTROL_FRAME_BYTES + 1));
    const decoder = new ControlFrameDecoder();
    const error = pushError(decoder, framed(over).subarray(0, 4));
    expect(error.code).toBe('TOO_LARGE');
    expect(error.message).toMatch(/announces 65537 bytes, above the 65536-byte maximum/);
  });

  it('accepts a prefix written longer than needed, as protobuf readers do (81 00 = 1)', () => {
    const body = encodeControlMessage(START);
    const padded = concat(Uint8Array.of(body.length | 0x80, 0x00), body);
    expect(new ControlFrameDecoder().push(padded)).toEqual([START]);
  });

  describe('a peer framing as control version 1 (4-byte little-endian lengths)', () => {
    const hello: ControlMessage = {
      type: 'hello',
      requestId: 1,
      protocolVersion: 1,
      clientId: '3f2a9c1e-7d3b-4c55-9a0e-2b1f6c8d9e01',
      clientName: 'old client',
      capabilities: [],
      udpAudioPort: 4464,
    };

    it('is refused with BAD_VERSION once its first 4 bytes are in, however they arrive', () => {
      const frame = encodeVersion1ControlFrame(hello);
      for (let cut = 0; cut < 4; cut++) {
        const decoder = new ControlFrameDecoder();
        expect(decoder.push(frame.subarray(0, cut))).toEqual([]);
        const error = pushError(decoder, frame.subarray(cut, 4));
        expect(error.code).toBe('BAD_VERSION');
        expect(error.message).toContain(
          `control version 1; its first frame announces ${frame.length - 4} bytes`,
        );
      }
    });

    it('is told so in its own framing: encodeVersion1ControlFrame', () => {
      const refusal: ControlMessage = {
        type: 'disconnect',
        requestId: 0,
        reason: 'version-unsupported',
        text: 'v2 only',
      };
      const frame = encodeVersion1ControlFrame(refusal);
      const body = encodeControlMessage(refusal);
      expect(new DataView(frame.buffer).getUint32(0, true)).toBe(body.length);
      expect(frame.subarray(4)).toEqual(body);
    });

    it('is told apart from every valid stream: no example starts like a version-1 prefix', () => {
      for (const message of EXAMPLES) {
        const frame = encodeControlFrame(message);
        expect([frame[2], frame[3]]).not.toEqual([0, 0]);
      }
    });
  });

  it('honours a smaller maxFrameBytes', () => {
    const frame = encodeControlFrame(errorOfSize(100));
    expect(new ControlFrameDecoder({ maxFrameBytes: 100 }).push(frame)).toHaveLength(1);
    expect(pushError(new ControlFrameDecoder({ maxFrameBytes: 99 }), frame).code).toBe('TOO_LARGE');
  });

  it('rejects a zero length prefix with BAD_FIELD', () => {
    const error = pushError(new ControlFrameDecoder(), new Uint8Array(4));
    expect(error.code).toBe('BAD_FIELD');
    expect(error.message).toMatch(/length prefix is 0/);
  });

  it('rejects a frame whose body is not a control message', () => {
    const stream = concat(framed(Uint8Array.of(0x9f, 0x06)), encodeControlFrame(HEARTBEAT));
    const error = pushError(new ControlFrameDecoder(), stream);
    expect(error.code).toBe('BAD_FIELD');
  });

  it('rejects a frame whose prefix is longer than its protobuf needs', () => {
    // The prefix covers the heartbeat plus one stray byte: a truncated field inside the frame.
    const body = concat(encodeControlMessage(HEARTBEAT), Uint8Array.of(0x08));
    expect(pushError(new ControlFrameDecoder(), framed(body)).code).toBe('TRUNCATED');
  });

  it('rejects a frame whose prefix is shorter than its protobuf', () => {
    const body = encodeControlMessage(EXAMPLES[3] as ControlMessage);
    const error = pushError(new ControlFrameDecoder(), framed(body, body.length - 3));
    expect(['TRUNCATED', 'BAD_FIELD']).toContain(error.code);
  });

  it('gives the same verdict whether a frame arrives whole or split, in Node Buffers', () => {
    // A Disconnect whose text announces 5 bytes and has 1: decoded in place from a Buffer when it
    // arrives whole, gathered into a Uint8Array when split (found by the fuzzer).
    const frame = Buffer.from('0a0800ca02050801120541', 'hex');
    const whole = pushError(new ControlFrameDecoder(), frame);
    const decoder = new ControlFrameDecoder();
    expect(decoder.push(frame.subarray(0, 5))).toEqual([]);
    const split = pushError(decoder, frame.subarray(5));
    expect(whole.code).toBe('TRUNCATED');
    expect(split.code).toBe('TRUNCATED');
  });

  it('stays failed after an error: every later push throws the same code', () => {
    const decoder = new ControlFrameDecoder();
    const first = pushError(decoder, Uint8Array.of(0xff, 0xff, 0xff, 0));
    expect(first.code).toBe('TOO_LARGE');
    const again = pushError(decoder, encodeControlFrame(HEARTBEAT));
    expect(again.code).toBe('TOO_LARGE');
    expect(again.cause).toBe(first);
    expect(() => decoder.push(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => decoder.end()).toThrow(DecodeError);
  });

  it('drops good frames that share a chunk with a bad one', () => {
    const decoder = new ControlFrameDecoder();
    const chunk = concat(encodeControlFrame(HEARTBEAT), new Uint8Array(4));
    expect(pushError(decoder, chunk).code).toBe('BAD_FIELD');
  });

  it('keeps messages from earlier chunks when a later chunk is bad', () => {
    const decoder = new ControlFrameDecoder();
    expect(decoder.push(encodeControlFrame(HEARTBEAT))).toEqual([HEARTBEAT]);
    expect(pushError(decoder, new Uint8Array(4)).code).toBe('BAD_FIELD');
  });

  describe('end', () => {
    it('passes at a frame boundary', () => {
      const decoder = new ControlFrameDecoder();
      decoder.end();
      decoder.push(encodeControlFrame(HEARTBEAT));
      expect(() => decoder.end()).not.toThrow();
    });

    it('throws TRUNCATED inside the first frame, before its 4 bytes are in', () => {
      const decoder = new ControlFrameDecoder();
      decoder.push(Uint8Array.of(5, 0));
      expect(() => decoder.end()).toThrow(/ended after 2 bytes of the first frame/);
    });

    it('throws TRUNCATED inside a later length prefix', () => {
      const decoder = new ControlFrameDecoder();
      decoder.push(concat(encodeControlFrame(START), Uint8Array.of(0x80)));
      expect(() => decoder.end()).toThrow(/ended after 1 byte of a length prefix/);
    });

    it('throws TRUNCATED inside a body, and the decoder stays failed', () => {
      const decoder = new ControlFrameDecoder();
      const frame = encodeControlFrame(START);
      decoder.push(frame.subarray(0, frame.length - 1));
      let error: unknown;
      try {
        decoder.end();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).code).toBe('TRUNCATED');
      const body = frame.length - 1;
      expect((error as DecodeError).message).toContain(
        `ended after ${body - 1} of the ${body} bytes of a frame's body`,
      );
      expect(() => decoder.push(frame.subarray(frame.length - 1))).toThrow(DecodeError);
    });
  });
});
