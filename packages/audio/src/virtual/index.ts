import type { Format } from '@syfala/proto';

import type { AudioBackend, AudioDevice, DeviceStreams } from '../backend.js';
import { AudioError } from '../errors.js';
import { WavReader } from '../wav/wav-reader.js';
import { WavWriter } from '../wav/wav-writer.js';
import { resolveOptions } from './options.js';
import type { ResolvedSource, VirtualDeviceOptions } from './options.js';
import { RingReader, RingWriter } from './ring-ends.js';
import { NoiseGenerator, Silence, ToneGenerator, WavPlayer } from './sources.js';
import type { Source } from './sources.js';
import { VirtualDevice, type Sink } from './virtual-device.js';

export type {
  NoiseSource,
  NullSink,
  RingSink,
  RingSource,
  SilenceSource,
  ToneSource,
  VirtualClock,
  VirtualDeviceOptions,
  VirtualSink,
  VirtualSource,
  WavFileSink,
  WavFileSource,
} from './options.js';
export { MAX_SKEW_PPM } from './options.js';
export { RingStatus } from './ring-ends.js';

/**
 * The virtual sound card (pure TS, the embedded default): any number of input and output streams
 * at any rates, channel counts and sample types, on a software clock. See VirtualDevice for the
 * timing and README.md for the options.
 */
export const virtualBackend: AudioBackend<VirtualDeviceOptions> = {
  info: { name: 'virtual', duplex: true },
  open: openVirtualDevice,
};

/** Validates everything, then opens WAV sources and sinks; on failure closes what it opened. */
async function openVirtualDevice(
  streams: DeviceStreams,
  options: VirtualDeviceOptions = {},
): Promise<AudioDevice> {
  const config = resolveOptions(streams, options);
  const opened: { close(): Promise<void> }[] = [];
  try {
    const sources: Source[] = [];
    for (const [i, source] of config.sources.entries()) {
      const made = await makeSource(source, config.streams.inputs[i]!, `sources[${i}]`);
      opened.push(made);
      sources.push(made);
    }
    const sinks: (Sink | undefined)[] = [];
    for (const [i, sink] of config.sinks.entries()) {
      const { sampleRate, channels } = config.streams.outputs[i]!;
      if (sink.kind !== 'wav') {
        sinks.push(
          sink.kind === 'ring' ? new RingWriter(sink.buffer, sink.status, channels) : undefined,
        );
        continue;
      }
      const writer = await WavWriter.create(sink.path, {
        sampleRate,
        channels,
        sampleType: sink.sampleType,
      });
      opened.push(writer);
      sinks.push(writer);
    }
    return new VirtualDevice({ ...config, sources, sinks });
  } catch (error) {
    await Promise.allSettled(opened.map((o) => o.close()));
    throw error;
  }
}

async function makeSource(source: ResolvedSource, format: Format, field: string): Promise<Source> {
  const { channels, sampleRate } = format;
  switch (source.kind) {
    case 'tone':
      return new ToneGenerator(channels, sampleRate, source.frequencyHz, source.levelDbfs);
    case 'noise':
      return new NoiseGenerator(channels, source.levelDbfs, source.seed);
    case 'silence':
      return new Silence(channels);
    case 'ring':
      return new RingReader(source.buffer, source.status, channels);
    case 'wav': {
      const reader = await WavReader.open(source.path);
      const file = reader.format;
      if (file.channels !== channels || file.sampleRate !== sampleRate) {
        await reader.close();
        throw new AudioError(
          'BAD_OPTION',
          `virtual device: ${field}.path: ${source.path} is ${file.sampleRate} Hz, ` +
            `${file.channels} channels; the stream is ${sampleRate} Hz, ${channels} channels ` +
            '(no resampling or remixing)',
        );
      }
      return new WavPlayer(reader, source.loop);
    }
  }
}
