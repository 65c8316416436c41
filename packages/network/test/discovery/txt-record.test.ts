import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecodeError, ValueError, type Format } from '@syfala/proto';
import {
  MAX_TXT_STRING_BYTES,
  decodeEndpointTxt,
  encodeEndpointTxt,
  instanceNameFor,
  type EndpointAdvert,
} from '../../src/index.js';

const f32: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
const i24: Format = { sampleType: 'i24', sampleRate: 44_100, channels: 8, bufferFrames: 64 };

/** The TXT strings on the wire, as a browser receives them. */
function wire(txt: Record<string, string>): Uint8Array[] {
  return Object.entries(txt).map(([key, value]) => new TextEncoder().encode(`${key}=${value}`));
}

function strings(...entries: string[]): Uint8Array[] {
  return entries.map((entry) => new TextEncoder().encode(entry));
}

/** An advert without formats. */
const BARE = {
  id: '3f2a9c1e-0000-4000-8000-00000000abcd',
  name: 'Studio A',
  controlPort: 6911,
  protocolVersion: 1,
};

function advert(overrides: Partial<EndpointAdvert> = {}): EndpointAdvert {
  return { ...BARE, formats: { inputs: [f32, i24], outputs: [] }, ...overrides };
}

function decodeCode(entries: Uint8Array[]): string | undefined {
  try {
    decodeEndpointTxt(entries);
  } catch (error) {
    if (error instanceof DecodeError) return error.code;
    throw error;
  }
  return undefined;
}

describe('TXT record encoding', () => {
  it('writes the documented keys in order, with run-length stream lists', () => {
    const txt = encodeEndpointTxt(
      advert({
        formats: { inputs: [f32, f32, f32, i24], outputs: [{ ...f32, sampleRate: 44_100.5 }] },
      }),
    );
    expect(Object.entries(txt)).toEqual([
      ['v', '1'],
      ['id', '3f2a9c1e-0000-4000-8000-00000000abcd'],
      ['name', 'Studio A'],
      ['ctl', '6911'],
      ['in', '3*f32/48000/2/32,i24/44100/8/64'],
      ['out', 'f32/44100.5/2/32'],
    ]);
  });

  it('round-trips every field, including odd sample rates and 256 streams in one run', () => {
    const many = Array.from({ length: 256 }, () => ({ ...f32, channels: 1 }));
    for (const a of [
      advert(),
      advert({ formats: { inputs: [], outputs: [] }, controlPort: 0 }),
      advert({ formats: { inputs: many, outputs: [{ ...i24, sampleRate: 384_000 }] } }),
      advert({
        formats: { inputs: [{ ...f32, sampleRate: 44_100.1 + 0.2 }], outputs: [i24, f32, i24] },
      }),
      advert({ name: 'Ünïcødé — 🎛️ studio', protocolVersion: 255 }),
    ]) {
      expect(decodeEndpointTxt(wire(encodeEndpointTxt(a)))).toEqual(a);
    }
  });

  it('omits the stream lists when the advert has no formats', () => {
    const txt = encodeEndpointTxt(BARE);
    expect(Object.keys(txt)).toEqual(['v', 'id', 'name', 'ctl']);
    expect(decodeEndpointTxt(wire(txt))).toStrictEqual(BARE);
  });

  it('keeps a stream list that does not fit to whole formats and a "+N" count, which drops the formats on read', () => {
    const varied = Array.from({ length: 40 }, (_, i) => ({ ...f32, channels: i + 1 }));
    const txt = encodeEndpointTxt(advert({ formats: { inputs: varied, outputs: [f32] } }));
    const list = txt['in']!;
    expect(`in=${list}`.length).toBeLessThanOrEqual(MAX_TXT_STRING_BYTES);
    const [last] = list.split(',').slice(-1);
    const listed = list.split(',').length - 1;
    expect(last).toBe(`+${40 - listed}`);
    expect(decodeEndpointTxt(wire(txt))).toStrictEqual(BARE);
  });

  it('cuts a long name at a character boundary so that name= fits in 255 bytes', () => {
    const name = 'é'.repeat(127); // 254 bytes
    const txt = encodeEndpointTxt(advert({ name }));
    expect(new TextEncoder().encode(`name=${txt['name']}`).length).toBe(MAX_TXT_STRING_BYTES);
    expect(txt['name']).toBe('é'.repeat(125));
  });

  it('refuses adverts that break a protocol rule, naming the field', () => {
    const cases: [Partial<EndpointAdvert>, RegExp][] = [
      [{ id: 'nope' }, /TXT id/],
      [{ name: 'x'.repeat(256) }, /TXT name/],
      [{ protocolVersion: 0 }, /TXT v/],
      [{ controlPort: 70_000 }, /TXT ctl/],
      [{ formats: { inputs: [{ ...f32, channels: 0 }], outputs: [] } }, /channel count/],
      [{ formats: { inputs: Array.from({ length: 257 }, () => f32), outputs: [] } }, /TXT in/],
    ];
    for (const [overrides, message] of cases) {
      expect(() => encodeEndpointTxt(advert(overrides))).toThrow(ValueError);
      expect(() => encodeEndpointTxt(advert(overrides))).toThrow(message);
    }
  });
});

