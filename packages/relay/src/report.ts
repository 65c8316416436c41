import type { Endpoint } from './addresses.js';

/** Bytes [start, end) of one audio stream, from the datagram header's byte index and count. */
export type ByteRange = [start: number, end: number];

/** What happened to one audio stream's bytes in one direction. Lists are in arrival order. */
export interface StreamFates {
  /** Datagrams lost (random or bursty loss). */
  dropped: ByteRange[];
  /** Datagrams sent twice. */
  duplicated: ByteRange[];
  /** Copies cut short (a receiver rejects them: the byte count no longer matches). */
  truncated: ByteRange[];
  /** Copies with flipped bits (delivered with wrong samples unless the header was hit). */
  corrupted: ByteRange[];
  /** Copies held back (by positions or by a delay). */
  reordered: ByteRange[];
  /** Copies still waiting to be sent when the relay closed. */
  discarded: ByteRange[];
  /** Replies from the target before any source had sent: nowhere to go, so never sent. */
  unroutable: ByteRange[];
  /**
   * Sorted and merged: the ranges no copy of which left (or will leave) the relay with its header
   * intact, i.e. dropped, truncated, hit in the header, discarded or unroutable — what a receiver
   * must count as lost.
   */
  undelivered: ByteRange[];
}

/** A distribution summary, in milliseconds at microsecond resolution; all 0 when `count` is 0. */
export interface DelayStats {
  count: number;
  minMs: number;
  /** The lower median: a value that occurred. */
  medianMs: number;
  maxMs: number;
}

/**
 * Exact counts for one direction. Everything but `timing` is a function of the seed and of the
 * order in which datagrams arrived, so two runs with one seed and one input report the same.
 * Copies: received − unroutable − dropped datagrams went on, the duplicated ones twice, and
 * sent + pending + held + discarded = received − unroutable − dropped + duplicated.
 */
export interface DirectionReport {
  received: number;
  /** Of `received`, how many read as AUDI or AUDE datagrams (their ranges are under `streams`). */
  audio: number;
  other: number;
  /** Replies from the target before any source had sent: nobody to forward them to. */
  unroutable: number;
  dropped: number;
  /** Of `dropped`, those the Gilbert–Elliott model dropped (random loss may have too). */
  burstDropped: number;
  duplicated: number;
  truncated: number;
  corrupted: number;
  flippedBits: number;
  reordered: number;
  /** Copies that drew a jitter spike. */
  spiked: number;
  sent: number;
  /** Copies waiting in the schedule, now. */
  pending: number;
  /** Copies held back by position, waiting for later datagrams, now. */
  held: number;
  discarded: number;
  /** Sends the socket failed (counted in `sent` too). */
  sendErrors: number;
  /** The delay drawn for each copy (jitter, spike, reorder delay); not for copies held by position. */
  delay: DelayStats;
  /** By stream index; a stream appears once one of its datagrams arrived. */
  streams: Record<number, StreamFates>;
  /** Measured, so it differs from run to run. */
  timing: {
    /** From arrival to send, per sent copy: the delay actually applied. */
    transit: DelayStats;
    /** From when a copy was due to when it was sent: timer granularity and load. */
    lateness: DelayStats;
  };
}

export interface RelayReport {
  seed: number;
  listen: Endpoint;
  target: Endpoint;
  /** Datagrams from a source, to the target. */
  toTarget: DirectionReport;
  /** Replies from the target, to the last source. */
  toSource: DirectionReport;
  /** Errors the socket reported outside sends. */
  socketErrors: number;
}

/** Collects delays at microsecond resolution; memory grows with distinct values, not with count. */
export class DelayHistogram {
  readonly #counts = new Map<number, number>();
  #count = 0;

  add(ms: number): void {
    const us = Math.round(ms * 1000);
    this.#counts.set(us, (this.#counts.get(us) ?? 0) + 1);
    this.#count++;
  }

  summary(): DelayStats {
    const values = [...this.#counts.keys()].sort((a, b) => a - b);
    if (values.length === 0) return { count: 0, minMs: 0, medianMs: 0, maxMs: 0 };
    const half = Math.ceil(this.#count / 2);
    let seen = 0;
    let median = values[0]!;
    for (const value of values) {
      seen += this.#counts.get(value)!;
      if (seen >= half) {
        median = value;
        break;
      }
    }
    return {
      count: this.#count,
      minMs: values[0]! / 1000,
      medianMs: median / 1000,
      maxMs: values[values.length - 1]! / 1000,
    };
  }
}

/** Sorted, with overlapping and touching ranges joined, as a receiver conceals a gap. */
export function mergeRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const merged: ByteRange[] = [];
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}
