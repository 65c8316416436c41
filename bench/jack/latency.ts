/**
 * Round trip through each bridge between two dummy JACK servers (DESIGN §7, §8):
 *
 *   bash scripts/pnpm.sh exec tsx bench/jack/latency.ts [--seconds 15] [--warmup 30] [--runs 3]
 *        [--period 64|32] [--bridge jacktrip|syfala|all] [--queues 4,2]
 *        [--syfala-latency 64,auto] [--syfala-fixed 64] [--realtime] [--rate-a 44100] [--verbose]
 *        [--syfala-addon NAME=PATH[,NAME=PATH…]] [--channels 2] [--syfala-concealment silence]
 *        [--busy-vcpus]
 *
 * Bridges: JackTrip at each queue, syfala with the CLI's default flags (as a new user runs it),
 * syfala with each `--syfala-latency` value (on each build), and with each `--syfala-fixed` value without drift
 * compensation (played bit for bit: an underrun primes again, surplus is skipped), and with the
 * defaults on other builds of the native addon, `--syfala-addon NAME=PATH,…` (an A/B of
 * builds in one invocation, e.g. main's against a change's, each summed up pair by pair after the
 * table: on a shared machine the runs follow its load more than any build), and with the defaults
 * but each `--syfala-concealment` mode (silence: every frame played without its data shows in the
 * tone, which the default's cycle repetition hides in part). --realtime runs
 * both servers with real-time scheduling (jackd -R, as JACK users run it; the tests do not);
 * --rate-a runs server A at another rate (syfala converts; JackTrip cannot). --busy-vcpus keeps
 * every vCPU busy at idle priority throughout (busy-vcpus.ts: on a VM whose idle vCPUs wake late,
 * a bridge that uses less CPU otherwise gets more stalls of the servers). The configurations
 * take turns, run after run, so a noisy stretch of the shared machine hits all of them alike.
 * For each run: fresh servers A (48 kHz or --rate-a) and B (48 kHz) at the period, the bridge, A's received stream looped into its send stream,
 * jack_iodelay on B for --seconds after --warmup seconds (default 30: past the 25 s in which
 * syfala's drift loop narrows to its tracking bandwidth, so the window is the steady state a
 * session spends its time in; until 2026-12-07 the window began 2 s in, during that
 * acquisition, when fill steps drain faster: bench/RESULTS.md); then the bridge stops before the
 * servers.
 * The reading includes the rig's own 2 periods (the measuring client's pass and the loop on A).
 * Underruns are the bridge's own counters over the window (jackd's xrun lines are not: the dummy
 * driver without real-time scheduling logs some by itself on a shared machine); they count
 * different things (JackTrip: packets' worth of audio filled in; syfala: periods due that had not
 * all arrived), so with 2 channels or more a tone also goes there and back on channel 2, its
 * glitches counted the same way for every bridge, beside the tone's own on B (tone-probe.ts),
 * and the events among them that B did not make by itself (eventsBeyondServer, @syfala/jack-rig).
 * Each server's own xruns over the window are counted from what jackd prints (xrun-log.ts in
 * @syfala/jack-rig): cycles whose graph had not finished, and cycles its driver woke late; the
 * tone table puts the tone's glitches straight on B beside B's late graphs. For syfala, a
 * second table says where the round trip goes: the rig's 2 periods, each side's receive buffer
 * (its target, and what it held on average over the client's stats lines: the time audio waits
 * in it), and the rest. --verbose prints
 * each run's readings in order and the last lines each side logged.
 */
import { parseArgs } from 'node:util';
import { eventsBeyondServer, type JackXruns } from '@syfala/jack-rig';
import { median } from '../bench-report.js';
import { addonBuild, jacktrip, syfala, type Bridge } from './bridges.js';
import { startBusyVcpus } from './busy-vcpus.js';
import {
  bridgeChoice,
  fmt,
  machine,
  numberList,
  perSide,
  printTails,
  runRig,
  SAMPLE_RATE,
  table,
  type RigResult,
} from './rig.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '30' },
    runs: { type: 'string', default: '3' },
    period: { type: 'string', default: '64' },
    bridge: { type: 'string', default: 'all' },
    queues: { type: 'string', default: '4,2' },
    'syfala-latency': { type: 'string' },
    'syfala-fixed': { type: 'string' },
    realtime: { type: 'boolean', default: false },
    'rate-a': { type: 'string', default: String(SAMPLE_RATE) },
    verbose: { type: 'boolean', default: false },
    'syfala-addon': { type: 'string' },
    'syfala-concealment': { type: 'string' },
    channels: { type: 'string', default: '2' },
    'busy-vcpus': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const [runs] = numberList(values.runs, '--runs');