describe('TXT record decoding', () => {
  const id = randomUUID();
  const base = [`v=1`, `id=${id}`, `name=n`, `ctl=0`];

  it('reads keys case-insensitively, keeps the first of a duplicate and ignores unknown keys', () => {
    const decoded = decodeEndpointTxt(
      strings('V=1', `ID=${id}`, 'Name=first', 'name=second', 'ctl=1', 'future=x', 'flag', ''),
    );
    expect(decoded).toEqual({ id, name: 'first', controlPort: 1, protocolVersion: 1 });
  });

  it('gives formats only when both lists are present and complete', () => {
    expect(decodeEndpointTxt(strings(...base, 'in=f32/48000/2/32'))).not.toHaveProperty('formats');
    expect(decodeEndpointTxt(strings(...base, 'in=', 'out=+3'))).not.toHaveProperty('formats');
    expect(decodeEndpointTxt(strings(...base, 'in=', 'out='))).toHaveProperty('formats', {
      inputs: [],
      outputs: [],
    });
  });

  it('rejects malformed records with a code', () => {
    const cases: [string[], string][] = [
      [[`id=${id}`, 'name=n', 'ctl=0'], 'BAD_FIELD'], // no version
      [['v=1', 'name=n', 'ctl=0'], 'BAD_FIELD'], // no id
      [['v=1', `id=${id}`, 'ctl=0'], 'BAD_FIELD'], // no name
      [['v=1', `id=${id}`, 'name=n'], 'BAD_FIELD'], // no control port
      [['v=0', `id=${id}`, 'name=n', 'ctl=0'], 'BAD_FIELD'],
      [['v=256', `id=${id}`, 'name=n', 'ctl=0'], 'BAD_FIELD'],
      [['v', `id=${id}`, 'name=n', 'ctl=0'], 'BAD_FIELD'], // key without a value
      [['v=1', `id=${id.toUpperCase()}`, 'name=n', 'ctl=0'], 'BAD_FIELD'],
      [['v=1', `id=${id}`, 'name=n', 'ctl=65536'], 'BAD_FIELD'],
      [['v=1', `id=${id}`, 'name=n', 'ctl=06911'], 'BAD_FIELD'],
      [[...base, 'in=f32/48000/2', 'out='], 'BAD_FIELD'],
      [[...base, 'in=f33/48000/2/32', 'out='], 'BAD_FIELD'],
      [[...base, 'in=f32/0/2/32', 'out='], 'BAD_FIELD'],
      [[...base, 'in=f32/NaN/2/32', 'out='], 'BAD_FIELD'],
      [[...base, 'in=f32/48000/0/32', 'out='], 'BAD_FIELD'],
      [[...base, 'in=f32/48000/70000/32', 'out='], 'BAD_FIELD'],
      [[...base, 'in=0*f32/48000/2/32', 'out='], 'BAD_FIELD'],
      [[...base, 'in=+2,f32/48000/2/32', 'out='], 'BAD_FIELD'],
      [[...base, 'in=f32/48000/2/32,', 'out='], 'BAD_FIELD'],
      [[...base, 'in=200*f32/48000/2/32,100*i8/8000/1/0', 'out='], 'TOO_LARGE'],
      [[...base, 'in=f32/48000/2/32,+256', 'out='], 'TOO_LARGE'],
    ];
    for (const [entries, code] of cases) {
      expect([entries, decodeCode(strings(...entries))]).toEqual([entries, code]);
    }
    const invalidUtf8 = [
      ...strings('v=1', `id=${id}`, 'ctl=0'),
      Uint8Array.of(0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xff),
    ];
    expect(decodeCode(invalidUtf8)).toBe('BAD_FIELD');
    expect(decodeCode([...strings(...base), new Uint8Array(256).fill(0x61)])).toBe('TOO_LARGE');
  });
});

describe('DNS-SD instance names', () => {
  const id = '3f2a9c1e-0000-4000-8000-00000000abcd';

  it('appends the id prefix so that equal names never collide', () => {
    expect(instanceNameFor('Studio A', id)).toBe('Studio A (3f2a9c1e)');
  });

  it('fits one 63-byte DNS label, without dots or control characters', () => {
    const name = instanceNameFor(`v1.2\tmixer ${'ü'.repeat(60)}`, id);
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^v1-2 mixer ü+ \(3f2a9c1e\)$/);
    expect(instanceNameFor('', id)).toBe('syfala (3f2a9c1e)');
  });
});
