import { performance } from 'node:perf_hooks';
import { Subject, type Observable } from 'rxjs';
import type { DisconnectReason } from '@syfala/proto';
import { sourceKey } from './control/address.js';
import { SourceRateLimiter, TokenBucket } from './control/rate-limit.js';

/** A connection or client the server turned away, before or instead of a session. */
export interface Refusal {
  readonly transport: 'tcp' | 'udp';
  /** The peer's address and port. */
  readonly address: string;
  readonly port: number;
  /**
   * The Disconnect reason sent; `busy` also for a TCP connection closed unanswered because too
   * many handshakes were in progress (CONTROL.md §6).
   */
  readonly reason: DisconnectReason;
  readonly text: string;
}

/** How refusals are reported: each one, until its source's or the global rate is spent, then folded. */
export type RefusalReport =
  | (Refusal & {
      readonly type: 'refused';
      /** What limits count against: the IPv4 address, or the IPv6 /64 (`sourceKey`). */
      readonly source: string;
    })
  | {
      readonly type: 'folded';
      /** Undefined: sources beyond the MAX_FOLDED_SOURCES folded one by one. */
      readonly source: string | undefined;
      /** Refusals not reported one by one since the last fold, in all and by reason. */
      readonly count: number;
      readonly reasons: Partial<Record<DisconnectReason, number>>;
    };

/** Refusals from one source reported one by one: a burst, then one per 5 s. */
export const REFUSAL_REPORT_BURST_PER_SOURCE = 10;
export const REFUSAL_REPORTS_PER_SOURCE_PER_S = 0.2;
/** Refusals reported one by one, from all sources together. */
export const REFUSAL_REPORT_BURST = 50;
export const REFUSAL_REPORTS_PER_S = 5;
/** The rest are folded into one report per source this often, in milliseconds. */
export const REFUSAL_FOLD_INTERVAL_MS = 5000;
/** Sources folded one by one per interval; the rest are folded together. */
export const MAX_FOLDED_SOURCES = 16;
const MAX_RATED_SOURCES = 4096;

interface Folded {
  count: number;
  readonly reasons: Partial<Record<DisconnectReason, number>>;
}

/**
 * Counts every refusal by reason and reports it, rate-limited so that a flood costs a few
 * reports, not one per connection: each source gets a burst, then its refusals are folded into
 * one report per REFUSAL_FOLD_INTERVAL_MS.
 */
export class RefusalReporter {
  readonly #reports = new Subject<RefusalReport>();
  readonly #counts: Partial<Record<DisconnectReason, number>> = {};
  readonly #perSource = new SourceRateLimiter(
    REFUSAL_REPORTS_PER_SOURCE_PER_S,
    REFUSAL_REPORT_BURST_PER_SOURCE,
    MAX_RATED_SOURCES,
  );
  readonly #all = new TokenBucket(REFUSAL_REPORTS_PER_S, REFUSAL_REPORT_BURST, performance.now());
  /** By source; the key undefined holds the sources beyond MAX_FOLDED_SOURCES. */
  readonly #folded = new Map<string | undefined, Folded>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** Reports; completes on close(), after the last fold. */
  readonly reports$: Observable<RefusalReport> = this.#reports.asObservable();

  /** Every refusal so far, by reason. */
  get counts(): Partial<Record<DisconnectReason, number>> {
    return { ...this.#counts };
  }

  report(refusal: Refusal): void {
    if (this.#closed) return;
    this.#counts[refusal.reason] = (this.#counts[refusal.reason] ?? 0) + 1;
    const source = sourceKey(refusal.address);
    const now = performance.now();
    if (this.#perSource.take(source, now) && this.#all.take(now)) {
      this.#reports.next({ type: 'refused', source, ...refusal });
      return;
    }
    const key =
      this.#folded.has(source) || this.#folded.size < MAX_FOLDED_SOURCES ? source : undefined;
    let folded = this.#folded.get(key);
    if (folded === undefined) {
      folded = { count: 0, reasons: {} };
      this.#folded.set(key, folded);
    }
    folded.count++;
    folded.reasons[refusal.reason] = (folded.reasons[refusal.reason] ?? 0) + 1;
    // Runs only while something waits to be folded; it never keeps the process alive.
    this.#timer ??= setTimeout(() => this.#fold(), REFUSAL_FOLD_INTERVAL_MS).unref();
  }

  /** Reports what is folded now, and completes reports$. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fold();
    this.#reports.complete();
  }

  #fold(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [source, { count, reasons }] of this.#folded) {
      this.#reports.next({ type: 'folded', source, count, reasons });
    }
    this.#folded.clear();
  }
}
