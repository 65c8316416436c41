import { createRequire } from 'node:module';
import type { EngineStats, PeerSpec } from '@syfala/audio';
import { INSTALL_HINT, JackError } from './errors.js';

/** What JACK reports of itself: its clock, and the ports that are the sound card. */
export interface JackServerInfo {
  readonly sampleRate: number;
  readonly periodFrames: number;
  /** Ports that capture (JACK output ports, e.g. system:capture_1). */
  readonly physicalCapture: readonly string[];
  /** Ports that play (JACK input ports, e.g. system:playback_1). */
  readonly physicalPlayback: readonly string[];
}

export interface NativeJackOptions {
  readonly server?: string;
  readonly clientName: string;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  readonly connectInputsFrom: readonly string[];
  readonly connectOutputsTo: readonly string[];
  readonly autoConnect: boolean;
  /** The streams' rate; the client is refused (FORMAT_MISMATCH) at a server of another rate. */
  readonly sampleRate?: number;
}

export interface NativeDeviceInfo {
  readonly name: string;
  readonly sampleRate: number;
  readonly periodFrames: number;
  readonly inputPorts: readonly string[];
  readonly outputPorts: readonly string[];
}

export interface NativeEngine {
  readonly port: number;
  /** The device's clock now; undefined before openJack. */
  clock(): { sampleRate: number; periodFrames: number } | undefined;
  openJack(options: NativeJackOptions, onEvent: (flags: number) => void): NativeDeviceInfo;
  addPeer(peer: PeerSpec): void;
  setSending(id: string, enabled: boolean): void;
  removePeer(id: string): boolean;
  stats(): EngineStats;
  close(): void;
}

export interface NativeAddon {
  readonly jackAvailable: boolean;
  readonly events: {
    readonly xrun: number;
    readonly shutdown: number;
    readonly sampleRate: number;
    readonly bufferSize: number;
  };
  readonly Engine: new (options: {
    address: string;
    port: number;
    datagramBudgetBytes: number;
  }) => NativeEngine;
  probeJack(server?: string): JackServerInfo;
}

let loaded: NativeAddon | undefined;

/** Loads the addon built at install time; NOT_INSTALLED, with what to install, when missing. */
export function nativeAddon(): NativeAddon {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    loaded = require('@syfala/native/build/Release/syfala_native.node') as NativeAddon;
  } catch (cause) {
    throw new JackError('NOT_INSTALLED', `the syfala native addon is not built: ${INSTALL_HINT}`, {
      cause,
    });
  }
  if (!loaded.jackAvailable) {
    throw new JackError('NOT_INSTALLED', `this build has no JACK support: ${INSTALL_HINT}`);
  }
  return loaded;
}

const NATIVE_CODES: readonly JackError['code'][] = [
  'NOT_INSTALLED',
  'SERVER_UNAVAILABLE',
  'PORT_FAILED',
  'FORMAT_MISMATCH',
  'BAD_OPTION',
  'BAD_STATE',
  'ENGINE_FAILED',
];

/** Native errors carry a `code`; map them to JackError codes, keeping the one-sentence message. */
export function jackError(error: unknown, fallback: JackError['code']): JackError {
  if (error instanceof JackError) return error;
  const { code, message } = error as { code?: string; message?: string };
  const known = new Set<string>(NATIVE_CODES);
  return new JackError(
    code && known.has(code) ? (code as JackError['code']) : fallback,
    message ?? String(error),
    {
      cause: error,
    },
  );
}
