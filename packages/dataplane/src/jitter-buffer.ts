import { SAMPLE_TYPE_INFO, bytesPerFrame, makeFormat } from '@syfala/proto';
import type { Format } from '@syfala/proto';

import {
  ArgumentCopy,
  core,
  corePointer,
  coreView,
  heapF64,
  own,
  scratch,
  type CoreObject,
} from './core/wasm-core.js';
import { BoundsError, JitterBufferError, checkRange } from './errors.js';
import { JITTER_STATS_FIELDS, type JitterBufferStats } from './jitter-stats.generated.js';

export type { JitterBufferStats } from './jitter-stats.generated.js';

/** Concealed ranges remembered for `concealedRanges()` and for telling late from duplicate. */
export const CONCEALED_RANGE_HISTORY = core().concealed_range_history!();

export interface JitterBufferOptions {
  readonly format: Format;
  /** Frames the buffer holds ahead of the playhead; at least twice the target latency. */
  readonly capacityFrames: number;
  /** Frames buffered ahead of the playhead before playback starts; an integer ≥ 1. */
  readonly targetLatencyFrames: number;
  /**
   * Drop the surplus when the fill stays above the target (or the fill playback started with)
   * for SLIP_WINDOW_SECONDS (a faster sender). Default true; false when a DriftCompensatedStream resamples to hold the fill.
   */
  readonly skipSurplus?: boolean;
  /**
   * Conceal an underrun instead of priming again: a period due while playing that has not all
   * arrived plays what did arrive, the rest concealed and counted as lost, and the playhead moves
   * on (for a DriftCompensatedStream, which holds the fill, so that the latency stays at the
   * target). Until the sender is behind: an underrun right after a concealed one, with nothing
   * received past the playhead, primes again. A run that was only late then costs the periods
   * it spans and no latency; a sender that fell behind for good (it lost periods in an xrun, or
   * stopped) gets its latency back at once instead of every later run arriving late. Default
   * false.
   */
  readonly concealUnderruns?: boolean;
  /**
   * Within SLIP_WINDOW_SECONDS of priming again after an underrun, a missing run the playhead
   * reaches is skipped as far as the fill beyond it is above the target, the rest concealed: a
   * sender that stalled and lost the time sends a gap for it (docs/PROTOCOL.md §7.2) after this
   * buffer already waited the stall out priming, and playing the gap would be latency. For a
   * DriftCompensatedStream, whose resampler would otherwise draw it down over seconds. Default
   * false.
   */
  readonly skipCoveredGaps?: boolean;
}

/** Bytes around a pushed payload copied with it: a datagram's header and authentication tag. */
const DATAGRAM_SLACK_BYTES = 256;

/**
 * How long the fill is watched before surplus latency is dropped, in seconds of the stream: long
 * enough that arrival jitter has shown its low points, short enough to follow a drifting clock.
 */
export const SLIP_WINDOW_SECONDS = core().slip_window_seconds!();

/**
 * Runs in a row that land wholly past the buffer before the playhead jumps to them: the receiver
 * stalled longer than its capacity and the sender is that far ahead. More than one, so that one
 * corrupted byte index cannot throw the stream away.
 */
export const RESYNC_AFTER_RUNS = core().resync_after_runs!();

/** `priming`: waiting to reach the target latency, playing silence; `playing`: on the clock. */
export type JitterBufferState = 'priming' | 'playing';

/** What one `pull` did. The buffer reuses this object: read it before the next pull. */
export interface PullResult {
  /** False while priming: the period is silence and the playhead did not move. */
  playing: boolean;
  /** Bytes of this period that had not arrived and were replaced by silence. */
  concealedBytes: number;
  /**
   * The period was due but had not all arrived: silence played, the buffer primes again; or, with
   * `concealUnderruns` (and `playing` true), what arrived played and the rest concealed.
   */
  underrun: boolean;
  /** Frames skipped right after this period (a slip): the next period does not continue it. */
  skippedFrames: number;
}

