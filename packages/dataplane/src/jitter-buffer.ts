import { SAMPLE_TYPE_INFO, bytesPerFrame, makeFormat } from '@syfala/proto';
import type { Format } from '@syfala/proto';

import { BoundsError, JitterBufferError, checkRange } from './errors.js';

/** Concealed ranges remembered for `concealedRanges()` and for telling late from duplicate. */
export const CONCEALED_RANGE_HISTORY = 1024;

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
}

/**
 * How long the fill is watched before surplus latency is dropped, in seconds of the stream: long
 * enough that arrival jitter has shown its low points, short enough to follow a drifting clock.
 */
export const SLIP_WINDOW_SECONDS = 0.5;

/**
 * Runs in a row that land wholly past the buffer before the playhead jumps to them: the receiver
 * stalled longer than its capacity and the sender is that far ahead. More than one, so that one
 * corrupted byte index cannot throw the stream away.
 */
export const RESYNC_AFTER_RUNS = 4;

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
  readonly targetLatencyFrames: number;
  /** Gauge: byte index of the next byte to play. */
  readonly playheadByte: number;
  /** Gauge: end of the furthest byte received (exclusive). */
  readonly highestByte: number;
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
 * Everything is allocated in the constructor: `push` and `pull` allocate nothing.
 */
