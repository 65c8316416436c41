import type { Format } from '@syfala/proto';
import type { ProcessorSpec } from './engine/processor.js';

/**
 * One device's streams as the device sees them: `inputs` are captured (device → network),
 * `outputs` are played (network → device). Devices work in Float32, interleaved per stream;
 * wire sample types are the engine's business.
 */
export interface DeviceStreams {
  readonly inputs: readonly Format[];
  readonly outputs: readonly Format[];
}

/** Timing of one period, on the device's clock (after the cpal duplex proposal). */
export interface PeriodInfo {
  /** Frames the device clock has run before this period, at `sampleRate`. */
  readonly frameIndex: number;
  /** The device clock's rate, frames per second. */
  readonly sampleRate: number;
  /** When the first input frame of this period was captured, device clock, nanoseconds. */
  readonly inputTimeNs: number;
  /** When the first output frame of this period will be played, device clock, nanoseconds. */
  readonly outputTimeNs: number;
  /**
   * How long after its capture completed this callback runs, device clock, nanoseconds: 0 for a
   * card that calls on time; a software clock that fell behind catches up with late callbacks,
   * and a jitter buffer pulled late looks fuller than it is.
   */
  readonly lateNs: number;
}

/**
 * Called once per period on the device's own thread. `inputs[i]` holds stream i's captured
 * frames and `outputs[i]` must be filled with stream i's frames to play, interleaved Float32, each
 * sized `frames × channels` for its stream (streams of other rates get their share of the period).
 * Outputs arrive zeroed, so a callback may mix into them.
 * It must not block, allocate per call, or throw.
 */
export type ProcessCallback = (
  inputs: readonly Float32Array[],
  outputs: readonly Float32Array[],
  info: PeriodInfo,
) => void;

export interface DeviceStats {
  /** Periods the device ran. */
  periods: number;
  /**
   * Times the device fell behind (JACK's xrun callback, CoreAudio's overloads, the virtual card's
   * stalls), each counted once however many periods it delayed.
   */
  xruns: number;
}

/**
 * A WAV sink that stopped for good while the device's clock runs on: its file system refused a
 * write (a full disk). The file is finalised for what reached it. Plain data: it crosses threads.
 */
export interface SinkFailure {
  /** The output stream it recorded. */
  readonly output: number;
  readonly path: string;
  /** Frames the file holds: those written before the failure. */
  readonly savedFrames: number;
  /** The system's error: "ENOSPC: no space left on device, write". */
  readonly reason: string;
}

/** One sentence for a sink failure: the file, the system's error, and what the file keeps. */
export function describeSinkFailure(failure: SinkFailure): string {
  return (
    `cannot write ${failure.path}: ${failure.reason} ` +
    `(the file keeps the ${failure.savedFrames} frames written before)`
  );
}

/** An open device: formats fixed, clock not yet running. */
export interface AudioDevice {
  readonly streams: DeviceStreams;
  /** The device clock's rate and period. */
  readonly sampleRate: number;
  readonly periodFrames: number;
  /**
   * Starts the clock: `process` runs once per period until stop(). `onSinkFailed` hears of each
   * sink that stops on a write failure, once its file is finalised; without it, close() rejects
   * with the first such failure.
   */
  start(process: ProcessCallback, onSinkFailed?: (failure: SinkFailure) => void): void;
  /**
   * Starts the clock with a processor module run on the device's own worker thread (a device
   * whose periods are timed by another process, as JACK's are, cannot call a main-thread
   * function in time). Resolves once the module is loaded and the clock runs; rejects with a
   * PROCESSOR_FAILED error, device stopped, when the module cannot be loaded. A device without
   * it runs the module's processor through start().
   */
  startProcessor?(spec: ProcessorSpec): Promise<void>;
  /**
   * Whether input `index` is being captured for anyone (default: every input is). A device whose
   * inputs are generated (the virtual card's tones and files) advances a source only while it is
   * captured, and hands silence otherwise, so a file reaches the network from its first frame
   * however long the session took to start; a live card ignores this.
   */
  setCapturing?(index: number, capturing: boolean): void;
  /** Stops the clock; resolves once no callback runs any more. Idempotent. */
  stop(): Promise<void>;
  stats(): DeviceStats;
  /**
   * Releases the device (files flushed and closed); stops it first if running. Idempotent;
   * rejects with the first file that failed (unless onSinkFailed was told of it).
   */
  close(): Promise<void>;
}

export interface BackendInfo {
  /** 'virtual', 'jack', 'coreaudio'. */
  readonly name: string;
  /** Whether one device can capture and play on one clock (PROTOCOL/cpal duplex semantics). */
  readonly duplex: boolean;
}

/** What every backend implements: the virtual card here, JACK and CoreAudio over native code. */
export interface AudioBackend<Options = unknown> {
  readonly info: BackendInfo;
  /** Opens a device with these streams; rejects with a typed SyfalaError when it can't. */
  open(streams: DeviceStreams, options: Options): Promise<AudioDevice>;
}