/**
 * Receiver side of one audio stream (PROTOCOL.md §7.2): reassembles AUDI runs by byte index and
 * plays them out on the device's clock, concealing whatever is missing when due.
 *
 * It works on wire bytes; converting a pulled period to Float32 is the caller's business.
 *
 * Storage is a byte ring of `capacityFrames` frames, indexed by byte index modulo its size, and a
 * parallel flag per byte: 1 while a received byte waits to be played. Only the window
 * [playhead, playhead + capacity) is ever stored, and each slot belongs to exactly one byte index
 * of that window, so the flag alone tells a buffered byte from a missing one, and `pull` clears
 * it as it plays. Runs that ended before the playhead are classified against the history of
 * concealed ranges instead of per-byte stamps: every byte before the playhead was either
 * received or concealed, so a run is `late` exactly when it meets a concealed range. The ranges
 * are sorted (recorded in play order), so that is one binary search per late run, whatever its
 * length, and the history reaches back CONCEALED_RANGE_HISTORY loss events rather than only the
 * capacity's worth of bytes a per-slot stamp would keep before the slot is reused.
 *
 * Clocks: the sender's and the receiver's clocks never agree exactly. A slower sender drains the
 * buffer: when a period is due and has not all arrived, the buffer plays silence without moving
 * the playhead and primes again (an underrun; nothing is lost, the latency grows back to the
 * target); with `concealUnderruns` the missing part is concealed instead and the playhead moves
 * on, unless the period before was a concealed underrun too and nothing has arrived past the
 * playhead (a sender that lost periods, or stopped), which primes again. A faster sender fills it:
 * when its lowest fill over SLIP_WINDOW_SECONDS stays above the target (or above the fill the
 * stream first started with, when that was more), the surplus is skipped and the latency falls
 * back to it: a stream whose clocks agree is never skipped. A stalled sender's burst, piled up
 * while the buffer primed again, is skipped the same way. A receiver that stalled longer than its
 * capacity finds every new run past its window: after RESYNC_AFTER_RUNS of them in a row it jumps
 * to the newest and primes again (a resync), rather than overrun for ever.
 *
 * The buffer is the core's (native/src/core/jitter_buffer.hpp, compiled to WebAssembly): this
 * class checks its arguments and copies the bytes in and out. `push` and `pull` allocate nothing.
 */
export class JitterBuffer implements CoreObject {
  readonly [corePointer]: number;
  readonly #bytesPerFrame: number;
  readonly #capacityFrames: number;
  readonly #pullResult = new PullResultReader();
  readonly #payload = new ArgumentCopy<Uint8Array>();
  /** Views of the pulled bytes and missing-frame mask in the scratch block, kept (coreView). */
  #pulled: Uint8Array | undefined;
  #mask: Uint8Array | undefined;