const [period] = numberList(values.period, '--period');
const [rateA] = numberList(values['rate-a'], '--rate-a');
const [channels] = numberList(values.channels, '--channels');
if (!(seconds > 0)) throw new Error(`--seconds: expected a positive number, got ${values.seconds}`);
const warmup = Number(values.warmup);
if (!(warmup >= 0)) throw new Error(`--warmup: expected seconds ≥ 0, got ${values.warmup}`);
const which = bridgeChoice(values.bridge);
const bridges: Bridge[] = [];
/** --syfala-addon: the defaults on this build and on each other one, compared run by run. */
const abPairs: [Bridge, Bridge][] = [];
if (which !== 'syfala')
  bridges.push(...numberList(values.queues, '--queues').map((q) => jacktrip(q)));
if (which !== 'jacktrip') {
  const defaults = syfala();
  bridges.push(defaults);
  const builds = (values['syfala-addon'] ?? '').split(',').filter(Boolean).map(addonBuild);
  for (const build of builds) {
    const other = syfala([], build);
    abPairs.push([defaults, other]);
    bridges.push(other);
  }
  for (const latency of (values['syfala-latency'] ?? '').split(',').filter(Boolean)) {
    if (latency !== 'auto') numberList(latency, '--syfala-latency');
    for (const build of [undefined, ...builds]) bridges.push(syfala(['--latency', latency], build));
  }
  for (const mode of (values['syfala-concealment'] ?? '').split(',').filter(Boolean)) {
    bridges.push(syfala(['--concealment', mode]));
  }
  for (const latency of (values['syfala-fixed'] ?? '').split(',').filter(Boolean)) {
    numberList(latency, '--syfala-fixed');
    bridges.push(syfala(['--latency', latency, '--no-drift-compensation']));
  }
}

console.log(machine(values.realtime));
console.log(
  `Round trip, ${channels} channels, period ${period} frames, server A at ${rateA} Hz, ${seconds} s windows after ${warmup} s, ${runs} runs per bridge taking turns${values['busy-vcpus'] ? ', every vCPU kept busy at idle priority' : ''}\n`,
);

const results: RigResult[] = [];
/** Which run each result came from: an A/B pairs the two builds' results of the same run. */
const runOf = new Map<RigResult, number>();
const failures: string[] = [];
const busy = values['busy-vcpus'] ? startBusyVcpus() : null;
for (let run = 1; run <= runs!; run++) {
  for (const bridge of bridges) {
    process.stderr.write(`run ${run}/${runs}, ${bridge.label}: measuring ${seconds} s …\n`);
    try {
      const result = await runRig(bridge, {
        period: period!,
        channels: channels!,
        seconds,
        warmupSeconds: warmup,
        realtime: values.realtime,
        sampleRateA: rateA!,
        tone: channels! >= 2,
      });
      results.push(result);
      runOf.set(result, run);
    } catch (err) {
      failures.push(`run ${run}, ${bridge.label}: ${(err as Error).message}`);
      process.stderr.write(`${bridge.label}: failed: ${(err as Error).message}\n`);
    }
  }
}
await busy?.stop();

/** The q-quantile of sorted values (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Share of the readings within one period of the median, %. */
function withinPeriod(r: RigResult): number {
  const { readings, median } = r.roundTrip;
  if (readings.length === 0) return Number.NaN;
  const near = readings.filter((x) => Math.abs(x - median) <= r.period).length;
  return (100 * near) / readings.length;
}

