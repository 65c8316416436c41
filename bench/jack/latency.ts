/**
 * Round trip through each bridge between two dummy JACK servers (DESIGN §7, §8):
 *
 *   bash scripts/pnpm.sh exec tsx bench/jack/latency.ts [--seconds 60] [--period 64|32]
 *        [--bridge jacktrip|syfala|all] [--queues 4,2] [--syfala-latency 64,128] [--verbose]
 *
 * For each bridge: fresh servers A and B at 48 kHz and the period, the bridge, A's received
 * stream looped into its send stream, jack_iodelay on B for --seconds after a warm-up; then the
 * bridge stops before the servers. The reading includes the rig's own 2 periods (the measuring
 * client's pass and the loop on A); the bridge's own round trip is the reading minus those.
 * Underruns are the bridge's own counters over the window (jackd's xrun lines are not: the
 * dummy driver without real-time scheduling logs some by itself on a shared machine).
 */
import { parseArgs } from 'node:util';
import { jacktrip, syfala, type Bridge } from './bridges.js';
import {
  bridgeChoice,
  fmt,
  machine,
  numberList,
  perSide,
  printTails,
  runRig,
  table,
  type RigResult,
} from './rig.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    period: { type: 'string', default: '64' },
    bridge: { type: 'string', default: 'all' },
    queues: { type: 'string', default: '4,2' },
    'syfala-latency': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const period = Number(values.period);
if (!(seconds > 0) || !Number.isInteger(period) || period <= 0) {
  throw new Error(`--seconds and --period: expected positive numbers, got ${seconds}, ${period}`);
}
const which = bridgeChoice(values.bridge);
const bridges: Bridge[] = [];
if (which !== 'syfala')
  bridges.push(...numberList(values.queues, '--queues').map((q) => jacktrip(q)));
if (which !== 'jacktrip') {
  const targets = values['syfala-latency']
    ? numberList(values['syfala-latency'], '--syfala-latency')
    : [period, 2 * period];
  bridges.push(...targets.map((frames) => syfala(frames)));
}

console.log(machine());
console.log(`Round trip, 2 channels, period ${period} frames, ${seconds} s per bridge\n`);

const results: RigResult[] = [];
const failures: string[] = [];
for (const bridge of bridges) {
  process.stderr.write(`${bridge.label}: measuring ${seconds} s …\n`);
  try {
    results.push(await runRig(bridge, { period, channels: 2, seconds }));
  } catch (err) {
    failures.push(`${bridge.label}: ${(err as Error).message}`);
    process.stderr.write(`${bridge.label}: failed: ${(err as Error).message}\n`);
  }
}

// syfala rows compare with JackTrip at -q 4 (DESIGN §8's reference: 384 frames at 64).
const reference = results.find((r) => r.bridge.label === 'jacktrip q4');
const rows = results.map((r) => {
  const t = r.roundTrip;
  const bridgeOnly = t.median - 2 * r.period;
  return [
    r.bridge.label,
    String(r.period),
    fmt(t.median, 1),
    fmt(t.min, 1),
    fmt(t.max, 1),
    t.readings.length === 0 ? 'no signal' : t.steady ? 'yes' : `no (${t.signalLost} dropouts)`,
    fmt(bridgeOnly, 1),
    perSide(r.a, r.b, 'underruns'),
    `${perSide(r.a, r.b, 'lost')} ${r.bridge.lostUnit}`,
    reference && r !== reference ? fmt(t.median / reference.roundTrip.median, 2) : '—',
  ];
});
console.log(
  table(
    [
      'bridge',
      'period',
      'reading median',
      'min',
      'max',
      'steady',
      'bridge only (− 2 periods)',
      'underruns (A + B)',
      'lost (A + B)',
      'ratio to jacktrip q4',
    ],
    rows,
  ),
);
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
