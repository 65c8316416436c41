import type { DeviceStreams, SinkFailure } from '../backend.js';
import type { EngineStats, PeerSpec } from '../stream-engine.js';
import type { ProcessorSpec } from './processor.js';

/** Which backend the engine's worker opens, with its options (plain data: it crosses threads). */
export interface DeviceSpec {
  readonly backend: 'virtual';
  readonly streams: DeviceStreams;
  readonly options: Record<string, unknown>;
  /**
   * An app's processor between the peers and the device: it gets what the engine received (the
   * device's outputs, before they play) and writes what the engine sends (the device's inputs).
   */
  readonly processor?: ProcessorSpec;
}

export interface EngineWorkerData {
  readonly bind: { readonly address: string; readonly port: number };
  /** Largest datagram sent, header included (PROTOCOL.md §7.3). */
  readonly datagramBudgetBytes: number;
}

/** Main thread → worker: a request the worker answers once, with a reply carrying its id. */
export type EngineRequest =
  | { readonly type: 'open-device'; readonly device: DeviceSpec }
  | { readonly type: 'add-peer'; readonly peer: PeerSpec }
  | { readonly type: 'send'; readonly peer: string; readonly enabled: boolean }
  | { readonly type: 'stats' }
  | { readonly type: 'close' };

/** What each request resolves to. */
export interface EngineResults {
  'open-device': { readonly sampleRate: number; readonly periodFrames: number };
  'add-peer': undefined;
  send: undefined;
  stats: EngineStats;
  close: undefined;
}

/** Main thread → worker: a numbered request, or a notice that is never answered (it can't fail). */
export type EngineCommand =
  | (EngineRequest & { readonly id: number })
  | { readonly type: 'remove-peer'; readonly peer: string };

/** Worker → main thread. */
export type EngineEvent =
  /** Once, at start: the socket is bound. */
  | { readonly type: 'ready'; readonly port: number }
  /** Once, at start, instead of 'ready'. */
  | { readonly type: 'failed'; readonly code: string; readonly message: string }
  /** The answer to request `id`. */
  | { readonly type: 'done'; readonly id: number; readonly result: unknown }
  /** Request `id` failed: the error's class name, code and one-sentence message. */
  | {
      readonly type: 'error';
      readonly id: number;
      readonly name: string;
      readonly code: string;
      readonly message: string;
    }
  /** Any time after open-device: a WAV sink stopped on a write failure; the device runs on. */
  | { readonly type: 'sink-failed'; readonly failure: SinkFailure }
  /** Any time after open-device: the app's processor threw; it runs no more, silence is sent. */
  | { readonly type: 'processor-failed'; readonly message: string };
