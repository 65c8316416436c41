import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { mountSmallFileSystem } from '@syfala/jack-rig';
import { SAMPLE_TYPES, bytesPerSample } from '@syfala/proto';
import { decodeSamples, encodeSamples } from '@syfala/dataplane';
import { describe, expect, it, onTestFinished } from 'vitest';

import { WavReader, readWavFile } from '../src/wav/wav-reader.js';
import { tempFiles } from './temp-files.js';
import { WavWriter } from '../src/wav/wav-writer.js';
import { headerBytes, wavSampleType } from '../src/wav/wav-format.js';
import { wavStreamHeader } from '../src/wav/wav-header-walk.js';
import type { WavFormat, WavSampleType } from '../src/wav/wav-format.js';

const hasSox = spawnSync('sox', ['--version']).status === 0;
const needsSox = hasSox ? '' : ' [skipped: sox is not installed; apt-get install sox]';

function sox(args: readonly string[]): { stdout: string; stderr: string } {
  const result = spawnSync('sox', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`sox ${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

/** What `sox --i` says about a file. */
function soxInfo(file: string) {
  const get = (flag: string): string => sox(['--i', flag, file]).stdout.trim();
  return {
    rate: Number(get('-r')),
    channels: Number(get('-c')),
    bits: Number(get('-b')),
    encoding: get('-e'),
    frames: Number(get('-s')),
    seconds: Number(get('-D')),
  };
}

/** What `sox FILE -n stat` measures over all channels, in full-scale units. */
function soxStat(file: string) {
  const { stderr } = sox([file, '-n', 'stat']);
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(stderr)?.[1]);
  return {
    samples: field('Samples read'),
    max: field('Maximum amplitude'),
    min: field('Minimum amplitude'),
    rms: field('RMS {5}amplitude'),
  };
}

/** `frames` frames of a sine, the same on every channel. */
function sine(frames: number, channels: number, rate: number, hz: number, peak: number) {
  const out = new Float32Array(frames * channels);
  for (let k = 0; k < frames; k++) {
    out.fill(peak * Math.sin((2 * Math.PI * hz * k) / rate), k * channels, (k + 1) * channels);
  }
  return out;
}

/** What `samples` become after a trip through `type`: the reference for a read-back. */
function quantized(type: WavSampleType, samples: Float32Array): Float32Array {
  const bytes = new Uint8Array(samples.length * 8);
  encodeSamples(type, samples, 0, bytes, 0, samples.length);
  const out = new Float32Array(samples.length);
  decodeSamples(type, bytes, 0, out, 0, samples.length);
  return out;
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / samples.length);
}

async function writeFile(path: string, format: WavFormat, samples: Float32Array): Promise<void> {
  const writer = await WavWriter.create(path, format);
  expect(writer.write(samples, samples.length / format.channels)).toBe(
    samples.length / format.channels,
  );
  await writer.close();
}

const file = tempFiles('wav');

describe('wavSampleType', () => {
  it('maps every wire type to the closest WAV type', () => {
    expect(Object.fromEntries(SAMPLE_TYPES.map((t) => [t, wavSampleType(t)]))).toEqual({
      u8: 'u8',
      u16: 'i16',
      u24: 'i24',
      u32: 'i32',
      u64: 'i32',
      i8: 'u8',
      i16: 'i16',
      i24: 'i24',
      i32: 'i32',
      i64: 'i32',
      f32: 'f32',
      f64: 'f64',
    });
  });
});

describe('WavWriter and WavReader', () => {
  const cases: [WavSampleType, number][] = [
    ['u8', 1],
    ['u8', 3],
    ['i16', 2],
    ['i16', 6],
    ['i24', 2],
    ['i32', 3],
    ['f32', 2],
    ['f32', 5],
    ['f64', 6],
  ];

  it.each(cases)(
    'round-trips %s × %d channels through many chunks, written and read in odd pieces',
    async (sampleType, channels) => {
      const path = file();
      const format = { sampleRate: 48_000, channels, sampleType };
      // Over 64 KiB many times, written in one synchronous burst: the background writes can't
      // keep up, so this also goes through the blocking fallback.
      const frames = 30_011;
      const samples = sine(frames, channels, 48_000, 997, 0.9);
      samples[0] = 1;
      samples[1] = -1;
      const writer = await WavWriter.create(path, format);
      for (let at = 0, piece = 1; at < frames; at += piece, piece = (piece * 7 + 3) % 5003) {
        const n = Math.min(piece, frames - at);
        expect(writer.write(samples.subarray(at * channels), n)).toBe(n);
      }
      expect(writer.frames).toBe(frames);
      await writer.close();

      const reader = await WavReader.open(path);
      expect(reader.format).toEqual(format);
      expect(reader.frames).toBe(frames);
      const out = new Float32Array(frames * channels);
      for (let at = 0, piece = 5; at < frames; piece = (piece * 13 + 1) % 7919) {
        at += reader.read(out, Math.min(piece, frames - at), at);
      }
      expect(reader.read(out, 10)).toBe(0);
      await reader.close();
      expect(out).toEqual(quantized(sampleType, samples));
    },
  );

  it('writes the canonical 44-byte header for i16 stereo', async () => {
    const path = file();
    await writeFile(
      path,
      { sampleRate: 44_100, channels: 2, sampleType: 'i16' },
      Float32Array.of(0.5, -0.5, 1, -1),
    );
    const bytes = readFileSync(path);
    // prettier-ignore
    expect([...bytes]).toEqual([
      0x52, 0x49, 0x46, 0x46, 44, 0, 0, 0, // "RIFF", 36 + 8 data bytes
      0x57, 0x41, 0x56, 0x45, // "WAVE"
      0x66, 0x6d, 0x74, 0x20, 16, 0, 0, 0, // "fmt ", 16
      1, 0, 2, 0, // PCM, 2 channels
      0x44, 0xac, 0, 0, // 44100 Hz
      0x10, 0xb1, 0x02, 0, // 176400 bytes/s
      4, 0, 16, 0, // block align 4, 16 bits
      0x64, 0x61, 0x74, 0x61, 8, 0, 0, 0, // "data", 8
      0x00, 0x40, 0x00, 0xc0, 0xff, 0x7f, 0x00, 0x80, // 0.5, −0.5, 1 → max, −1 → min
    ]);
  });

  it('writes float as format 3 with cbSize 0 and a fact chunk', async () => {
    const path = file();
    await writeFile(
      path,
      { sampleRate: 8_000, channels: 6, sampleType: 'f32' },
      new Float32Array(18),
    );
    const bytes = readFileSync(path);
    expect(bytes.readUInt32LE(16)).toBe(18); // fmt size
    expect(bytes.readUInt16LE(20)).toBe(3);
    expect(bytes.readUInt16LE(36)).toBe(0); // cbSize
    expect(bytes.toString('latin1', 38, 42)).toBe('fact');
    expect(bytes.readUInt32LE(46)).toBe(3); // frames
    expect(bytes.toString('latin1', 50, 54)).toBe('data');
    expect(bytes.readUInt32LE(54)).toBe(72);
    expect(bytes.length).toBe(58 + 72);
  });

  it('pads an odd-sized data chunk and counts the pad in the RIFF size', async () => {
    const path = file();
    await writeFile(
      path,
      { sampleRate: 8_000, channels: 1, sampleType: 'u8' },
      Float32Array.of(0, 0.5, -1),
    );
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(44 + 3 + 1);
    expect(bytes.readUInt32LE(4)).toBe(40);
    expect(bytes.readUInt32LE(40)).toBe(3);
    expect([...bytes.subarray(44)]).toEqual([0x80, 0xc0, 0x00, 0]);
    const { samples } = await readWavFile(path);
    expect([...samples]).toEqual([0, 0.5, -1]);
  });

  it('stops at maxFrames and says how many frames it took', async () => {
    const path = file();
    const writer = await WavWriter.create(path, {
      sampleRate: 48_000,
      channels: 2,
      sampleType: 'f32',
      maxFrames: 60,
    });
    const samples = sine(100, 2, 48_000, 440, 0.5);
    expect(writer.write(samples, 50)).toBe(50);
    expect(writer.write(samples.subarray(100), 50)).toBe(10);
    expect(writer.write(samples, 1)).toBe(0);
    expect(writer.frames).toBe(60);
    await writer.close();
    expect((await readWavFile(path)).samples).toEqual(samples.subarray(0, 120));
  });

  it('close() is idempotent and write() after it throws BAD_STATE', async () => {
    const writer = await WavWriter.create(file(), {
      sampleRate: 48_000,
      channels: 1,
      sampleType: 'i16',
    });
    await Promise.all([writer.close(), writer.close()]);
    await writer.close();
    expect(() => writer.write(new Float32Array(1), 1)).toThrow(
      expect.objectContaining({ name: 'AudioError', code: 'BAD_STATE' }),
    );
  });

  it('rejects a write of more frames than the array holds', async () => {
    const writer = await WavWriter.create(file(), {
      sampleRate: 48_000,
      channels: 2,
      sampleType: 'i16',
    });
    expect(() => writer.write(new Float32Array(5), 3)).toThrow(
      expect.objectContaining({ name: 'BoundsError', code: 'OUT_OF_BOUNDS' }),
    );
    await writer.close();
  });

  it.each([
    [
      { sampleType: 'u16' },
      'UNSUPPORTED',
      /sampleType.*got u16 \(WAV has no u16; the closest is i16\)/,
    ],
    [{ sampleType: 'i64' }, 'UNSUPPORTED', /closest is i32/],
    [{ sampleType: 'pcm' }, 'UNSUPPORTED', /sampleType must be one of u8, i16/],
    [{ sampleRate: 44_100.5 }, 'BAD_OPTION', /sampleRate must be an integer/],
    [{ sampleRate: 0 }, 'BAD_OPTION', /sampleRate/],
    [{ channels: 0 }, 'BAD_OPTION', /channels must be an integer from 1 to 65535/],
    [{ channels: 9000, sampleType: 'f64' }, 'BAD_OPTION', /block-align field\), got 72000/],
    [{ sampleRate: 4e9 }, 'BAD_OPTION', /byte-rate field/],
    [{ maxFrames: -1 }, 'BAD_OPTION', /maxFrames must be an integer from 0/],
  ] as const)('refuses %o with %s', async (change, code, message) => {
    const options = { sampleRate: 48_000, channels: 2, sampleType: 'f32', ...change };
    const path = file();
    // @ts-expect-error: deliberately invalid options
    await expect(WavWriter.create(path, options)).rejects.toThrow(
      expect.objectContaining({
        name: 'AudioError',
        code,
        message: expect.stringMatching(message),
      }),
    );
    expect(existsSync(path)).toBe(false);
  });

  it('rejects with FILE_ERROR when the file cannot be created', async () => {
    await expect(
      WavWriter.create(join(file('missing'), 'x.wav'), {
        sampleRate: 48_000,
        channels: 1,
        sampleType: 'i16',
      }),
    ).rejects.toThrow(
      expect.objectContaining({ code: 'FILE_ERROR', message: expect.stringMatching(/ENOENT/) }),
    );
  });

  it.skipIf(!existsSync('/dev/full'))('rejects with FILE_ERROR on a full disk', async () => {
    await expect(
      WavWriter.create('/dev/full', { sampleRate: 48_000, channels: 1, sampleType: 'i16' }),
    ).rejects.toThrow(
      expect.objectContaining({ code: 'FILE_ERROR', message: expect.stringMatching(/ENOSPC/) }),
    );
  });
});

describe(`a WavWriter on a full file system${needsSox}`, () => {
  it.skipIf(!hasSox).for([
    ['f32', 2],
    ['u8', 1],
    ['i24', 3],
  ] as const)(
    'finalises %s × %d channels for the frames that fit, readable by sox, and rejects close()',
    async ([sampleType, channels], ctx) => {
      const disk = await mountSmallFileSystem(64 * 1024);
      if (typeof disk === 'string') return ctx.skip(disk);
      onTestFinished(() => disk.unmount());
      const path = join(disk.dir, 'take.wav');
      const format = { sampleRate: 48_000, channels, sampleType };
      // Four times what fits.
      const frames = Math.ceil((4 * 64 * 1024) / (channels * bytesPerSample(sampleType)));
      const samples = sine(frames, channels, 48_000, 1000, 0.5);
      const writer = await WavWriter.create(path, format);
      // In pieces, with a turn of the event loop between them: background writes fail as well.
      for (let at = 0; at < frames; at += 480) {
        writer.write(samples.subarray(at * channels), Math.min(480, frames - at));
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(writer.failure).toMatchObject({ code: 'FILE_ERROR' });
      expect(writer.failure?.message).toContain(path);
      expect(writer.failure?.message).toMatch(/ENOSPC/);
      await expect(writer.close()).rejects.toBe(writer.failure);

      const saved = writer.savedFrames!;
      // Nearly the whole 64 KiB: what fitted is kept, not thrown away.
      expect(saved * channels * bytesPerSample(sampleType)).toBeGreaterThan(60_000);
      expect(statSync(path).size).toBe(
        headerBytes(format) + saved * channels * bytesPerSample(sampleType),
      );
      const read = await readWavFile(path);
      expect(read.frames).toBe(saved);
      expect(read.samples).toEqual(quantized(sampleType, samples.subarray(0, saved * channels)));
      const { stderr } = sox([path, '-n', 'stat']);
      expect(stderr).not.toMatch(/WARN|premature/i);
      expect(soxInfo(path).frames).toBe(saved);
    },
  );
});

describe('WavReader', () => {
  it('says how many frames a file cut short lacks, and nothing for a placeholder size', async () => {
    const path = file();
    const format = { sampleRate: 48_000, channels: 2, sampleType: 'i24' } as const;
    await writeFile(path, format, sine(1000, 2, 48_000, 440, 0.5));
    truncateSync(path, statSync(path).size - 100 * 6 - 1); // 100 frames and a byte short
    const cut = await WavReader.open(path);
    expect([cut.frames, cut.missingFrames]).toEqual([899, 101]);
    await cut.close();
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(0xffff_ffff, bytes.indexOf('data') + 4);
    writeFileSync(path, bytes);
    const unknown = await WavReader.open(path);
    expect([unknown.frames, unknown.missingFrames]).toEqual([899, 0]);
    await unknown.close();
  });

  it.each(['i16', 'i24', 'f32'] as const)(
    'reads a %s WAV streamed to a pipe (sox’s unknown size) to its end, missing nothing',
    async (sampleType) => {
      const path = file();
      const format = { sampleRate: 48_000, channels: 2, sampleType };
      const samples = sine(1000, 2, 48_000, 440, 0.5);
      const data = new Uint8Array(samples.length * bytesPerSample(sampleType));
      encodeSamples(sampleType, samples, 0, data, 0, samples.length);
      writeFileSync(path, Buffer.concat([wavStreamHeader(format, 'test'), data]));
      const reader = await WavReader.open(path);
      expect([reader.frames, reader.missingFrames]).toEqual([1000, 0]);
      await reader.close();
      expect((await readWavFile(path)).samples).toEqual(quantized(sampleType, samples));
      if (!hasSox) return;
      // sox reads it to the end, without a word.
      const sox = spawnSync('sox', [path, '-n', 'stat'], { encoding: 'utf8' });
      expect(sox.stderr).toMatch(/^Samples read: +2000$/m);
      expect(sox.stderr).not.toMatch(/WARN/);
    },
  );

  it('clamps a placeholder or oversized data size to the frames in the file', async () => {
    const path = file();
    const samples = sine(1000, 2, 48_000, 440, 0.5);
    await writeFile(path, { sampleRate: 48_000, channels: 2, sampleType: 'i24' }, samples);
    const bytes = readFileSync(path);
    const dataSizeAt = bytes.indexOf('data') + 4;
    bytes.writeUInt32LE(0xffff_ffff, 4);
    bytes.writeUInt32LE(0xffff_ffff, dataSizeAt);
    writeFileSync(path, bytes.subarray(0, bytes.length - 5)); // and cut mid-frame
    const { samples: read } = await readWavFile(path);
    expect(read).toEqual(quantized('i24', samples).subarray(0, 999 * 2));
  });

  it('reads a file that is still being written: no frames yet', async () => {
    const path = file();
    const writer = await WavWriter.create(path, {
      sampleRate: 48_000,
      channels: 2,
      sampleType: 'f32',
    });
    const reader = await WavReader.open(path);
    expect(reader.format).toEqual({ sampleRate: 48_000, channels: 2, sampleType: 'f32' });
    expect(reader.frames).toBe(0);
    await reader.close();
    await writer.close();
  });

  it('skips unknown chunks, odd-sized ones with their pad byte, and ignores what follows data', async () => {
    const fmt = Buffer.alloc(16);
    fmt.writeUInt16LE(1, 0);
    fmt.writeUInt16LE(1, 2);
    fmt.writeUInt32LE(8000, 4);
    fmt.writeUInt32LE(16_000, 8);
    fmt.writeUInt16LE(2, 12);
    fmt.writeUInt16LE(12, 14); // 12 valid bits, left-justified in 16
    const chunk = (id: string, body: Buffer): Buffer => {
      const head = Buffer.alloc(8);
      head.write(id, 'latin1');
      head.writeUInt32LE(body.length, 4);
      return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
    };
    const data = Buffer.from([0x00, 0x40, 0xf0, 0xbf]);
    const body = Buffer.concat([
      chunk('LIST', Buffer.from('INFOxyz')), // 7 bytes: padded to 8
      chunk('fmt ', fmt),
      chunk('junk', Buffer.alloc(1)),
      chunk('data', data),
      chunk('LIST', Buffer.from('after')),
    ]);
    const path = file();
    writeFileSync(
      path,
      Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4, 0), Buffer.from('WAVE'), body]),
    );
    const { format, samples } = await readWavFile(path);
    expect(format).toEqual({ sampleRate: 8000, channels: 1, sampleType: 'i16' });
    expect([...samples]).toEqual([0.5, -0.50048828125]);
  });

  it('reads at an offset, seeks, and returns 0 past the end', async () => {
    const path = file();
    const samples = Float32Array.from({ length: 20 }, (_, i) => i / 32);
    await writeFile(path, { sampleRate: 48_000, channels: 2, sampleType: 'f32' }, samples);
    const reader = await WavReader.open(path);
    const out = new Float32Array(8).fill(-1);
    expect(reader.read(out, 2, 1)).toBe(2);
    expect([...out]).toEqual([-1, -1, 0, 1 / 32, 2 / 32, 3 / 32, -1, -1]);
    reader.seek(8);
    expect(reader.position).toBe(8);
    expect(reader.read(out, 4)).toBe(2);
    expect(out.subarray(0, 4)).toEqual(samples.subarray(16, 20));
    expect(reader.read(out, 4)).toBe(0);
    reader.seek(0);
    expect(reader.read(out, 1)).toBe(1);
    expect(out.subarray(0, 2)).toEqual(samples.subarray(0, 2));
    expect(() => reader.seek(11)).toThrow(expect.objectContaining({ code: 'OUT_OF_BOUNDS' }));
    expect(() => reader.read(out, 5)).toThrow(expect.objectContaining({ code: 'OUT_OF_BOUNDS' }));
    await Promise.all([reader.close(), reader.close()]);
    expect(() => reader.read(out, 1)).toThrow(expect.objectContaining({ code: 'BAD_STATE' }));
  });

  it.each(['u8', 'i16'] as const)(
    'reads frames cut off after open() as silence (%s)',
    async (sampleType) => {
      const path = file();
      const frames = 100_000; // more than one 64 KiB chunk
      await writeFile(
        path,
        { sampleRate: 48_000, channels: 1, sampleType },
        sine(frames, 1, 48_000, 440, 0.5),
      );
      const reader = await WavReader.open(path);
      truncateSync(path, 44 + 50_000 * (sampleType === 'u8' ? 1 : 2));
      const out = new Float32Array(frames);
      expect(reader.read(out, frames)).toBe(frames);
      await reader.close();
      expect(rms(out.subarray(0, 50_000))).toBeGreaterThan(0.3);
      expect(out.subarray(50_000).every((s) => s === 0)).toBe(true);
    },
  );

  const header = (riff: string, form = 'WAVE'): Buffer =>
    Buffer.concat([Buffer.from(riff), Buffer.alloc(4), Buffer.from(form)]);
  const fmtChunk = (fields: number[], size = 16): Buffer => {
    const b = Buffer.alloc(8 + Math.max(size, 16));
    b.write('fmt ', 'latin1');
    b.writeUInt32LE(size, 4);
    const [tag = 1, channels = 2, rate = 48_000, align = 4, bits = 16] = fields;
    b.writeUInt16LE(tag, 8);
    b.writeUInt16LE(channels, 10);
    b.writeUInt32LE(rate, 12);
    b.writeUInt32LE(rate * align, 16);
    b.writeUInt16LE(align, 20);
    b.writeUInt16LE(bits, 22);
    return b.subarray(0, 8 + size);
  };
  const dataChunk = Buffer.concat([Buffer.from('data'), Buffer.alloc(4)]);

  it.each([
    ['a file shorter than a RIFF header', Buffer.from('RIFF'), 'BAD_WAV', /12-byte RIFF header/],
    ['a file that is not RIFF', header('OggS'), 'BAD_WAV', /expected "RIFF"…"WAVE"/],
    ['a RIFF that is not WAVE', header('RIFF', 'AVI '), 'BAD_WAV', /"AVI "/],
    ['big-endian RIFX', header('RIFX'), 'UNSUPPORTED', /RIFX.*big-endian/],
    ['RF64', header('RF64'), 'UNSUPPORTED', /RF64.*over 4 GiB/],
    ['no data chunk', Buffer.concat([header('RIFF'), fmtChunk([])]), 'BAD_WAV', /no data chunk/],
    [
      'data before fmt',
      Buffer.concat([header('RIFF'), dataChunk, fmtChunk([])]),
      'BAD_WAV',
      /before the fmt/,
    ],
    [
      'a short fmt chunk',
      Buffer.concat([header('RIFF'), fmtChunk([], 14), dataChunk]),
      'BAD_WAV',
      /at least 16 bytes, got 14/,
    ],
    [
      '0 channels',
      Buffer.concat([header('RIFF'), fmtChunk([1, 0]), dataChunk]),
      'BAD_WAV',
      /≥ 1 channel/,
    ],
    [
      'a block align that contradicts the bits',
      Buffer.concat([header('RIFF'), fmtChunk([1, 2, 48_000, 2, 16]), dataChunk]),
      'BAD_WAV',
      /16 bits in 2-byte frames of 2 channels/,
    ],
    [
      '64-bit PCM',
      Buffer.concat([header('RIFF'), fmtChunk([1, 1, 48_000, 8, 64]), dataChunk]),
      'UNSUPPORTED',
      /PCM with 64 bits/,
    ],
    [
      '16-bit float',
      Buffer.concat([header('RIFF'), fmtChunk([3, 1, 48_000, 2, 16]), dataChunk]),
      'UNSUPPORTED',
      /float with 16 bits/,
    ],
    [
      'MS ADPCM',
      Buffer.concat([header('RIFF'), fmtChunk([2, 1, 48_000, 256, 4]), dataChunk]),
      'UNSUPPORTED',
      /format code 0x0002/,
    ],
    [
      'a short extensible fmt chunk',
      Buffer.concat([header('RIFF'), fmtChunk([0xfffe], 18), dataChunk]),
      'BAD_WAV',
      /needs 40 bytes, got 18/,
    ],
    [
      'an extensible fmt chunk with a foreign GUID',
      Buffer.concat([header('RIFF'), fmtChunk([0xfffe], 40), dataChunk]),
      'UNSUPPORTED',
      /not a KSDATAFORMAT_SUBTYPE GUID/,
    ],
  ] as const)('refuses %s', async (_, bytes, code, message) => {
    const path = file();
    writeFileSync(path, bytes);
    await expect(WavReader.open(path)).rejects.toThrow(
      expect.objectContaining({
        name: 'AudioError',
        code,
        message: expect.stringMatching(message),
      }),
    );
  });

  it('rejects a missing file with FILE_ERROR', async () => {
    await expect(WavReader.open(file('nothing'))).rejects.toThrow(
      expect.objectContaining({ code: 'FILE_ERROR', message: expect.stringMatching(/ENOENT/) }),
    );
  });
});

describe(`WAV files checked by sox${needsSox}`, () => {
  const peak = 10 ** (-6 / 20);
  it.skipIf(!hasSox).each([
    ['u8', 1, 22_050, 'Unsigned Integer PCM', 1 / 128],
    ['i16', 2, 44_100, 'Signed Integer PCM', 1e-4],
    ['i16', 6, 48_000, 'Signed Integer PCM', 1e-4],
    ['i24', 2, 96_000, 'Signed Integer PCM', 1e-5],
    ['i32', 3, 48_000, 'Signed Integer PCM', 1e-5],
    ['f32', 2, 48_000, 'Floating Point PCM', 1e-5],
    ['f64', 6, 192_000, 'Floating Point PCM', 1e-5],
  ] as const)(
    'sox reads our %s × %d channels at %d Hz: format, duration, and a −6 dBFS sine',
    async (sampleType, channels, sampleRate, encoding, tolerance) => {
      const path = file();
      const frames = sampleRate / 2;
      await writeFile(
        path,
        { sampleRate, channels, sampleType },
        sine(frames, channels, sampleRate, 1000, peak),
      );
      expect(soxInfo(path)).toEqual({
        rate: sampleRate,
        channels,
        bits: Number(sampleType.slice(1)),
        encoding,
        frames,
        seconds: 0.5,
      });
      const stat = soxStat(path);
      expect(stat.samples).toBe(frames * channels);
      expect(Math.abs(stat.max - peak)).toBeLessThan(tolerance);
      expect(Math.abs(stat.rms - peak / Math.SQRT2)).toBeLessThan(tolerance);
    },
  );

  it.skipIf(!hasSox)('reads the 24-bit stereo sine sox generates', async () => {
    const path = file('sox');
    sox([
      '-n',
      '-r',
      '44100',
      '-c',
      '2',
      '-b',
      '24',
      path,
      'synth',
      '0.5',
      'sine',
      '1000',
      'vol',
      '0.5',
    ]);
    const { format, samples } = await readWavFile(path);
    expect(format).toEqual({ sampleRate: 44_100, channels: 2, sampleType: 'i24' });
    expect(samples.length).toBe(22_050 * 2);
    const left = samples.filter((_, i) => i % 2 === 0);
    const right = samples.filter((_, i) => i % 2 === 1);
    expect(left).toEqual(right);
    expect(Math.max(...left)).toBeCloseTo(0.5, 4);
    expect(rms(left)).toBeCloseTo(0.5 / Math.SQRT2, 4);
    let crossings = 0;
    for (let i = 1; i < left.length; i++) if (left[i - 1]! < 0 !== left[i]! < 0) crossings++;
    expect(Math.abs(crossings - 1000)).toBeLessThanOrEqual(2); // 2 per cycle, 500 cycles
  });

  it.skipIf(!hasSox).each([
    [['-b', '8'], 'u8'],
    [['-b', '16', '-c', '6'], 'i16'],
    [['-b', '32'], 'i32'],
    [['-e', 'floating-point', '-b', '32'], 'f32'],
    [['-e', 'floating-point', '-b', '64', '-c', '3'], 'f64'],
  ] as const)(
    'reads what sox writes with %j as %s, with the RMS sox measures',
    async (args, type) => {
      const path = file('sox');
      sox(['-n', '-r', '48000', ...args, path, 'synth', '0.25', 'sine', '440', 'vol', '0.7']);
      const { format, samples } = await readWavFile(path);
      expect(format.sampleType).toBe(type);
      expect(format.sampleRate).toBe(48_000);
      expect(samples.length).toBe(12_000 * format.channels);
      expect(rms(samples)).toBeCloseTo(soxStat(path).rms, 5);
    },
  );

  it.skipIf(!hasSox)('refuses the A-law file sox writes as UNSUPPORTED', async () => {
    const path = file('sox');
    sox(['-n', '-r', '8000', '-e', 'a-law', path, 'synth', '0.1', 'sine', '440']);
    await expect(WavReader.open(path)).rejects.toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringMatching(/0x0006/) }),
    );
  });
});