  constructor({
    format,
    capacityFrames,
    targetLatencyFrames,
    skipSurplus = true,
    concealUnderruns = false,
    skipCoveredGaps = false,
  }: JitterBufferOptions) {
    // Any rate: the time windows scale with it, and tests and vectors run at a few hertz.
    const valid = makeFormat(format, 'any');
    checkTarget(targetLatencyFrames, Number.MAX_SAFE_INTEGER, 'an integer ≥ 1');
    if (!Number.isInteger(capacityFrames) || capacityFrames < 2 * targetLatencyFrames) {
      throw new JitterBufferError(
        'BAD_CAPACITY',
        `jitter buffer: capacity must be an integer of at least twice the target latency (${2 * targetLatencyFrames} frames), got ${String(capacityFrames)}`,
      );
    }
    this.#bytesPerFrame = bytesPerFrame(valid);
    // The core's limit: a quarter of its 32-bit address space.
    const maxCapacity = Math.floor(0x3fff_ffff / this.#bytesPerFrame);
    if (capacityFrames > maxCapacity) {
      throw new JitterBufferError(
        'BAD_CAPACITY',
        `jitter buffer: capacity must be at most ${maxCapacity} frames of this format, got ${capacityFrames}`,
      );
    }
    this.#capacityFrames = capacityFrames;
    const pointer = core().jitter_buffer_new!(
      valid.sampleRate,
      valid.channels,
      SAMPLE_TYPE_INFO[valid.sampleType].code,
      capacityFrames,
      targetLatencyFrames,
      skipSurplus ? 1 : 0,
      concealUnderruns ? 1 : 0,
      skipCoveredGaps ? 1 : 0,
    );
    this[corePointer] = pointer;
    own(this, () => core().jitter_buffer_free!(pointer));
  }

  get state(): JitterBufferState {
    return core().jitter_buffer_playing!(this[corePointer]) ? 'playing' : 'priming';
  }

  /**
   * Frames to buffer before playback starts, 1 to capacity / 2, and the fill a slip window must
   * stay above to skip its surplus. Changing it affects priming (now or after the next `reset()`)
   * and the next slip check; it never moves the playhead by itself.
   */
  get targetLatencyFrames(): number {
    return core().jitter_buffer_target_latency_frames!(this[corePointer]);
  }

  set targetLatencyFrames(frames: number) {
    const max = Math.floor(this.#capacityFrames / 2);
    checkTarget(frames, max, `an integer from 1 to ${max} (half the capacity)`);
    core().jitter_buffer_set_target_latency_frames!(this[corePointer], frames);
  }

  /**
   * Frames the device runs behind its own clock at the next pulls (its callbacks come late, as a
   * software clock's do when it catches up): the fill it sees is that much fuller than on time,
   * and that is no faster sender's surplus. Only the slip check uses it; default 0.
   */
  get lateFrames(): number {
    return core().jitter_buffer_late_frames!(this[corePointer]);
  }

  set lateFrames(frames: number) {
    if (!Number.isInteger(frames) || frames < 0) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `jitter buffer: late frames must be a whole number ≥ 0, got ${String(frames)}`,
      );
    }
    // Past 2^32 − 1 frames (a day at 48 kHz) no fill is left to discount either way.
    core().jitter_buffer_set_late_frames!(this[corePointer], Math.min(frames, 0xffff_ffff));
  }

  /** Frames between the playhead and the end of the furthest byte received (stats() allocates). */
  get bufferedFrames(): number {
    return core().jitter_buffer_buffered_frames!(this[corePointer]);
  }

  /**
   * Stores the run [byteIndex, byteIndex + length) taken from `payload` at `offset`: one AUDI
   * datagram's payload. Returns how many of its bytes were new and stored; the fate of the rest
   * is counted in `stats()`.
   */
  push(byteIndex: number, payload: Uint8Array, offset: number, length: number): number {
    checkRange('jitter buffer push: payload', payload.length, offset, length);
    if (!Number.isSafeInteger(byteIndex) || byteIndex < 0) {
      throw new JitterBufferError(
        'BAD_BYTE_INDEX',
        `jitter buffer push: byte index must be a non-negative safe integer, got ${String(byteIndex)}`,
      );
    }
    if (length === 0) return 0;
    // A datagram is copied whole, header and all: each is a new array, so a view of its payload
    // would be an allocation per datagram.
    const at =
      payload.length - length <= DATAGRAM_SLACK_BYTES
        ? this.#payload.copy(payload, 0, payload.length) + offset
        : this.#payload.copy(payload, offset, length);
    return core().jitter_buffer_push!(this[corePointer], byteIndex, at, length);
  }