export class JitterBuffer {
  readonly #bytesPerFrame: number;
  readonly #capacityFrames: number;
  readonly #capacityBytes: number;
  readonly #data: Uint8Array;
  readonly #present: Uint8Array;
  /** One frame of the format's zero in wire bytes, the concealment pattern. */
  readonly #silentFrame: Uint8Array;
  readonly #pullResult: PullResult = {
    playing: false,
    concealedBytes: 0,
    underrun: false,
    skippedFrames: 0,
  };

  /** Concealed ranges [start, end), oldest first from `#rangeHead`, merged when contiguous. */
  readonly #rangeStarts = new Float64Array(CONCEALED_RANGE_HISTORY);
  readonly #rangeEnds = new Float64Array(CONCEALED_RANGE_HISTORY);
  #rangeHead = 0;
  #rangeCount = 0;
  /** End of the newest range evicted from the history; what came before is no longer known. */
  #forgottenBefore = 0;

  #targetLatencyFrames: number;
  readonly #skipSurplus: boolean;
  readonly #concealUnderruns: boolean;
  readonly #slipWindowFrames: number;
  /** Lowest fill (bytes) after a pull since the window began, and the frames pulled in it. */
  #lowestFill = Number.POSITIVE_INFINITY;
  #windowFrames = 0;
  /** Fill (bytes) after the first pull since the last reset: the latency playback started with. */
  #startFill = 0;
  #lateFrames = 0;
  #state: JitterBufferState = 'priming';
  #playhead = 0;
  #highest = 0;

  #receivedBytes = 0;
  #datagrams = 0;
  #lostBytes = 0;
  #late = 0;
  #duplicate = 0;
  #overlapTrimmed = 0;
  #overrunDatagrams = 0;
  #overrunBytes = 0;
  #underruns = 0;
  #primingFrames = 0;
  #underrunFrames = 0;
  /** The stream has played since the last reset: silence from now on is an underrun's. */
  #started = false;
  /** The last pull concealed an underrun (concealUnderruns): the next one may prime again. */
  #concealedLast = false;
  #skippedFrames = 0;
  #resyncs = 0;
  /** Runs in a row that landed wholly past the window (RESYNC_AFTER_RUNS). */
  #runsPastWindow = 0;

  constructor({
    format,
    capacityFrames,
    targetLatencyFrames,
    skipSurplus = true,
    concealUnderruns = false,
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
    this.#capacityFrames = capacityFrames;
    this.#capacityBytes = capacityFrames * this.#bytesPerFrame;
    this.#targetLatencyFrames = targetLatencyFrames;
    this.#skipSurplus = skipSurplus;
    this.#concealUnderruns = concealUnderruns;
    this.#slipWindowFrames = Math.ceil(valid.sampleRate * SLIP_WINDOW_SECONDS);
    this.#data = new Uint8Array(this.#capacityBytes);
    this.#present = new Uint8Array(this.#capacityBytes);

    // Signed and float zero is all zero bytes; unsigned zero is offset binary, 0x80 in the top
    // (last, little-endian) byte of each sample.
    const { bytes, kind } = SAMPLE_TYPE_INFO[valid.sampleType];
    this.#silentFrame = new Uint8Array(this.#bytesPerFrame);
    if (kind === 'unsigned') {
      for (let i = bytes - 1; i < this.#bytesPerFrame; i += bytes) this.#silentFrame[i] = 0x80;
    }
  }

  get state(): JitterBufferState {
    return this.#state;
  }

  /**
   * Frames to buffer before playback starts, 1 to capacity / 2, and the fill a slip window must
   * stay above to skip its surplus. Changing it affects priming (now or after the next `reset()`)
   * and the next slip check; it never moves the playhead by itself.
   */
  get targetLatencyFrames(): number {
    return this.#targetLatencyFrames;
  }

  set targetLatencyFrames(frames: number) {
    const max = Math.floor(this.#capacityFrames / 2);
    checkTarget(frames, max, `an integer from 1 to ${max} (half the capacity)`);
    this.#targetLatencyFrames = frames;
  }

  /**
   * Frames the device runs behind its own clock at the next pulls (its callbacks come late, as a
   * software clock's do when it catches up): the fill it sees is that much fuller than on time,
   * and that is no faster sender's surplus. Only the slip check uses it; default 0.
   */
  get lateFrames(): number {
    return this.#lateFrames;
  }

  set lateFrames(frames: number) {
    if (!Number.isInteger(frames) || frames < 0) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `jitter buffer: late frames must be a whole number ≥ 0, got ${String(frames)}`,
      );
    }
    this.#lateFrames = frames;
  }

  /** Frames between the playhead and the end of the furthest byte received (stats() allocates). */
  get bufferedFrames(): number {
    return Math.floor(Math.max(0, this.#highest - this.#playhead) / this.#bytesPerFrame);
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
    this.#datagrams++;
    let end = byteIndex + length;
    if (end <= this.#playhead) {
      if (this.#metConcealment(byteIndex, end)) this.#late++;
      else this.#duplicate++;
      return 0;
    }
    if (byteIndex >= this.#playhead + this.#capacityBytes) {
      if (++this.#runsPastWindow < RESYNC_AFTER_RUNS) {
        this.#overrunDatagrams++;
        this.#overrunBytes += length;
        return 0;
      }
      this.#resync(byteIndex);
    }
    this.#runsPastWindow = 0;
    const playhead = this.#playhead;
    let start = byteIndex;
    if (start < playhead) {
      start = playhead;
      this.#overlapTrimmed++;
    }
    const limit = playhead + this.#capacityBytes;
    if (end > limit) {
      this.#overrunDatagrams++;
      this.#overrunBytes += end - limit;
      end = limit;
    }

    const data = this.#data;
    const present = this.#present;
    const capacity = this.#capacityBytes;
    let slot = start % capacity;
    const srcEnd = offset + (end - byteIndex);
    let stored = 0;
    for (let src = offset + (start - byteIndex); src < srcEnd; src++) {
      if (present[slot] === 0) {
        data[slot] = payload[src]!;
        present[slot] = 1;
        stored++;
      }
      if (++slot === capacity) slot = 0;
    }
    if (stored === 0) this.#duplicate++;
    this.#receivedBytes += stored;
    if (end > this.#highest) this.#highest = end;
    return stored;
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
    const bpf = this.#bytesPerFrame;
    const length = frames * bpf;
    checkRange('jitter buffer pull: destination', dst.length, offset, length);
    if (missing !== undefined) {
      checkRange('jitter buffer pull: missing-frame mask', missing.length, 0, frames);
      missing.fill(0, 0, frames);
    }
    const playhead = this.#playhead;
    if (
      this.#state === 'priming' &&
      this.#highest - playhead < Math.max(this.#targetLatencyFrames * bpf, length)
    ) {
      return this.#playSilence(dst, offset, frames, false);
    }
    const underrun = this.#highest < playhead + length;
    if (underrun) {
      this.#underruns++;
      // Due but not all here: waiting costs latency, concealing would lose what is only late.
      // Concealing is what a resampler holding the fill wants, for a run that is only late.
      // A second in a row with nothing received past the playhead: the sender is behind (it lost
      // periods, or stopped), not late; concealing on would drop every run it sends as late.
      if (!this.#concealUnderruns || (this.#concealedLast && this.#highest <= playhead)) {
        this.#state = 'priming';
        this.#concealedLast = false;
        return this.#playSilence(dst, offset, frames, true);
      }
    }
    this.#concealedLast = underrun;
    const starting = this.#state === 'priming';
    const firstStart = !this.#started;
    this.#state = 'playing';
    this.#started = true;

    const data = this.#data;
    const present = this.#present;
    const capacity = this.#capacityBytes;
    const silent = this.#silentFrame;
    let slot = playhead % capacity;
    // The playhead only ever moves by whole frames from 0, so a frame starts at phase 0.
    let phase = 0;
    let frame = 0;
    let gapStart = -1;
    let concealed = 0;
    for (let i = 0; i < length; i++) {
      if (present[slot] === 1) {
        dst[offset + i] = data[slot]!;
        present[slot] = 0;
        if (gapStart >= 0) {
          this.#recordConcealed(gapStart, playhead + i);
          gapStart = -1;
        }
      } else {
        dst[offset + i] = silent[phase]!;
        concealed++;
        if (gapStart < 0) gapStart = playhead + i;
        if (missing !== undefined) missing[frame] = 1;
      }
      if (++slot === capacity) slot = 0;
      if (++phase === bpf) {
        phase = 0;
        frame++;
      }
    }
    if (gapStart >= 0) this.#recordConcealed(gapStart, playhead + length);
    this.#playhead = playhead + length;
    // Only the stream's first start keeps the fill it found. What piled up while priming again
    // after an underrun is a stalled sender's burst: latency nobody asked for, skipped at the end
    // of the window (priming started a fresh one).
    if (starting) this.#startFill = firstStart ? this.#highest - this.#playhead : 0;
    this.#lostBytes += concealed;
    const result = this.#pullResult;
    result.playing = true;
    result.concealedBytes = concealed;
    result.underrun = underrun;
    result.skippedFrames = this.#skipSurplus ? this.#watchFill(frames) : 0;
    return result;
  }

  /**
   * Empties the buffer for an I/O restart: byte indices start again at 0 and playback primes
   * again. Counters carry on; the concealed-range history starts afresh with the new indices.
   */
  reset(): void {
    this.#present.fill(0);
    this.#state = 'priming';
    this.#started = false;
    this.#concealedLast = false;
    this.#restartWindow();
    this.#runsPastWindow = 0;
    this.#playhead = 0;
    this.#highest = 0;
    this.#rangeHead = 0;
    this.#rangeCount = 0;
    this.#forgottenBefore = 0;
  }

  /**
   * The last CONCEALED_RANGE_HISTORY concealed byte ranges [start, end), oldest first; ranges
   * that touch are merged. For tests and statistics: this allocates.
   */
  concealedRanges(): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    for (let k = 0; k < this.#rangeCount; k++) {
      const at = (this.#rangeHead + k) % CONCEALED_RANGE_HISTORY;
      ranges.push([this.#rangeStarts[at]!, this.#rangeEnds[at]!]);
    }
    return ranges;
  }

  stats(): JitterBufferStats {
    const bpf = this.#bytesPerFrame;
    return {
      receivedBytes: this.#receivedBytes,
      datagrams: this.#datagrams,
      lostBytes: this.#lostBytes,
      lostFrames: Math.floor(this.#lostBytes / bpf),
      late: this.#late,
      duplicate: this.#duplicate,
      overlapTrimmed: this.#overlapTrimmed,
      overrunDatagrams: this.#overrunDatagrams,
      overrunBytes: this.#overrunBytes,
      underruns: this.#underruns,
      primingFrames: this.#primingFrames,
      underrunFrames: this.#underrunFrames,
      skippedFrames: this.#skippedFrames,
      resyncs: this.#resyncs,
      bufferedFrames: this.bufferedFrames,
      targetLatencyFrames: this.#targetLatencyFrames,
      playheadByte: this.#playhead,
      highestByte: this.#highest,
    };
  }

  /** A period of the format's zero while priming; the playhead stays. */
  #playSilence(
    dst: Uint8Array,
    offset: number,
    frames: number,
    underrun: boolean,
  ): Readonly<PullResult> {
    const silent = this.#silentFrame;
    const bpf = this.#bytesPerFrame;
    const length = frames * bpf;
    for (let i = 0, phase = 0; i < length; i++) {
      dst[offset + i] = silent[phase]!;
      if (++phase === bpf) phase = 0;
    }
    this.#primingFrames += frames;
    if (this.#started) this.#underrunFrames += frames;
    this.#restartWindow();
    const result = this.#pullResult;
    result.playing = false;
    result.concealedBytes = 0;
    result.underrun = underrun;
    result.skippedFrames = 0;
    return result;
  }

  /** Starts a new slip window: no fill seen, no frames pulled. */
  #restartWindow(): void {
    this.#lowestFill = Number.POSITIVE_INFINITY;
    this.#windowFrames = 0;
  }

  /**
   * Tracks the lowest fill after each played period; when a whole window never came down to the
   * target, or to the fill playback started with if that was more, the sender runs ahead of our
   * clock: skip back down to it. Returns the frames skipped. Playback can start above the target
   * (the data arrived in a burst): that is latency the stream was given, not a faster clock, and
   * skipping it would throw away audio that arrived in time.
   */
  #watchFill(frames: number): number {
    const fill = Math.max(
      0,
      this.#highest - this.#playhead - this.#lateFrames * this.#bytesPerFrame,
    );
    if (fill < this.#lowestFill) this.#lowestFill = fill;
    this.#windowFrames += frames;
    if (this.#windowFrames < this.#slipWindowFrames) return 0;
    const bpf = this.#bytesPerFrame;
    const surplus = this.#lowestFill - Math.max(this.#targetLatencyFrames * bpf, this.#startFill);
    const skipped = surplus > 0 ? Math.floor(surplus / bpf) : 0;
    if (skipped > 0) this.#skip(skipped * bpf);
    this.#restartWindow();
    return skipped;
  }

  /**
   * Jumps the playhead to the frame that holds `byteIndex`, past everything buffered, and primes
   * again from there.
   */
  #resync(byteIndex: number): void {
    const bpf = this.#bytesPerFrame;
    this.#skip(Math.floor(byteIndex / bpf) * bpf - this.#playhead);
    this.#highest = this.#playhead;
    this.#state = 'priming';
    this.#restartWindow();
    this.#resyncs++;
  }

  /**
   * Moves the playhead `bytes` on without playing them; missing ones count as concealed. Past the
   * window nothing is stored, so that part is one concealed range.
   */
  #skip(bytes: number): void {
    const present = this.#present;
    const capacity = this.#capacityBytes;
    const playhead = this.#playhead;
    const stored = Math.min(bytes, capacity);
    let slot = playhead % capacity;
    let gapStart = -1;
    for (let i = 0; i < stored; i++) {
      if (present[slot] === 1) {
        present[slot] = 0;
        if (gapStart >= 0) {
          this.#recordConcealed(gapStart, playhead + i);
          this.#lostBytes += playhead + i - gapStart;
          gapStart = -1;
        }
      } else if (gapStart < 0) {
        gapStart = playhead + i;
      }
      if (++slot === capacity) slot = 0;
    }
    if (stored < bytes && gapStart < 0) gapStart = playhead + stored;
    if (gapStart >= 0) {
      this.#recordConcealed(gapStart, playhead + bytes);
      this.#lostBytes += playhead + bytes - gapStart;
    }
    this.#playhead = playhead + bytes;
    this.#skippedFrames += bytes / this.#bytesPerFrame;
  }

  #recordConcealed(start: number, end: number): void {
    const count = this.#rangeCount;
    if (count > 0) {
      const last = (this.#rangeHead + count - 1) % CONCEALED_RANGE_HISTORY;
      if (this.#rangeEnds[last] === start) {
        this.#rangeEnds[last] = end;
        return;
      }
    }
    let at: number;
    if (count === CONCEALED_RANGE_HISTORY) {
      at = this.#rangeHead;
      this.#forgottenBefore = this.#rangeEnds[at]!;
      this.#rangeHead = (at + 1) % CONCEALED_RANGE_HISTORY;
    } else {
      at = (this.#rangeHead + count) % CONCEALED_RANGE_HISTORY;
      this.#rangeCount = count + 1;
    }
    this.#rangeStarts[at] = start;
    this.#rangeEnds[at] = end;
  }

  /**
   * Whether any byte of [start, end), all before the playhead, was concealed. A range reaching
   * back before the history counts as concealed: what happened there is no longer known, and a
   * run that old is late in any sense.
   */
  #metConcealment(start: number, end: number): boolean {
    if (start < this.#forgottenBefore) return true;
    // First range (in age order) that ends after `start`; ranges are sorted and disjoint.
    let lo = 0;
    let hi = this.#rangeCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#rangeEnds[(this.#rangeHead + mid) % CONCEALED_RANGE_HISTORY]! > start) hi = mid;
      else lo = mid + 1;
    }
    return (
      lo < this.#rangeCount &&
      this.#rangeStarts[(this.#rangeHead + lo) % CONCEALED_RANGE_HISTORY]! < end
    );
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
