import { WavReader, type WavFormat } from '@syfala/audio';
import { CliError, describeError } from './cli-error.js';

/** What a WAV file to play holds, and a warning when it is shorter than its header says. */
export interface WavToPlay {
  readonly format: WavFormat;
  readonly warning: string | undefined;
}

/** Opens a WAV file given by option `name` to check it before anything streams. */
export async function inspectWav(path: string, name: string): Promise<WavToPlay> {
  let reader: WavReader;
  try {
    reader = await WavReader.open(path);
  } catch (error) {
    throw new CliError(`${name}: ${describeError(error)}`);
  }
  await reader.close();
  const { format, frames, missingFrames } = reader;
  const seconds = Math.round((missingFrames / format.sampleRate) * 1000) / 1000;
  return {
    format,
    warning:
      missingFrames === 0
        ? undefined
        : `${name}: ${path} is cut short: its header says ${frames + missingFrames} frames, ` +
          `the file holds ${frames} (${missingFrames} frames, ${seconds} s missing); it plays what is there`,
  };
}
