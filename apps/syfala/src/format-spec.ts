import { ValueError, isSampleType, makeFormat, type Format } from '@syfala/proto';

const FORMAT_SYNTAX = 'TYPE/RATE/CHANNELS/FRAMES, e.g. f32/48000/2/32';

/**
 * Parses a format as the CLI takes it: "f32/48000/2/32" (sample type, rate in Hz, channels,
 * frames per period). The forms `describeFormat` prints ("f32/48000Hz/2ch/32") are accepted too.
 */
export function parseFormat(text: string): Format {
  const parts = text.trim().split('/');
  const [type, rate, channels, frames] = parts;
  if (parts.length !== 4 || !isSampleType(type)) {
    throw new ValueError('BAD_FIELD', `format "${text}": expected ${FORMAT_SYNTAX}`);
  }
  const number = (value: string, unit: string): number => {
    // slice(0, -0) would be empty: frames have no unit to strip.
    const digits = unit !== '' && value.endsWith(unit) ? value.slice(0, -unit.length) : value;
    return /^\d+(\.\d+)?$/.test(digits) ? Number(digits) : Number.NaN;
  };
  try {
    return makeFormat({
      sampleType: type,
      sampleRate: number(rate!, 'Hz'),
      channels: number(channels!, 'ch'),
      bufferFrames: number(frames!, ''),
    });
  } catch (error) {
    throw new ValueError(
      'BAD_FIELD',
      `format "${text}": ${(error as Error).message.replace(/^format: /, '')}`,
    );
  }
}

/** A comma-separated list of formats; the empty string is no streams. */
export function parseFormats(text: string): Format[] {
  return text.trim() === '' ? [] : text.split(',').map(parseFormat);
}
