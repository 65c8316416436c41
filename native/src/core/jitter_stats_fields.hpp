// The jitter buffer's statistics, written once: JitterStats, its snapshot, the addon's object,
// the WebAssembly export and the tests expand this list, and
// packages/dataplane/scripts/jitter-stats.ts turns it into the TS JitterBufferStats
// (packages/dataplane/src/jitter-stats.generated.ts). Each entry is a doc comment, then
// STORED(c_name, tsName) for a value JitterStats holds, or DERIVED(c_name, tsName) for one it
// computes with a method of that name; the order is the snapshot's, the vectors' and the TS's.
// Counters are cumulative over the buffer's life, across reset(); gauges are current.
#pragma once

// clang-format off
#define SYFALA_JITTER_STATS_FIELDS(STORED, DERIVED) \
  /** Stream bytes stored for playback, each counted once (duplicates and drops excluded). */ \
  STORED(received_bytes, receivedBytes) \
  /** Runs pushed (one per AUDI datagram), whatever became of them. */ \
  STORED(datagrams, datagrams) \
  /** Bytes concealed with silence because they were not there when due. */ \
  STORED(lost_bytes, lostBytes) \
  /** lostBytes in whole frames (rounded down: a run may end inside a frame). */ \
  DERIVED(lost_frames, lostFrames) \
  /** Runs dropped because they ended at or before the playhead and some of their range was concealed. */ \
  STORED(late, late) \
  /** Runs that added nothing: all their bytes had been received, whether played or still buffered. */ \
  STORED(duplicate, duplicate) \
  /** Runs that started before the playhead and ended after it; only the part at or after it was kept. */ \
  STORED(overlap_trimmed, overlapTrimmed) \
  /** Runs that reached past playhead + capacity; the part past it was dropped (see `resyncs`). */ \
  STORED(overrun_datagrams, overrunDatagrams) \
  /** Bytes of those runs dropped past playhead + capacity. */ \
  STORED(overrun_bytes, overrunBytes) \
  /** \
   * Pulls whose period had not all arrived when due; each starts priming again (no loss), or, \
   * with `concealUnderruns`, plays on with the missing bytes concealed (counted in lostBytes). \
   */ \
  STORED(underruns, underruns) \
  /** Frames of silence played while priming or priming again after an underrun (not loss). */ \
  STORED(priming_frames, primingFrames) \
  /** \
   * Of those, the frames played after the stream had started (since the last `reset()`): due, \
   * but nothing had arrived for them (an underrun, a sender that stopped or went silent, a \
   * resync). With `lostFrames`, the frames played that never arrived. \
   */ \
  STORED(underrun_frames, underrunFrames) \
  /** \
   * Frames dropped unplayed because the buffer held more than the target (or than the fill \
   * playback started with) for a whole SLIP_WINDOW_SECONDS: the sender's clock runs faster. \
   */ \
  STORED(skipped_frames, skippedFrames) \
  /** \
   * Jumps of the playhead to a run that landed wholly past the buffer, after RESYNC_AFTER_RUNS \
   * such runs in a row (the receiver had stalled longer than its capacity). The frames jumped \
   * over count as skipped, and those that had not arrived as lost; playback primes again. \
   */ \
  STORED(resyncs, resyncs) \
  /** Gauge: frames between the playhead and the end of the furthest byte received, ≥ 0. */ \
  STORED(buffered_frames, bufferedFrames) \
  /** Gauge: frames buffered before playback starts (see JitterBuffer.targetLatencyFrames). */ \
  STORED(target_latency_frames, targetLatencyFrames) \
  /** Gauge: byte index of the next byte to play. */ \
  STORED(playhead_byte, playheadByte) \
  /** Gauge: end of the furthest byte received (exclusive). */ \
  STORED(highest_byte, highestByte)
// clang-format on
