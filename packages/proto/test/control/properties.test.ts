import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { decodeControlMessage, encodeControlMessage } from '../../src/control/codec.js';
import { ControlFrameDecoder, encodeControlFrame } from '../../src/control/framing.js';
import type { ControlMessage } from '../../src/control/messages.js';
import { controlMessage, cut } from './arbitraries.js';
import { concat, framed } from './raw.js';

const RUNS = 3000;

/** Runs `decode`; a throw must be a DecodeError, and whatever decodes must encode again unchanged. */
function decodesOrRejects(decode: () => ControlMessage[]): void {
  let messages: ControlMessage[];
  try {
    messages = decode();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return;
  }
  for (const message of messages) {
    expect(decodeControlMessage(encodeControlMessage(message))).toEqual(message);
  }
}

/** Feeds chunks to a fresh decoder, stopping at the first error like a connection would. */
function feed(chunks: readonly Uint8Array[]): ControlMessage[] {
  const decoder = new ControlFrameDecoder();
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bits: number }
  | { readonly kind: 'insert'; readonly at: number; readonly byte: number }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'truncate'; readonly at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bits: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out: Uint8Array = Uint8Array.from(bytes);
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    switch (m.kind) {
      case 'flip':
        if (at < out.length) out[at] = (out[at] ?? 0) ^ m.bits;
        break;
      case 'insert':
        out = concat(out.subarray(0, at), Uint8Array.of(m.byte), out.subarray(at));
        break;
      case 'delete':
        out = concat(out.subarray(0, at), out.subarray(at + 1));
        break;
      case 'truncate':
        out = out.subarray(0, at);
        break;
    }
  }
  return out;
}

describe('control codec properties', () => {
  it('decode ∘ encode is the identity for every message', () => {
    fc.assert(
      fc.property(controlMessage, (message) => {
        expect(decodeControlMessage(encodeControlMessage(message))).toEqual(message);
      }),
      { numRuns: RUNS },
    );
  });

  it('a stream of frames cut anywhere decodes to the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(controlMessage, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (messages, points) => {
          const stream = concat(...messages.map((message) => encodeControlFrame(message)));
          expect(feed(cut(stream, points))).toEqual(messages);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('random bytes never make decodeControlMessage throw anything but DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        decodesOrRejects(() => [decodeControlMessage(bytes)]);
      }),
      { numRuns: RUNS },
    );
  });

  it('random byte streams never make ControlFrameDecoder throw anything but DecodeError', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (bytes, points) => {
          decodesOrRejects(() => feed(cut(bytes, points)));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('random bodies behind a correct length prefix never throw anything but DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), (body) => {
        decodesOrRejects(() => feed([framed(body)]));
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated valid frames never throw anything but DecodeError', () => {
    fc.assert(
      fc.property(
        controlMessage,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (message, mutations, points) => {
          const frame = mutate(encodeControlFrame(message), mutations);
          decodesOrRejects(() => feed(cut(frame, points)));
          decodesOrRejects(() => [decodeControlMessage(frame.subarray(4))]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
