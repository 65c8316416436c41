import { isAbsolute } from 'node:path';
import type { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { AudioEngine, type EngineStats } from '@syfala/audio';
import type { ConnectTarget, PskInput, ServerOffer } from '@syfala/network';
import type { Format } from '@syfala/proto';
import type { ConcealmentMode } from '@syfala/dataplane';
import { BlockStreams, type Block, type RingStats } from './block-streams.js';
import { RemoteError } from './errors.js';
import { DEFAULT_TARGET_LATENCY_FRAMES, type Playout } from './playout.js';
import type { RingSetup } from './ring-layout.js';
import { clientDeviceStreams } from './routes.js';
import { openSession, type SessionOutcome } from './session.js';

/**
 * Streams mode's processor, built beside this module. Named from the package root, so it is found
 * from src/ (tests run the sources) as from dist/: the engine's worker always runs the build.
 */
const RING_PROCESSOR = new URL('../dist/ring-processor.js', import.meta.url).href;
const DEFAULT_LATENCY_FRAMES = 4800;
const MAX_FRAMES = 2 ** 20;

export interface RemoteStreamOptions {
  /** Pre-shared key, when the endpoint asks for one. */
  readonly psk?: PskInput;
  /**
   * Offer encrypted audio (docs/SECURITY.md; on by default): false for clear audio, e.g. with
   * an old endpoint that requires a pre-shared key.
   */
  readonly encryption?: boolean;
  /** Local address of the audio socket. Default: loopback for a loopback endpoint, else any. */
  readonly localAddress?: string;
  /**
   * Processor mode: an ES module (a file: URL, or a path) whose default export makes the
   * processor that runs on the engine's thread (ProcessorFactory in @syfala/audio). Without it:
   * streams mode, `received` and `sent`.
   */
  readonly processor?: string | URL;
  /** Handed to the processor's factory as `setup.options` (structured-clonable). */
  readonly processorOptions?: unknown;
  /**
   * Streams mode: frames each ring holds between the engine and the main thread (rounded up to a
   * power of two in samples), so how late `received` may be read before frames are dropped, and
   * how far ahead `sent` may be written. Default 4800 (100 ms at 48 kHz).
   */
  readonly latencyFrames?: number;
  /** Streams mode: the most frames one block of `received` holds. Default: a period. */
  readonly blockFrames?: number;
  /** The device's period, frames. Default: the endpoint's first stream's, else 32. */
  readonly periodFrames?: number;
  /** Jitter-buffer target for what is received. Default: 480 frames, played straight. */
  readonly playout?: Playout;
  /** What plays where received audio is missing: 'fade' (default) or 'silence'. */
  readonly concealment?: ConcealmentMode;
}

export interface RemoteStreamStats {
  readonly engine: EngineStats;
  /** Streams mode: what the rings lost. */
  readonly rings?: RingStats;
}

/** A remote endpoint's streams, open as this app's own device and running. */
export interface RemoteStream {
  readonly offer: ServerOffer;
  /** Whether the audio is encrypted both ways (docs/SECURITY.md): both sides offered it. */
  readonly encrypted: boolean;
  /** What arrives: the endpoint's inputs, as the app sees them (Float32, the device's rate). */
  readonly received: readonly Format[];
  /** What the app sends: the endpoint's outputs. */
  readonly sent: readonly Format[];
  readonly sampleRate: number;
  readonly periodFrames: number;
  /**
   * Settles once everything is stopped and released, with why: close() ('closed'), the session
   * ended on its own ('ended': the endpoint stopped, a timeout), or this side failed ('failed':
   * the processor threw, AudioError PROCESSOR_FAILED). It never rejects.
   */
  readonly ended: Promise<SessionOutcome>;
  stats(): Promise<RemoteStreamStats>;
  /** Stops I/O, disconnects, releases the device. Idempotent. */
  close(): Promise<void>;
}

/** Streams mode's handle: blocks of the received streams, and a sink for what to send. */
export interface RemoteBlockStream extends RemoteStream {
  /**
   * The received streams, a Block per read (one interleaved Float32Array per stream, all holding
   * the same frames, up to `blockFrames`), from the first period on (silence until the
   * endpoint's audio arrives). Iterate it with `for await`. A reader that falls behind by more
   * than `latencyFrames` loses whole periods (counted: receiveOverrunFrames). It ends when the
   * stream stops.
   */
  readonly blocks: AsyncIterable<Block> & NodeJS.ReadableStream;
  /**
   * What to send: a Block per write (a bare Float32Array with one sent stream), whole frames.
   * A write calls back once it is all in the ring, so writes are paced by the device's clock.
   * Once the first write is in, a period the ring cannot fill is sent padded with silence
   * (counted: sendUnderrunFrames). Once the stream stops it is destroyed: what was not yet in
   * the ring is dropped, and later writes call back with ERR_STREAM_DESTROYED.
   */
  readonly output: Writable;
}

/**
 * Connects to an endpoint (an address, or one discovery found), opens its streams as this app's
 * own device (the virtual card: its clock, no sources or sinks), and starts I/O. With `processor`,
 * the app's processor gets each period on the engine's thread; without, `blocks` and `output` carry
 * the audio to and from the main thread.
 */
export function openRemoteStream(
  target: ConnectTarget,
  options: RemoteStreamOptions & { readonly processor: string | URL },
): Promise<RemoteStream>;
export function openRemoteStream(
  target: ConnectTarget,
  options?: RemoteStreamOptions,
): Promise<RemoteBlockStream>;
export async function openRemoteStream(
  target: ConnectTarget,
  options: RemoteStreamOptions = {},
): Promise<RemoteStream | RemoteBlockStream> {
  const latencyFrames = frames(options.latencyFrames, 'latencyFrames', DEFAULT_LATENCY_FRAMES);
  const processor = options.processor === undefined ? undefined : moduleUrl(options.processor);
  let rings: BlockStreams | undefined;
  let engine: AudioEngine | undefined;
  const session = await openSession(target, {
    playout: options.playout ?? {
      latency: DEFAULT_TARGET_LATENCY_FRAMES,
      driftCompensation: false,
    },
    ...(options.psk !== undefined && { psk: options.psk }),
    ...(options.encryption !== undefined && { encryption: options.encryption }),
    ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
    ...(options.concealment !== undefined && { concealment: options.concealment }),
    startEngine: async (bind) => {
      const started = await AudioEngine.start({ bind });
      engine = started;
      return {
        engine: started,
        processorFailed: started.processorFailed,
        openDevice: async (streams) => {
          let setup: RingSetup | undefined;
          if (processor === undefined) {
            checkOneRate(streams.outputs, 'receives');
            checkOneRate(streams.inputs, 'takes');
            const period =
              options.periodFrames ?? (streams.outputs[0] ?? streams.inputs[0])?.bufferFrames;
            rings = new BlockStreams(
              { received: streams.outputs, sent: streams.inputs },
              latencyFrames,
              frames(options.blockFrames, 'blockFrames', period || 32),
              pollInterval(latencyFrames, streams.outputs[0]?.sampleRate ?? 48_000),
            );
            setup = rings.setup;
          }
          await started.openDevice({
            backend: 'virtual',
            streams,
            options: {
              sources: streams.inputs.map(() => ({ kind: 'silence' })),
              ...(options.periodFrames !== undefined && { periodFrames: options.periodFrames }),
            },
            processor:
              processor === undefined
                ? { module: RING_PROCESSOR, options: setup }
                : { module: processor, options: options.processorOptions },
          });
        },
      };
    },
  }).catch((error: unknown) => {
    rings?.end();
    throw error;
  });
  // The session stops itself when it ends or fails; `ended` waits until all is released.
  const ended = session.outcome.then(async (outcome) => {
    await session.close().catch(() => undefined);
    rings?.end();
    return outcome;
  });
  const device = engine!.device!;
  const streams = clientDeviceStreams(session.formats);
  const stream: RemoteStream = {
    offer: session.offer,
    encrypted: session.encrypted,
    received: streams.outputs,
    sent: streams.inputs,
    sampleRate: device.sampleRate,
    periodFrames: device.periodFrames,
    ended,
    stats: async () => ({
      engine: await session.stats(),
      ...(rings !== undefined && { rings: rings.stats() }),
    }),
    close: async () => {
      await session.close();
      await ended;
    },
  };
  if (rings === undefined) return stream;
  return { ...stream, blocks: rings.received, output: rings.sent };
}

/** A whole number of frames from 1, or the default. */
function frames(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_FRAMES) {
    throw new RemoteError(
      'BAD_OPTION',
      `${name} must be a whole number of frames from 1 to ${MAX_FRAMES}, got ${String(value)}`,
    );
  }
  return value;
}

function moduleUrl(processor: string | URL): string {
  if (processor instanceof URL) return processor.href;
  if (isAbsolute(processor)) return pathToFileURL(processor).href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(processor)) return processor;
  throw new RemoteError(
    'BAD_OPTION',
    `processor must be a URL or an absolute path (new URL('./my-processor.js', import.meta.url)), got ${JSON.stringify(processor)}`,
  );
}

/** Blocks at two rates could not hold the same frames of each: a processor sees each period. */
function checkOneRate(formats: readonly Format[], verb: string): void {
  const rates = new Set(formats.map((format) => format.sampleRate));
  if (rates.size > 1) {
    throw new RemoteError(
      'UNSUPPORTED',
      `the endpoint ${verb} streams at ${[...rates].join(' and ')} Hz: blocks need one rate; use a processor`,
    );
  }
}

/** Polls the rings four times per ring's length, at least every 20 ms and at most every 1 ms. */
function pollInterval(latencyFrames: number, sampleRate: number): number {
  return Math.min(20, Math.max(1, (latencyFrames * 1000) / sampleRate / 4));
}
