import { createSecretKey } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SEALED_AUDIO_HEADER_BYTES,
  ValueError,
  decodeMessage,
  openAudio,
  sealAudio,
  sealAudioInPlace,
  writeSealedAudioHeader,
  type AudioDirection,
} from '../../src/index.js';

const key = new Uint8Array(32).fill(0x42);
const otherKey = new Uint8Array(32).fill(0x43);
const run = {
  streamIndex: 1,
  byteIndex: 4_096,
  copy: 0,
  keyId: 7,
  payload: Uint8Array.of(1, 2, 3),
};

describe('sealAudio and openAudio', () => {
  it('seal into a caller buffer at an offset, the same bytes as into a new one', () => {
    const out = new Uint8Array(100).fill(0xee);
    const datagram = sealAudio(key, 'client-to-server', run, out, 5);
    expect(datagram.buffer).toBe(out.buffer);
    expect(datagram.byteOffset).toBe(5);
    expect(datagram).toEqual(sealAudio(key, 'client-to-server', run));
    expect(out[4]).toBe(0xee);
    expect(out[5 + datagram.length]).toBe(0xee);
    expect(() => sealAudio(key, 'client-to-server', run, out, 60)).toThrow(ValueError);
  });

  it('seal in place what a sealed packetizer lays out, the key id set as it goes', () => {
    const datagram = new Uint8Array(SEALED_AUDIO_HEADER_BYTES + 3 + 16);
    writeSealedAudioHeader(datagram, 0, run.streamIndex, run.byteIndex, 3, 0, run.copy);
    datagram.set(run.payload, SEALED_AUDIO_HEADER_BYTES);
    sealAudioInPlace(key, 'client-to-server', run.keyId, datagram, datagram.length);
    expect(datagram).toEqual(sealAudio(key, 'client-to-server', run));
  });

  it('refuse to seal in place a length that does not fit the header', () => {
    const datagram = new Uint8Array(SEALED_AUDIO_HEADER_BYTES + 3 + 16);
    writeSealedAudioHeader(datagram, 0, 0, 0, 3, 0, 0);
    expect(() =>
      sealAudioInPlace(key, 'client-to-server', 0, datagram, datagram.length - 1),
    ).toThrow(ValueError);
  });

  it('take a key imported once as a KeyObject', () => {
    const imported = createSecretKey(key);
    const datagram = sealAudio(imported, 'server-to-client', run);
    expect(datagram).toEqual(sealAudio(key, 'server-to-client', run));
    expect(openAudio(imported, 'server-to-client', datagram)).toEqual(Buffer.from(run.payload));
  });

  it('refuse an unknown direction', () => {
    expect(() => sealAudio(key, 'sideways' as AudioDirection, run)).toThrow(ValueError);
  });

  it('open only with the key and direction it was sealed with, and any changed bit fails', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.constantFrom<AudioDirection>('client-to-server', 'server-to-client'),
        fc.nat({ max: 3 }),
        fc.nat(),
        (payload, direction, copy, flip) => {
          const datagram = sealAudio(key, direction, { ...run, copy, payload });
          const other = direction === 'client-to-server' ? 'server-to-client' : 'client-to-server';
          expect(openAudio(key, direction, datagram)).toEqual(Buffer.from(payload));
          expect(openAudio(otherKey, direction, datagram)).toBeNull();
          expect(openAudio(key, other, datagram)).toBeNull();
          // Any bit but those that make it no valid AUDE (its length, copy and reserved bytes).
          const bit = flip % (datagram.length * 8);
          const at = bit >> 3;
          const tampered = datagram.slice();
          tampered[at]! ^= 1 << (bit & 7);
          let decodes = true;
          try {
            decodeMessage(tampered, 'client');
          } catch {
            decodes = false;
          }
          if (decodes) expect(openAudio(key, direction, tampered)).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });
});
