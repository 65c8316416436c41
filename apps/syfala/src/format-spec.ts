import { ValueError, isSampleType, makeFormat, type Format } from '@syfala/proto';

const FORMAT_SYNTAX = 'TYPE/RATE/CHANNELS/FRAMES, e.g. f32/48000/2/32';

/**
 * Parses a format as the CLI takes it: "f32/48000/2/32" (sample type, rate in Hz, channels,
 * frames per period). The forms `describeFormat` prints ("f32/48000Hz/2ch/32") are accepted too.
 * makeFormat checks the limits (PROTOCOL.md §5.3); an error quotes the field as it was written.
 */
export function parseFormat(text: string): Format {
  const parts = text.trim().split('/');
  const [type, rate = '', channels = '', frames = ''] = parts;
  if (parts.length !== 4 || !isSampleType(type)) {
    throw new ValueError('BAD_FIELD', `format "${text}": expected ${FORMAT_SYNTAX}`);
  }
  const fields = {
    BAD_SAMPLE_RATE: withoutUnit(rate, 'Hz'),
    BAD_CHANNEL_COUNT: withoutUnit(channels, 'ch'),
    BAD_BUFFER_SIZE: frames.trim(),
  };
  try {
    return makeFormat({
      sampleType: type,
      sampleRate: numberOf(fields.BAD_SAMPLE_RATE),
      channels: numberOf(fields.BAD_CHANNEL_COUNT),
      bufferFrames: numberOf(fields.BAD_BUFFER_SIZE),
    });
  } catch (error) {
    const { code, message } = error as ValueError;
    const given = fields[code as keyof typeof fields];
    const rule = message.replace(/^format: /, '');
    throw new ValueError(
      'BAD_FIELD',
      `format "${text}": ${given === undefined ? rule : rule.replace(/, got .*$/, `, got ${JSON.stringify(given)}`)}`,
    );
  }
}

/** A comma-separated list of formats; the empty string is no streams. */
export function parseFormats(text: string): Format[] {
  return text.trim() === '' ? [] : text.split(',').map(parseFormat);
}

function withoutUnit(value: string, unit: string): string {
  const trimmed = value.trim();
  return trimmed.endsWith(unit) ? trimmed.slice(0, -unit.length) : trimmed;
}

/** Any decimal number (1e9, -48000, 44100.5); NaN for anything else, which makeFormat refuses. */
function numberOf(text: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
}
