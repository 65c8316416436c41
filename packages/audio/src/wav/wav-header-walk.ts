import { AudioError } from '../errors.js';
import {
  SIZE_PLACEHOLDER,
  blockAlign,
  buildWavHeader,
  checkWavFormat,
  headerBytes,
  parseFmtChunk,
} from './wav-format.js';
import type { WavFormat } from './wav-format.js';

/** The part of a fmt chunk we read; extensible needs 40, anything after is ignored. */
const FMT_READ_BYTES = 40;
/**
 * The data size sox writes when it streams a WAV of unknown length (to a pipe), and reads back
 * as "to the end" without a warning (0xffffffff makes it warn of a premature end of file).
 */
export const SOX_UNKNOWN_SIZE = 0x7fff_f000;

/** Sequential access to a WAV's bytes: a file, or a pipe that cannot seek. */
export interface ByteSource {
  /** The next `length` bytes, fewer only at the end. */
  read(length: number): Promise<Uint8Array>;
  /** Passes over `length` bytes. */
  skip(length: number): Promise<void>;
}

/** A WAV's header up to its samples. */
export interface WavDataStart {
  readonly format: WavFormat;
  /** Bytes from the start to the first sample. */
  readonly dataOffset: number;
  /**
   * The data chunk's size field; undefined for "unknown, to the end": our 0xffffffff placeholder
   * or sox's SOX_UNKNOWN_SIZE.
   */
  readonly dataBytes: number | undefined;
}

/**
 * Walks the RIFF chunks up to data, reading only forward: fmt must come before data; other
 * chunks are skipped. Throws BAD_WAV, or UNSUPPORTED for RIFX, RF64 and formats we don't read.
 */
export async function walkToData(source: ByteSource, where: string): Promise<WavDataStart> {
  const riffHeader = await source.read(12);
  if (riffHeader.length < 12) {
    throw new AudioError(
      'BAD_WAV',
      `${where}: expected a 12-byte RIFF header, got ${riffHeader.length} bytes`,
    );
  }
  const riff = tag(riffHeader, 0);
  if (riff === 'RIFX' || riff === 'RF64') {
    throw new AudioError(
      'UNSUPPORTED',
      `${where}: ${riff} files (${riff === 'RIFX' ? 'big-endian' : 'over 4 GiB'}) are not supported`,
    );
  }
  if (riff !== 'RIFF' || tag(riffHeader, 8) !== 'WAVE') {
    throw new AudioError(
      'BAD_WAV',
      `${where}: expected "RIFF"…"WAVE", got ${JSON.stringify(riff)}…${JSON.stringify(tag(riffHeader, 8))}`,
    );
  }
  let format: WavFormat | undefined;
  for (let position = 12; ;) {
    const chunk = await source.read(8);
    if (chunk.length < 8) {
      throw new AudioError('BAD_WAV', `${where}: no data chunk before the end of the file`);
    }
    const id = tag(chunk, 0);
    const size = new DataView(chunk.buffer, chunk.byteOffset, 8).getUint32(4, true);
    position += 8;
    if (id === 'data') {
      if (format === undefined) {
        throw new AudioError('BAD_WAV', `${where}: the data chunk comes before the fmt chunk`);
      }
      return {
        format,
        dataOffset: position,
        dataBytes: size === SIZE_PLACEHOLDER || size === SOX_UNKNOWN_SIZE ? undefined : size,
      };
    }
    // Chunks are word-aligned: an odd size is followed by a pad byte.
    const padded = size + (size % 2);
    if (id === 'fmt ') {
      const body = await source.read(Math.min(size, FMT_READ_BYTES));
      format = parseFmtChunk(body, where);
      await source.skip(padded - body.length);
    } else {
      await source.skip(padded);
    }
    position += padded;
  }
}

/**
 * The header of a WAV written as a stream (to a pipe): its sizes cannot be patched at the end,
 * so they say what sox writes to a pipe, SOX_UNKNOWN_SIZE data bytes, which sox (and we) read
 * to the end of the stream.
 */
export function wavStreamHeader(format: WavFormat, where: string): Uint8Array {
  checkWavFormat(format, where);
  const header = buildWavHeader(format, undefined);
  const view = new DataView(header.buffer);
  const length = headerBytes(format);
  view.setUint32(4, length - 8 + SOX_UNKNOWN_SIZE, true);
  view.setUint32(length - 4, SOX_UNKNOWN_SIZE, true);
  // A float file's fact chunk (the 12 bytes before data) counts frames.
  if (format.sampleType === 'f32' || format.sampleType === 'f64') {
    view.setUint32(length - 12, Math.floor(SOX_UNKNOWN_SIZE / blockAlign(format)), true);
  }
  return header;
}

function tag(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}
