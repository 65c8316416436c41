import type { PeerSpec } from '@syfala/audio';
import type { Format } from '@syfala/proto';

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
