import type { PeerSpec } from '@syfala/audio';
import type { Format, StreamFormats } from '@syfala/proto';
import type { Backend } from './backend-flags.js';
import { CliError } from './cli-error.js';

/**
 * The virtual card's jitter-buffer target: its clock is a Node timer that wakes in ~1 ms bursts,
 * so 10 ms at 48 kHz rides them out with a fixed target.
 */
export const DEFAULT_TARGET_LATENCY_FRAMES = 480;

/**
 * `--latency auto` starts from this many device periods, then the measured jitter sets the
 * target (raised at once, lowered slowly): one period for the datagrams of the period in flight,
 * one for the phase between the peer's callback and ours. Starting from a large target instead
 * would take the adapter tens of seconds to walk down.
 */
export const AUTO_INITIAL_PERIODS = 2;

/** A jitter-buffer target in frames, or 'auto': adapted to the measured jitter. */
export type Latency = 'auto' | number;

/** How received audio is played out: the target and whether the peer's clock is tracked. */
export interface Playout {
  readonly latency: Latency;
  /** Resample received streams to hold the buffer at the target whatever the clocks do. */
  readonly driftCompensation: boolean;
}

/**
 * What suits each backend: a real-time device (JACK, CoreAudio) has its own crystal, which
 * drifts from the peer's, and a steady period, so its target adapts down to what the jitter
 * allows; the virtual card's clock is the host's, like its peer's on the same host, and its
 * timer bursts want a fixed cushion.
 */
export function defaultPlayout(backend: Backend): Playout {
  return backend === 'virtual'
    ? { latency: DEFAULT_TARGET_LATENCY_FRAMES, driftCompensation: false }
    : { latency: 'auto', driftCompensation: true };
}

/** The largest target: a bound on the buffer's memory (a few times the target). */
const MAX_LATENCY_FRAMES = 2 ** 20;

/** `--latency`: 'auto' or a whole number of frames from 1. */
export function latencyValue(value: unknown, name: string): Latency {
  if (value === 'auto') return value;
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_LATENCY_FRAMES) {
    throw new CliError(
      `${name} must be auto or a number of frames from 1 to ${MAX_LATENCY_FRAMES}, got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  return n;
}

/** The flags as given (undefined: not given) and how the user wrote them, for the refusal. */
export interface PlayoutFlags {
  readonly latency: Latency | undefined;
  readonly driftCompensation: boolean | undefined;
  readonly names: { readonly latency: string; readonly driftCompensation: string };
}

/**
 * The flags over the backend's defaults. Refuses `auto` without drift compensation: played
 * straight, a jitter buffer only re-primes to its target on an underrun, so a target that adapts
 * needs the resampler to hold the fill there.
 */
export function resolvePlayout(backend: Backend, flags: PlayoutFlags): Playout {
  const defaults = defaultPlayout(backend);
  const playout = {
    latency: flags.latency ?? defaults.latency,
    driftCompensation: flags.driftCompensation ?? defaults.driftCompensation,
  };
  if (playout.latency === 'auto' && !playout.driftCompensation) {
    const { latency, driftCompensation } = flags.names;
    throw new CliError(
      flags.driftCompensation === false
        ? `${latency} auto needs drift compensation, but ${driftCompensation} turns it off (give ${latency} a number of frames instead)`
        : `${latency} auto needs drift compensation, off by default with --backend ${backend}: add ${driftCompensation}`,
    );
  }
  return playout;
}

/**
 * The PeerSpec fields for a playout on an open device. `auto` starts from AUTO_INITIAL_PERIODS
 * of the device's period, counted in the frames of the first received stream (its rate may
 * differ from the device's).
 */
export function peerPlayout(
  playout: Playout,
  device: { readonly sampleRate: number; readonly periodFrames: number },
  received: readonly Format[],
): Pick<PeerSpec, 'targetLatencyFrames' | 'driftCompensation' | 'adaptiveLatency'> {
  const { latency, driftCompensation } = playout;
  if (latency !== 'auto') return { targetLatencyFrames: latency, driftCompensation };
  const rate = received[0]?.sampleRate ?? device.sampleRate;
  const periodFrames = (device.periodFrames * rate) / device.sampleRate;
  return {
    targetLatencyFrames: Math.max(1, Math.round(AUTO_INITIAL_PERIODS * periodFrames)),
    driftCompensation,
    adaptiveLatency: true,
  };
}

/**
 * Refuses a sound card at another rate than the streams it carries without drift compensation:
 * only the resamplers that track the drift convert rates. `streams` and `card` name both sides
 * in the sentence ("Studio A streams", "the JACK server runs"); `drift` is the drift flag as
 * given, or undefined when it was not.
 */
export function checkDeviceRate(
  formats: StreamFormats,
  deviceSampleRate: number | undefined,
  playout: Playout,
  words: { readonly streams: string; readonly card: string; readonly drift: string | undefined },
): void {
  if (deviceSampleRate === undefined || playout.driftCompensation) return;
  const other = [...formats.inputs, ...formats.outputs].find(
    (format) => format.sampleRate !== deviceSampleRate,
  );
  if (other === undefined) return;
  throw new CliError(
    `${words.streams} at ${other.sampleRate} Hz and ${words.card} at ${deviceSampleRate} Hz: ` +
      `converting takes drift compensation (${words.drift === undefined ? 'add --drift-compensation' : `drop ${words.drift}`})`,
  );
}
