import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ControlFrameDecoder,
  DecodeError,
  encodeControlFrame,
  type ControlMessage,
} from '../../src/index.js';
import { EXAMPLES } from './examples.js';

interface ControlVectors {
  valid: { name: string; message: unknown; hex: string }[];
  invalid: { name: string; hex: string; code: string }[];
}

/** Byte fields are { "$bytes": hex } in the JSON file. */
const bytesFromJson = (_key: string, value: unknown): unknown =>
  value !== null && typeof value === 'object' && '$bytes' in value
    ? new Uint8Array(Buffer.from((value as { $bytes: string }).$bytes, 'hex'))
    : value;

const vectors = JSON.parse(
  readFileSync(new URL('../../vectors/control.json', import.meta.url), 'utf8'),
  bytesFromJson,
) as ControlVectors;

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

/** Feeds a whole byte stream to a fresh decoder and ends it. */
function decodeStream(hex: string): ControlMessage[] {
  const decoder = new ControlFrameDecoder();
  const messages = decoder.push(fromHex(hex));
  decoder.end();
  return messages;
}

describe('control test vectors', () => {
  describe.each(vectors.valid)('$name', (vector) => {
    it('decodes to the vector message', () => {
      expect(decodeStream(vector.hex)).toEqual([vector.message]);
    });

    it('encodes to the vector bytes', () => {
      expect(
        Buffer.from(encodeControlFrame(vector.message as ControlMessage)).toString('hex'),
      ).toBe(vector.hex);
    });
  });

  describe.each(vectors.invalid)('$name', (vector) => {
    it(`is rejected with ${vector.code}`, () => {
      let thrown: unknown;
      try {
        decodeStream(vector.hex);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DecodeError);
      expect((thrown as DecodeError).code).toBe(vector.code);
    });
  });

  it('covers every control message type', () => {
    const inFile = new Set(vectors.valid.map((v) => (v.message as ControlMessage).type));
    expect([...inFile].sort()).toEqual([...new Set(EXAMPLES.map((m) => m.type))].sort());
  });
});
