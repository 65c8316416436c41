import type { EngineStats, PeerSpec } from '@syfala/audio';
import type {
  DeviceEventBits,
  JackServerInfo,
  NativeCoreAudioOptions,
  NativeDeviceInfo,
  NativeJackOptions,
} from './addon.js';

/** What the engine binds: its UDP socket (the addon's Engine options). */
export interface BindSpec {
  readonly address: string;
  readonly port: number;
  readonly datagramBudgetBytes: number | 'auto';
}

/** A device's clock. */
export interface DeviceClock {
  readonly sampleRate: number;
  readonly periodFrames: number;
}

/**
 * Parent → engine process: a request it answers once. `engine` numbers an Engine the process
 * holds (several may share it, as they would share the addon in one process).
 */
export type HostRequest =
  | { readonly op: 'bind'; readonly bind: BindSpec }
  | {
      readonly op: 'probeJack';
      readonly server: string | undefined;
      readonly keepFor: string | undefined;
    }
  | { readonly op: 'openJack'; readonly engine: number; readonly options: NativeJackOptions }
  | {
      readonly op: 'openCoreAudio';
      readonly engine: number;
      readonly options: NativeCoreAudioOptions;
    }
  | { readonly op: 'addPeer'; readonly engine: number; readonly peer: PeerSpec }
  | {
      readonly op: 'setSending';
      readonly engine: number;
      readonly peer: string;
      readonly enabled: boolean;
    }
  | { readonly op: 'removePeer'; readonly engine: number; readonly peer: string }
  | { readonly op: 'stats'; readonly engine: number }
  | { readonly op: 'close'; readonly engine: number };

/** What each request resolves to. */
export interface HostResults {
  bind: { readonly engine: number; readonly port: number };
  probeJack: JackServerInfo;
  openJack: NativeDeviceInfo;
  openCoreAudio: NativeDeviceInfo;
  addPeer: void;
  setSending: void;
  removePeer: boolean;
  stats: EngineStats;
  /** NativeEngine.close's answer: false when a JACK client was left open. */
  close: boolean;
}

/** What the addon in the engine process has. */
export interface HostCapabilities {
  readonly jackAvailable: boolean;
  readonly coreAudioAvailable: boolean;
  readonly events: DeviceEventBits;
}

/** Engine process → parent. */
export type HostEvent =
  /** Once, at start: the addon loaded. */
  | ({ readonly type: 'ready' } & HostCapabilities)
  /** Once, at start, instead of 'ready' (NativeAddonError's code); the process then exits. */
  | { readonly type: 'failed'; readonly code: string; readonly message: string }
  | { readonly type: 'done'; readonly id: number; readonly result: unknown }
  /** Request `id` failed: the addon's error code and one-sentence message. */
  | { readonly type: 'error'; readonly id: number; readonly code: string; readonly message: string }
  /** A device event of engine `engine`, with the device's clock after it. */
  | {
      readonly type: 'device';
      readonly engine: number;
      readonly flags: number;
      readonly clock: DeviceClock | undefined;
    };