/**
 * The tone's glitch events that B did not make by itself (eventsBeyondServer): none near one of
 * the tone straight on B at once, or a round trip earlier. The tone comes back a period or two
 * sooner than jack_iodelay's readings (it skips the measuring client's pass; the graph's order
 * decides the other): p10 less a period to p90 of the run's readings, and eventsBeyondServer
 * allows a period either side. (Found on the rig: the offsets from each of B's own events to the
 * bridged ones after it peak at 0 and at the reading less a period.)
 */
function beyondB(r: RigResult): number {
  const sorted = [...r.roundTrip.readings].sort((a, b) => a - b);
  const delay = {
    min: quantile(sorted, 0.1) - r.period,
    max: quantile(sorted, 0.9),
  };
  return eventsBeyondServer(r.tone!.bridged, r.tone!.direct, delay, r.period);
}

/** Its own underrun counters over the window, both sides. */
const underrunsOf = (r: RigResult): number => (r.a?.underruns ?? 0) + (r.b?.underruns ?? 0);
const sum = (runsOf: RigResult[], value: (r: RigResult) => number): number =>
  runsOf.reduce((t, r) => t + value(r), 0);

// syfala rows compare with JackTrip at -q 4 (DESIGN §8's reference), as the median of its runs.
const REFERENCE = 'jacktrip q4';
const referenceRuns = results.filter((r) => r.bridge.label === REFERENCE);
const reference = referenceRuns.length
  ? median(referenceRuns.map((r) => r.roundTrip.median))
  : undefined;
/** A server's xruns over the window: graph late + driver late. */
const xrunsOf = (x: JackXruns | null): string =>
  x === null ? '—' : `${x.graphLate} + ${x.driverLate}`;
