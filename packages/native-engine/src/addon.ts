import type { EngineStats, PeerSpec } from '@syfala/audio';

/** What a JACK server reports of itself: its clock, and the ports that are the sound card. */
export interface JackServerInfo {
  readonly sampleRate: number;
  readonly periodFrames: number;
  /** Ports that capture (JACK output ports, e.g. system:capture_1). */
  readonly physicalCapture: readonly string[];
  /** Ports that play (JACK input ports, e.g. system:playback_1). */
  readonly physicalPlayback: readonly string[];
}

/** One CoreAudio device, as `syfala devices` lists it. */
export interface CoreAudioDevice {
  /** Stable across reboots and ports: the name to put in scripts. */
  readonly uid: string;
  readonly name: string;
  readonly inputChannels: number;
  readonly outputChannels: number;
  /** The device's nominal rate. */
  readonly sampleRate: number;
  /** Its I/O buffer size. */
  readonly periodFrames: number;
  readonly defaultInput: boolean;
  readonly defaultOutput: boolean;
}

/** A device's channel layout as the addon takes it: channels per stream, and their one rate. */
export interface DeviceLayout {
  /** Channels of each stream the device captures (sends) and plays (receives). */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /**
   * The streams' rate: a device at another rate is refused (FORMAT_MISMATCH), unless the
   * backend's options say it may resample (JACK's `resample`).
   */
  readonly sampleRate?: number;
}

/** What the addon does without a field is the default (convert.cpp, jack_options.hpp). */
export interface NativeJackOptions extends DeviceLayout {
  readonly server?: string;
  readonly clientName: string;
  /** Default 'in' and 'out' (jack_options.hpp has the naming). */
  readonly inputPrefix?: string;
  readonly outputPrefix?: string;
  /** JACK metadata's pretty name of the client, and of its ports after it. Default: none. */
  readonly prettyName?: string;
  /** Default: none named (the physical ports, with autoConnect). */
  readonly connectInputsFrom?: readonly string[];
  readonly connectOutputsTo?: readonly string[];
  /** Default true. */
  readonly autoConnect?: boolean;
  /**
   * Accept a server at another rate than `sampleRate`: every peer must then have
   * `driftCompensation`, which resamples (addPeer refuses one without, FORMAT_MISMATCH).
   * Default false.
   */
  readonly resample?: boolean;
}

export interface NativeCoreAudioOptions extends DeviceLayout {
  /** A device UID or name; absent: the system's default. */
  readonly inputDevice?: string;
  readonly outputDevice?: string;
  /** Device channels (from 1) the streams use, in order; absent: the first ones. */
  readonly inputChannels?: readonly number[];
  readonly outputChannels?: readonly number[];
  /** Asks the device for this I/O buffer size. */
  readonly periodFrames?: number;
}

/** An open device: its name, clock and the names of the channels in use. */
export interface NativeDeviceInfo {
  readonly name: string;
  readonly sampleRate: number;
  readonly periodFrames: number;
  readonly inputPorts: readonly string[];
  readonly outputPorts: readonly string[];
}

/** The C++ engine: its socket, and at most one device driving process(), which reads it. */
export interface NativeEngine {
  readonly port: number;
  /** The device's clock now; undefined before a device is open. */
  clock(): { sampleRate: number; periodFrames: number } | undefined;
  openJack(options: NativeJackOptions, onEvent: (flags: number) => void): NativeDeviceInfo;
  openCoreAudio(
    options: NativeCoreAudioOptions,
    onEvent: (flags: number) => void,
  ): NativeDeviceInfo;
  /**
   * Streams with a peer. `concealment` ('fade' by default, or 'silence'), `driftCompensation`
   * and `adaptiveLatency` (which needs it) mean what they do in the TS engine; with drift
   * compensation a stream may also run at another rate than the device (resampled both ways).
   * Throws BAD_OPTION, or FORMAT_MISMATCH for a stream the device cannot play.
   */
  addPeer(peer: PeerSpec): void;
  setSending(id: string, enabled: boolean): void;
  removePeer(id: string): boolean;
  stats(): EngineStats;
  /**
   * Stops and frees everything; false when the device could not be freed: a JACK client whose
   * close did not return in 2 s (a jack2 race) is left to its server, which drops it when this
   * process exits.
   */
  close(): boolean;
}

/** Device event bits, as passed to onEvent. */
export interface DeviceEventBits {
  readonly xrun: number;
  readonly shutdown: number;
  readonly sampleRate: number;
  readonly bufferSize: number;
}

/** A JACK duplex stream's counters (DuplexBridge, native/src/engine/duplex_bridge.hpp). */
export interface NativeDuplexStats {
  /** Periods JACK ran the client. */
  readonly periods: number;
  /** JACK's xruns, server-wide. */
  readonly xruns: number;
  /** Captured periods dropped: the worker was kDuplexRingPeriods (16) periods behind. */
  readonly inputOverflows: number;
  /** Periods played as silence: their output was not back in time. */
  readonly outputUnderflows: number;
  /** Outputs that came back after their turn, dropped. */
  readonly lateOutputs: number;
  /** Periods of another size than at open (JACK's buffer size changed), played as silence. */
  readonly resizedPeriods: number;
}

/**
 * The JACK duplex stream's functions, by stream id. The main thread opens, starts, reads stats
 * and closes; the worker thread takes each captured period and gives back its output.
 */
export interface NativeJackDuplex {
  openJackDuplex(options: NativeJackOptions): NativeDeviceInfo & { readonly id: number };
  jackDuplexStart(id: number): void;
  /**
   * Waits up to timeoutMs for the next captured period: its streams, one after another, each
   * interleaved, into `inputs`, and into `stamp` its index, frame index, cycle start (ns), JACK's
   * period (ns) and the time now (ns, CLOCK_MONOTONIC). 1: a period, 0: timeout, −1: closed.
   */
  jackDuplexTake(id: number, inputs: Float32Array, stamp: Float64Array, timeoutMs: number): number;
  /** Queues period `index`'s output (laid out as take's inputs); false once closed or full. */
  jackDuplexGive(id: number, index: number, outputs: Float32Array): boolean;
  /** undefined once closed. */
  jackDuplexStats(id: number): NativeDuplexStats | undefined;
  /** Deactivates the client and ends the worker's take(); idempotent. */
  jackDuplexClose(id: number): void;
}

export interface NativeAddon extends NativeJackDuplex {
  /** Whether this build links libjack. */
  readonly jackAvailable: boolean;
  /** Whether this build has the CoreAudio layer (macOS builds only). */
  readonly coreAudioAvailable: boolean;
  readonly events: DeviceEventBits;
  readonly Engine: new (options: {
    address: string;
    port: number;
    /** 'auto': each peer's from the MTU of the route to it. */
    datagramBudgetBytes: number | 'auto';
  }) => NativeEngine;
  /** keepFor: the client stays open under that name for the JACK device so named, which takes it. */
  probeJack(server?: string, keepFor?: string): JackServerInfo;
  coreAudioDevices(): CoreAudioDevice[];
}
