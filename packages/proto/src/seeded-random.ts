/**
 * The project's one seeded generator, for whatever must come out the same on every run and
 * platform: the relay's impairment fates, the virtual card's noise, fuzz inputs, test signals.
 * Not for secrets.
 *
 * xoshiro128** 1.1 (Blackman and Vigna): 32-bit, fast, and passing every statistical test its
 * authors know of. Its state comes from a key: the key's parts joined with "/", hashed with
 * FNV-1a (64-bit, over the UTF-8 bytes), seed splitmix64, whose first two outputs fill the four
 * state words, low word first, as the authors suggest. The known answers in
 * test/fixtures/seeded-random.json come from their C code (seeded-random-reference.c there).
 */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /**
   * A generator for the key `parts`, e.g. (seed) or (seed, stage name, input index): different
   * keys give unrelated sequences, so any one of them can be regenerated on its own.
   */
  constructor(...parts: readonly [string | number, ...(string | number)[]]) {
    let x = fnv1a64(parts.join('/'));
    const splitmix64 = (): bigint => {
      x = BigInt.asUintN(64, x + 0x9e37_79b9_7f4a_7c15n);
      let z = BigInt.asUintN(64, (x ^ (x >> 30n)) * 0xbf58_476d_1ce4_e5b9n);
      z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d0_49bb_1331_11ebn);
      return z ^ (z >> 31n);
    };
    const low = splitmix64();
    const high = splitmix64();
    this.#a = Number(BigInt.asUintN(32, low));
    this.#b = Number(low >> 32n);
    this.#c = Number(BigInt.asUintN(32, high));
    this.#d = Number(high >> 32n);
  }

  /** The next uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** Uniform in [0, 1), in steps of 2^−32. */
  next(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** True with probability `p`. Draws one number whatever `p` is, so sequences stay aligned. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniform integer in [0, n), n ≤ 2^32. */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** One of `items`, each as likely. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** Puts `items` in a uniformly random order, in place (Fisher–Yates). */
  shuffle(items: unknown[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j], items[i]];
    }
  }

  /** `length` random bytes, one draw each. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.nextUint32() & 0xff;
    return out;
  }
}

/** FNV-1a, 64-bit, of `text`'s UTF-8 bytes. */
export function fnv1a64(text: string): bigint {
  let hash = 0xcbf2_9ce4_8422_2325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100_0000_01b3n);
  }
  return hash;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