  /**
   * Plays `frames` frames into `dst` at `offset`, on the device's clock. While priming this is
   * silence and the playhead stays; priming ends once the target (and at least this period) is
   * buffered. A period that has not all arrived when due is an underrun: silence, the playhead
   * stays, priming starts again; with `concealUnderruns` it plays as below, unless the period
   * before was a concealed underrun too and nothing has been received past the playhead. Otherwise the playhead advances by `frames`, and every byte of
   * the period that is missing (lost, or later than the data after it) is concealed with silence
   * and counted as lost. With `missing`, its first `frames` entries say which frames were (1) or
   * were not (0) concealed, for a LossConcealer; all 0 when the period did not play.
   */
  pull(
    dst: Uint8Array,
    offset: number,
    frames: number,
    missing?: Uint8Array,
  ): Readonly<PullResult> {
    if (!Number.isInteger(frames) || frames < 0) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `jitter buffer pull: expected a whole number of frames, got ${String(frames)}`,
      );
    }
    const length = frames * this.#bytesPerFrame;
    checkRange('jitter buffer pull: destination', dst.length, offset, length);
    if (missing !== undefined) {
      checkRange('jitter buffer pull: missing-frame mask', missing.length, 0, frames);
    }
    const at = scratch(length + frames);
    const mask = missing === undefined ? 0 : at + length;
    core().jitter_buffer_pull!(this[corePointer], at, frames, mask);
    this.#pulled = coreView(Uint8Array, this.#pulled, at, length);
    dst.set(this.#pulled, offset);
    if (missing !== undefined) {
      this.#mask = coreView(Uint8Array, this.#mask, mask, frames);
      missing.set(this.#mask);
    }
    return this.#pullResult.read();
  }

  /**
   * Empties the buffer for an I/O restart: byte indices start again at 0 and playback primes
   * again. Counters carry on; the concealed-range history starts afresh with the new indices.
   */
  reset(): void {
    core().jitter_buffer_reset!(this[corePointer]);
  }

  /**
   * The last CONCEALED_RANGE_HISTORY concealed byte ranges [start, end), oldest first; ranges
   * that touch are merged. For tests and statistics: this allocates.
   */
  concealedRanges(): Array<[number, number]> {
    const at = scratch(CONCEALED_RANGE_HISTORY * 16);
    const count = core().jitter_buffer_concealed_ranges!(
      this[corePointer],
      at,
      CONCEALED_RANGE_HISTORY,
    );
    const heap = heapF64();
    const ranges: Array<[number, number]> = [];
    for (let k = 0, i = at >> 3; k < count; k++, i += 2) ranges.push([heap[i]!, heap[i + 1]!]);
    return ranges;
  }

  stats(): JitterBufferStats {
    const at = scratch(JITTER_STATS_FIELDS.length * 8);
    core().jitter_buffer_stats!(this[corePointer], at);
    const heap = heapF64();
    return Object.fromEntries(
      JITTER_STATS_FIELDS.map((field, i) => [field, heap[(at >> 3) + i]!]),
    ) as unknown as JitterBufferStats;
  }
}

let pullResultAt = 0;

/**
 * What the core's pulls return (native/src/wasm/pull_result.hpp), read into one object reused
 * for every pull: for this package's wrappers of pulls, a JitterBuffer's and a
 * DriftCompensatedStream's.
 */
export class PullResultReader {
  readonly #result: PullResult = {
    playing: false,
    concealedBytes: 0,
    underrun: false,
    skippedFrames: 0,
  };

  /** What the last pull returned. */
  read(): Readonly<PullResult> {
    if (pullResultAt === 0) pullResultAt = core().pull_result!() >> 3;
    const heap = heapF64();
    const result = this.#result;
    result.playing = heap[pullResultAt] === 1;
    result.concealedBytes = heap[pullResultAt + 1]!;
    result.underrun = heap[pullResultAt + 2] === 1;
    result.skippedFrames = heap[pullResultAt + 3]!;
    return result;
  }
}

function checkTarget(frames: number, max: number, expected: string): void {
  if (!Number.isInteger(frames) || frames < 1 || frames > max) {
    throw new JitterBufferError(
      'BAD_TARGET_LATENCY',
      `jitter buffer: target latency must be ${expected} frames, got ${String(frames)}`,
    );
  }
}
