/** Shared timing for the benches: the median of several timed repetitions, after a warm-up. */
export function medianRate(work: () => number, repetitions = 9): number {
  work();
  const rates: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const start = process.hrtime.bigint();
    const units = work();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(units / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}
