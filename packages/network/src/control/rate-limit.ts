/** A token bucket: `burst` tokens at most, refilled at `ratePerSecond`; one token per event. */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  #tokens: number;
  #lastMs: number;

  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    this.#ratePerMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#lastMs = nowMs;
  }

  /** Takes a token if one is left at `nowMs` (a monotonic clock, in milliseconds). */
  take(nowMs: number): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + (nowMs - this.#lastMs) * this.#ratePerMs);
    this.#lastMs = nowMs;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * One token bucket per source (an IP address), for at most `maxSources` sources: when full, the
 * source heard from least recently is forgotten, so a flood of spoofed sources costs bounded
 * memory (a global limit behind this one bounds the total).
 */
export class SourceRateLimiter {
  readonly #ratePerSecond: number;
  readonly #burst: number;
  readonly #maxSources: number;
  /** In order of last use, oldest first. */
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(ratePerSecond: number, burst: number, maxSources: number) {
    this.#ratePerSecond = ratePerSecond;
    this.#burst = burst;
    this.#maxSources = maxSources;
  }

  take(source: string, nowMs: number): boolean {
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxSources) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
      bucket = new TokenBucket(this.#ratePerSecond, this.#burst, nowMs);
    } else {
      this.#buckets.delete(source);
    }
    this.#buckets.set(source, bucket);
    return bucket.take(nowMs);
  }
}
