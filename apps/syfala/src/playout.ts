import type { StreamFormats } from '@syfala/proto';
import { DEFAULT_TARGET_LATENCY_FRAMES, type Latency, type Playout } from '@syfala/remote';
import type { Backend } from './backend-flags.js';
import { CliError } from './cli-error.js';
import { framesValue } from './option-values.js';

export {
  AUTO_INITIAL_PERIODS,
  DEFAULT_TARGET_LATENCY_FRAMES,
  peerPlayout,
  type Latency,
  type Playout,
} from '@syfala/remote';

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

/** `--latency`: 'auto' or a whole number of frames from 1 (480 or 480fr). */
export function latencyValue(value: unknown, name: string): Latency {
  return value === 'auto' ? value : framesValue(value, name, 1, MAX_LATENCY_FRAMES, 'auto');
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
