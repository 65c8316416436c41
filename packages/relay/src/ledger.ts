import type { AudioRange } from './audio-range.js';
import {
  DelayHistogram,
  mergeRanges,
  type ByteRange,
  type DirectionReport,
  type StreamFates,
} from './report.js';

type Counter = {
  [K in keyof DirectionReport]: DirectionReport[K] extends number ? K : never;
}[Exclude<keyof DirectionReport, 'pending' | 'held'>];

/** One direction's books: counts, ranges per stream, delays. */
export class Ledger {
  readonly #counts: Record<Counter, number> = {
    received: 0,
    audio: 0,
    other: 0,
    unroutable: 0,
    dropped: 0,
    burstDropped: 0,
    duplicated: 0,
    truncated: 0,
    corrupted: 0,
    flippedBits: 0,
    reordered: 0,
    spiked: 0,
    sent: 0,
    discarded: 0,
    sendErrors: 0,
  };
  readonly #streams = new Map<number, StreamFates>();
  readonly delay = new DelayHistogram();
  readonly transit = new DelayHistogram();
  readonly lateness = new DelayHistogram();

  count(counter: Counter, n = 1): void {
    this.#counts[counter] += n;
  }

  /** Counts an arriving datagram as audio (its stream now shows in the report) or other. */
  arrived(range: AudioRange | undefined): void {
    this.#counts.received++;
    if (range === undefined) {
      this.#counts.other++;
    } else {
      this.#counts.audio++;
      this.#stream(range.stream);
    }
  }

  /** Records `range` under `fate` in its stream's lists. */
  note(fate: keyof StreamFates, range: AudioRange): void {
    this.#stream(range.stream)[fate].push([range.start, range.end]);
  }

  /** A copy of the books as they stand, with the copies not yet sent. */
  snapshot(pending: number, held: number): DirectionReport {
    const streams: Record<number, StreamFates> = {};
    for (const [index, fates] of this.#streams) {
      streams[index] = {
        dropped: copyRanges(fates.dropped),
        duplicated: copyRanges(fates.duplicated),
        truncated: copyRanges(fates.truncated),
        corrupted: copyRanges(fates.corrupted),
        reordered: copyRanges(fates.reordered),
        discarded: copyRanges(fates.discarded),
        unroutable: copyRanges(fates.unroutable),
        undelivered: mergeRanges(fates.undelivered),
      };
    }
    return {
      ...this.#counts,
      pending,
      held,
      delay: this.delay.summary(),
      streams,
      timing: { transit: this.transit.summary(), lateness: this.lateness.summary() },
    };
  }

  #stream(index: number): StreamFates {
    let fates = this.#streams.get(index);
    if (fates === undefined) {
      fates = {
        dropped: [],
        duplicated: [],
        truncated: [],
        corrupted: [],
        reordered: [],
        discarded: [],
        unroutable: [],
        undelivered: [],
      };
      this.#streams.set(index, fates);
    }
    return fates;
  }
}

function copyRanges(ranges: readonly ByteRange[]): ByteRange[] {
  return ranges.map(([start, end]) => [start, end]);
}
