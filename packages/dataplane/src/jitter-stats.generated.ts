// Generated from native/src/core/jitter_stats_fields.hpp by scripts/jitter-stats.ts: do not edit.

/** Counters are cumulative over the buffer's life, across `reset()`; gauges are current. */
export interface JitterBufferStats {
  /** Stream bytes stored for playback, each counted once (duplicates and drops excluded). */
  readonly receivedBytes: number;
  /** Runs pushed (one per AUDI datagram), whatever became of them. */
  readonly datagrams: number;
  /** Bytes concealed with silence because they were not there when due. */
  readonly lostBytes: number;
  /** lostBytes in whole frames (rounded down: a run may end inside a frame). */
  readonly lostFrames: number;
  /** Runs dropped because they ended at or before the playhead and some of their range was concealed. */
  readonly late: number;
  /** Runs that added nothing: all their bytes had been received, whether played or still buffered. */
  readonly duplicate: number;
  /** Runs that started before the playhead and ended after it; only the part at or after it was kept. */
  readonly overlapTrimmed: number;
  /** Runs that reached past playhead + capacity; the part past it was dropped (see `resyncs`). */
  readonly overrunDatagrams: number;
  /** Bytes of those runs dropped past playhead + capacity. */
  readonly overrunBytes: number;
  /**
   * Pulls whose period had not all arrived when due; each starts priming again (no loss), or,
   * with `concealUnderruns`, plays on with the missing bytes concealed (counted in lostBytes).
   */
  readonly underruns: number;
  /** Frames of silence played while priming or priming again after an underrun (not loss). */
  readonly primingFrames: number;
  /**
   * Of those, the frames played after the stream had started (since the last `reset()`): due,
   * but nothing had arrived for them (an underrun, a sender that stopped or went silent, a
   * resync). With `lostFrames`, the frames played that never arrived.
   */
  readonly underrunFrames: number;
  /**
   * Frames dropped unplayed because the buffer held more than the target (or than the fill
   * playback started with) for a whole SLIP_WINDOW_SECONDS: the sender's clock runs faster.
   */
  readonly skippedFrames: number;
  /**
   * Jumps of the playhead to a run that landed wholly past the buffer, after RESYNC_AFTER_RUNS
   * such runs in a row (the receiver had stalled longer than its capacity). The frames jumped
   * over count as skipped, and those that had not arrived as lost; playback primes again.
   */
  readonly resyncs: number;
  /** Gauge: frames between the playhead and the end of the furthest byte received, ≥ 0. */
  readonly bufferedFrames: number;
  /** Gauge: frames buffered before playback starts (see JitterBuffer.targetLatencyFrames). */
  readonly targetLatencyFrames: number;
  /** Gauge: byte index of the next byte to play. */
  readonly playheadByte: number;
  /** Gauge: end of the furthest byte received (exclusive). */
  readonly highestByte: number;
}

/** JitterBufferStats' fields in the core's order: its snapshot's, the vectors' stats arrays'. */
export const JITTER_STATS_FIELDS = [
  'receivedBytes',
  'datagrams',
  'lostBytes',
  'lostFrames',
  'late',
  'duplicate',
  'overlapTrimmed',
  'overrunDatagrams',
  'overrunBytes',
  'underruns',
  'primingFrames',
  'underrunFrames',
  'skippedFrames',
  'resyncs',
  'bufferedFrames',
  'targetLatencyFrames',
  'playheadByte',
  'highestByte',
] as const satisfies readonly (keyof JitterBufferStats)[];
