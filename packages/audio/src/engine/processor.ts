import type { Format } from '@syfala/proto';
import type { PeriodInfo } from '../backend.js';
import { AudioError } from '../errors.js';

/**
 * An app's processor, named by module when the engine's device opens: it runs on the engine's
 * own thread (its worker), once per period, between receiving and sending, so what it writes
 * leaves in the same period.
 */
export interface ProcessorSpec {
  /** URL of an ES module (file: URL, or anything `import()` takes) whose default export is a ProcessorFactory. */
  readonly module: string;
  /** Handed to the factory as `setup.options`: structured-clonable (SharedArrayBuffers stay shared). */
  readonly options?: unknown;
}

/** What a processor's factory learns of the session, once, before the first period. */
export interface ProcessorSetup {
  /** The streams received from the peer, as the processor's inputs: Float32, device rate. */
  readonly inputs: readonly Format[];
  /** The streams sent to the peer, as the processor's outputs. */
  readonly outputs: readonly Format[];
  /** The device clock's rate, Hz, and its period, frames. */
  readonly sampleRate: number;
  readonly periodFrames: number;
  /** ProcessorSpec.options, as given. */
  readonly options: unknown;
}

/**
 * Runs once per period on the engine's thread. `inputs[i]` holds received stream i's frames,
 * `outputs[i]` is what goes out on sent stream i, interleaved Float32 (`frames × channels`);
 * outputs arrive zeroed. The arrays are reused every period and must not be kept. It must not
 * block, allocate per call, or log; a throw stops the processor for good: what it sends turns
 * to silence and the main thread hears of it (AudioError PROCESSOR_FAILED).
 */
export interface Processor {
  process(
    inputs: readonly Float32Array[],
    outputs: readonly Float32Array[],
    info: PeriodInfo,
  ): void;
}

/** A processor module's default export: allocate everything here, not in process(). */
export type ProcessorFactory = (setup: ProcessorSetup) => Processor | Promise<Processor>;

/** Imports the module and makes its processor; PROCESSOR_FAILED names the module otherwise. */
export async function loadProcessor(
  spec: ProcessorSpec,
  setup: ProcessorSetup,
): Promise<Processor> {
  const failed = (why: string, cause?: unknown): AudioError =>
    new AudioError('PROCESSOR_FAILED', `processor ${spec.module}: ${why}`, { cause });
  let loaded: { default?: unknown };
  try {
    loaded = (await import(spec.module)) as { default?: unknown };
  } catch (error) {
    throw failed(`cannot import it: ${(error as Error).message}`, error);
  }
  if (typeof loaded.default !== 'function') {
    throw failed('its default export must be a function that returns a processor');
  }
  let processor: unknown;
  try {
    processor = await (loaded.default as ProcessorFactory)(setup);
  } catch (error) {
    throw failed(`its factory threw: ${(error as Error).message}`, error);
  }
  if (typeof (processor as Partial<Processor> | undefined)?.process !== 'function') {
    throw failed('its factory must return an object with a process(inputs, outputs, info) method');
  }
  return processor as Processor;
}