const rows = results.map((r) => {
  const sorted = [...r.roundTrip.readings].sort((a, b) => a - b);
  return [
    r.bridge.label,
    fmt(r.roundTrip.median, 0),
    `${fmt(quantile(sorted, 0.1), 0)}–${fmt(quantile(sorted, 0.9), 0)}`,
    `${fmt(withinPeriod(r), 0)} %`,
    fmt(r.roundTrip.median - 2 * r.period, 0),
    perSide(r.a, r.b, 'underruns'),
    `${perSide(r.a, r.b, 'lost')} ${r.bridge.lostUnit}`,
    `${fmt(r.cpuA, 2)} / ${fmt(r.cpuB, 2)}`,
    r.tone === null
      ? '—'
      : `${r.tone.bridged.events} (${beyondB(r)} beyond B; B alone ${r.tone.direct.events})`,
    `${xrunsOf(r.xrunsA)} / ${xrunsOf(r.xrunsB)}`,
    reference === undefined || r.bridge.label === REFERENCE
      ? '—'
      : fmt(r.roundTrip.median / reference, 2),
  ];
});
console.log(
  table(
    [
      'bridge',
      'reading median',
      'p10–p90',
      'within 1 period of median',
      'bridge only (− 2 periods)',
      'underruns (A + B)',
      'lost (A + B)',
      'CPU s A / B',
      'tone glitches (beyond B; B alone)',
      'server xruns A / B (graph + driver late)',
      'vs JackTrip q4 median',
    ],
    rows,
  ),
);
// Per bridge over all its runs: its own underrun counter against the tone's glitches, which are
// counted the same way for every bridge (the counters are not: JackTrip's counts packets' worth
// of audio it filled in, syfala's the periods that were due and had not all arrived).
const toneRuns = results.filter((r) => r.tone !== null);
if (toneRuns.length > 0) {
  const glitchesOf = (runsOf: RigResult[]): number => sum(runsOf, (r) => r.tone!.bridged.events);
  const referenceTones = referenceRuns.filter((r) => r.tone !== null);
  const referenceGlitches = glitchesOf(referenceTones);
  const referenceBeyond = sum(referenceTones, beyondB);
  console.log(
    '\nA tone there and back on channel 2, recorded on B beside the tone itself ' +
      '(sine-glitches.ts in @syfala/jack-rig), over all runs:\n\n' +
      table(
        [
          'bridge',
          'runs',
          'median of medians',
          'own underruns',
          'tone glitch events',
          'beyond B',
          'disturbed ms',
          'rig alone (events)',
          "B's graph-late cycles",
          'rig alone per 100 of them',
          'glitches vs JackTrip q4',
          'beyond B vs JackTrip q4',
        ],
        bridges.map((bridge) => {
          const mine = toneRuns.filter((r) => r.bridge === bridge);
          const glitches = glitchesOf(mine);
          const rigAlone = sum(mine, (r) => r.tone!.direct.events);
          const beyond = sum(mine, beyondB);
          const graphLateB = sum(mine, (r) => r.xrunsB?.graphLate ?? 0);
          return [
            bridge.label,
            String(mine.length),
            fmt(median(mine.map((r) => r.roundTrip.median)), 0),
            String(sum(mine, underrunsOf)),
            String(glitches),
            String(beyond),
            fmt(
              sum(mine, (r) => (r.tone!.bridged.disturbedFrames * 1000) / SAMPLE_RATE),
              0,
            ),
            String(rigAlone),
            String(graphLateB),
            graphLateB === 0 ? '—' : fmt((100 * rigAlone) / graphLateB, 0),
            bridge.label === REFERENCE || referenceGlitches === 0
              ? '—'
              : fmt(glitches / referenceGlitches, 2),
            bridge.label === REFERENCE || referenceBeyond === 0
              ? '—'
              : fmt(beyond / referenceBeyond, 2),
          ];
        }),
      ),
  );
}
// Where a syfala round trip goes: the rig's 2 periods, the time audio waits in each side's receive
// buffer (what it held, averaged over the window's stats lines, is that wait by Little's law),
// and the rest: the phase between the two servers' cycles, the resampler, transit.
const budgets = results.filter((r) => r.buffers.length > 0);
if (budgets.length > 0) {
  const mean = (xs: number[]): number => xs.reduce((t, x) => t + x, 0) / xs.length;
  const side = (r: RigResult, which: 'a' | 'b'): { target: number; held: number } => ({
    target: median(r.buffers.map((s) => s[which].target)),
    held: mean(r.buffers.map((s) => s[which].buffered)),
  });
  console.log(
    '\nWhere the syfala round trip goes (frames; per side: target, and held on average):\n\n' +
      table(
        [
          'bridge',
          'reading median',
          'rig',
          'A: target / held',
          'B: target / held',
          'rest',
          'samples',
        ],
        budgets.map((r) => {
          const [a, b] = [side(r, 'a'), side(r, 'b')];
          return [
            r.bridge.label,
            fmt(r.roundTrip.median, 0),
            fmt(2 * r.period, 0),
            `${fmt(a.target, 0)} / ${fmt(a.held, 0)}`,
            `${fmt(b.target, 0)} / ${fmt(b.held, 0)}`,
            fmt(r.roundTrip.median - 2 * r.period - a.held - b.held, 0),
            String(r.buffers.length),
          ];
        }),
      ),
  );
}
// An A/B of two builds: the machine's load moves every run, so the runs are compared in pairs.
for (const abPair of abPairs) {
  const builds = abPair.map((b) => b.label);
  const [mine, theirs] = abPair.map((b) => results.filter((r) => r.bridge === b));
  let pairs = 0;
  let lower = 0;
  for (const r of mine!) {
    const other = theirs!.find((t) => runOf.get(t) === runOf.get(r));
    if (other === undefined) continue;
    pairs++;
    if (r.roundTrip.median < other.roundTrip.median) lower++;
  }
  const summary = (runsOf: RigResult[]): string =>
    `median of medians ${fmt(median(runsOf.map((r) => r.roundTrip.median)), 0)}, ` +
    `within a period ${fmt(median(runsOf.map(withinPeriod)), 0)} % (median), ` +
    `underruns ${sum(runsOf, underrunsOf)}`;
  console.log(
    `\nA/B: ${builds[0]}: ${summary(mine!)}; ${builds[1]}: ${summary(theirs!)}; ` +
      `${builds[0]} lower in ${lower} of ${pairs} pairs`,
  );
}
for (const r of results) {
  if (r.roundTrip.readings.length === 0) {
    console.log(
      `\n${r.bridge.label}: jack_iodelay said: ${r.roundTrip.unparsed.slice(-5).join(' | ')}`,
    );
  }
}
if (values.verbose) printTails(results);
if (failures.length > 0) {
  console.log(`\nFailed:\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exitCode = 1;
}
