import type { AudioBackend, AudioDevice, DeviceStreams, ProcessCallback } from './backend.js';
import { loadProcessor, type ProcessorSpec } from './engine/processor.js';
import { AudioError } from './errors.js';
import { virtualBackend } from './virtual/index.js';

export interface DuplexStreamOptions<Options> {
  /** Default: the virtual card. */
  readonly backend?: AudioBackend<Options>;
  readonly streams: DeviceStreams;
  readonly options?: Options;
  /**
   * Runs once per period with that period's captured `inputs` and the `outputs` to render, on
   * this thread: the virtual card only. Give either `process` or `processor`.
   */
  readonly process?: ProcessCallback;
  /**
   * A processor module (ProcessorSpec: its default export makes a processor whose
   * `process(inputs, outputs, info)` runs once per period): on a device's own worker thread
   * where the backend has one (JACK), on this thread otherwise.
   */
  readonly processor?: ProcessorSpec;
}

export interface DuplexStream {
  readonly device: AudioDevice;
  /** Stops the clock and releases the device (recordings flushed). Idempotent. */
  close(): Promise<void>;
}

/** Starts the device with the app's callback or processor module. */
async function startDevice(
  device: AudioDevice,
  options: DuplexStreamOptions<unknown>,
): Promise<void> {
  const { process, processor } = options;
  if ((process === undefined) === (processor === undefined)) {
    throw new AudioError('BAD_OPTION', 'a duplex stream needs either `process` or `processor`');
  }
  if (processor === undefined) return device.start(process!);
  if (device.startProcessor !== undefined) return device.startProcessor(processor);
  const loaded = await loadProcessor(processor, {
    inputs: device.streams.inputs,
    outputs: device.streams.outputs,
    sampleRate: device.sampleRate,
    periodFrames: device.periodFrames,
    options: processor.options,
  });
  device.start((inputs, outputs, info) => loaded.process(inputs, outputs, info));
}

/**
 * A duplex stream, after the cpal duplex-stream proposal: capture and playback on one clock, so
 * the callback gets the inputs captured and the outputs to play for the same period, with its
 * frame index and input and output timestamps in `info`. A backend that cannot run both
 * directions on one clock is refused with AudioError UNSUPPORTED rather than given two drifting
 * clocks. A device that cannot start is released before the error is thrown.
 */
export async function openDuplexStream<Options = Record<string, unknown>>(
  options: DuplexStreamOptions<Options>,
): Promise<DuplexStream> {
  const backend = (options.backend ?? virtualBackend) as AudioBackend<Options>;
  const { inputs, outputs } = options.streams;
  if (!backend.info.duplex && inputs.length > 0 && outputs.length > 0) {
    throw new AudioError(
      'UNSUPPORTED',
      `the ${backend.info.name} backend cannot capture and play on one clock: open its inputs and outputs as separate streams`,
    );
  }
  const device = await backend.open(options.streams, (options.options ?? {}) as Options);
  try {
    await startDevice(device, options);
  } catch (error) {
    await device.close().catch(() => undefined);
    throw error;
  }
  return { device, close: () => device.close() };
}
