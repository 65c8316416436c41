import { describe, expect, it } from 'vitest';
import {
  DECODE_ERROR_CODES,
  DecodeError,
  TAGS,
  decodeMessage,
  encode,
  type MessageType,
} from '../../src/index.js';
import { fromHex, messageOf, toHex, vectors } from './vector-file.js';

describe('wire test vectors', () => {
  describe.each(vectors.valid)('$name', (vector) => {
    it('encodes to the vector bytes', () => {
      expect(toHex(encode(messageOf(vector.message)))).toBe(vector.hex);
    });

    it.each(vector.sentBy)('decodes as sent by a %s', (sender) => {
      expect(decodeMessage(fromHex(vector.hex), sender)).toEqual(messageOf(vector.message));
    });
  });

  describe.each(vectors.invalid)('$name', (vector) => {
    it(`is rejected with ${vector.code}`, () => {
      let thrown: unknown;
      try {
        decodeMessage(fromHex(vector.hex), vector.sentBy);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DecodeError);
      expect((thrown as DecodeError).code).toBe(vector.code);
    });
  });

  it('covers every message type and every decode error code', () => {
    const types = new Set(vectors.valid.map((v) => v.message.type));
    expect([...types].sort()).toEqual((Object.keys(TAGS) as MessageType[]).sort());
    const codes = new Set(vectors.invalid.map((v) => v.code));
    expect([...codes].sort()).toEqual([...DECODE_ERROR_CODES].sort());
  });
});
