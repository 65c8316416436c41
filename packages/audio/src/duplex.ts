import type { AudioBackend, AudioDevice, DeviceStreams, ProcessCallback } from './backend.js';
import { AudioError } from './errors.js';
import { virtualBackend } from './virtual/index.js';

export interface DuplexStreamOptions<Options> {
  /** Default: the virtual card. */
  readonly backend?: AudioBackend<Options>;
  readonly streams: DeviceStreams;
  readonly options?: Options;
  /** Runs once per period with that period's captured `inputs` and the `outputs` to render. */
  readonly process: ProcessCallback;
}

export interface DuplexStream {
  readonly device: AudioDevice;
  /** Stops the clock and releases the device (recordings flushed). Idempotent. */
  close(): Promise<void>;
}

/**
 * A duplex stream, after the cpal duplex-stream proposal: capture and playback on one clock, so
 * `process` gets the inputs captured and the outputs to play for the same period, with its frame
 * index and input and output timestamps in `info`. A backend that cannot run both directions on
 * one clock is refused with AudioError UNSUPPORTED rather than given two drifting clocks.
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
  device.start(options.process);
  return { device, close: () => device.close() };
}
