/**
 * Channel count and CPU through each bridge between two dummy JACK servers (DESIGN §8: "CPU at
 * 64 channels f32 48 kHz below JackTrip's", "≥ 256 f32 channels without loss"):
 *
 *   bash scripts/pnpm.sh exec tsx bench/jack/channels.ts [--seconds 20] [--period 64]
 *        [--channels 2,16,64,256] [--bridge jacktrip|syfala|all] [--queue 4]
 *        [--jacktrip-bits 16] [--syfala-latency 128] [--realtime] [--verbose] [--runs 1]
 *        [--syfala-addon NAME=PATH] [--syfala-flags=--no-encryption]
 *
 * Same rig as latency.ts, with every channel looped on A and jack_iodelay on channel 1 (proof
 * that audio flows). Per run: each side's CPU seconds over the window (utime + stime of the
 * bridge process and its descendants, from /proc), the bridge's own underruns and losses.
 * --realtime runs the servers with real-time scheduling (jackd -R), as JACK users run them.
 * --runs repeats the whole set, the bridges taking turns; each --syfala-addon (repeatable) adds
 * syfala on another build of the native addon (an A/B of builds in one invocation), each compared
 * to JackTrip in its own run; each --syfala-flags (repeatable) adds syfala with those flags too
 * (space-separated, on serve and connect), to see what a setting costs in the same invocation.
 * JackTrip runs at its default 16-bit resolution (-b): its float mode (-b 32) carries no audio
 * in 1.7.0 on this rig (jack_iodelay finds no signal, whatever --bufstrategy), so no f32 peer.
 */
import { parseArgs } from 'node:util';
import { addonBuild, jacktrip, syfala, type Bridge } from './bridges.js';
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
    seconds: { type: 'string', default: '20' },
    period: { type: 'string', default: '64' },
    channels: { type: 'string', default: '2,16,64,256' },
    bridge: { type: 'string', default: 'all' },
    queue: { type: 'string', default: '4' },
    'jacktrip-bits': { type: 'string', default: '16' },
    'syfala-latency': { type: 'string' },
    realtime: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' },
    'syfala-addon': { type: 'string', multiple: true },
    'syfala-flags': { type: 'string', multiple: true },
  },
});
const seconds = Number(values.seconds);
const [period] = numberList(values.period, '--period');
const counts = numberList(values.channels, '--channels');
const [queue] = numberList(values.queue, '--queue');
const [bits] = numberList(values['jacktrip-bits'], '--jacktrip-bits');
const [runs] = numberList(values.runs, '--runs');
if (!(seconds > 0)) throw new Error(`--seconds: expected a positive number, got ${values.seconds}`);
const which = bridgeChoice(values.bridge);
// Without --syfala-latency, syfala runs with the CLI's defaults (as a new user runs it).
const syfalaFlags = values['syfala-latency']
  ? ['--latency', String(numberList(values['syfala-latency'], '--syfala-latency')[0])]
  : [];
const bridges: Bridge[] = [];
if (which !== 'syfala') bridges.push(jacktrip(queue!, bits));
if (which !== 'jacktrip') bridges.push(syfala(syfalaFlags));
if (which !== 'jacktrip') {
  for (const spec of values['syfala-addon'] ?? [])
    bridges.push(syfala(syfalaFlags, addonBuild(spec)));
  for (const extra of values['syfala-flags'] ?? [])
    bridges.push(syfala([...syfalaFlags, ...extra.split(' ').filter((f) => f !== '')]));
}

console.log(machine(values.realtime));
console.log(
  `Channels at 48 kHz (syfala f32; JackTrip -b ${bits}), period ${period} frames, ${seconds} s per run\n`,
);

const results: (RigResult & { run: number })[] = [];
const failures: string[] = [];
for (let run = 1; run <= runs!; run++) {
  for (const channels of counts) {
    for (const bridge of bridges) {
      process.stderr.write(
        `run ${run}, ${bridge.label}, ${channels} channels: measuring ${seconds} s …\n`,
      );
      try {
        const options = { period: period!, channels, seconds, realtime: values.realtime };
        results.push({ ...(await runRig(bridge, options)), run });
      } catch (err) {
        failures.push(
          `run ${run}, ${bridge.label}, ${channels} channels: ${(err as Error).message}`,
        );
        process.stderr.write(`  failed: ${(err as Error).message}\n`);
      }
    }
  }
}

const cpuTotal = (r: RigResult): number => r.cpuA + r.cpuB;
const rows = results.map((r) => {
  const peer = results.find(
    (p) => p.run === r.run && p.channels === r.channels && p.bridge.kind === 'jacktrip',
  );
  const t = r.roundTrip;
  return [
    String(r.run),
    r.bridge.label,
    String(r.channels),
    fmt(r.cpuA, 2),
    fmt(r.cpuB, 2),
    `${fmt((cpuTotal(r) / r.seconds) * 100, 1)} %`,
    fmt((cpuTotal(r) / r.seconds / r.channels) * 1000, 2),
    perSide(r.a, r.b, 'underruns'),
    perSide(r.a, r.b, 'overflows'),
    `${perSide(r.a, r.b, 'lost')} ${r.bridge.lostUnit}`,
    t.readings.length === 0 ? 'no signal' : fmt(t.median, 0),
    peer && peer !== r ? fmt(cpuTotal(r) / cpuTotal(peer), 2) : '—',
  ];
});
console.log(
  table(
    [
      'run',
      'bridge',
      'channels',
      'CPU s A',
      'CPU s B',
      'CPU (A + B, of one core)',
      'CPU ms per channel-second',
      'underruns (A + B)',
      'overflows (A + B)',
      'lost (A + B)',
      'round trip',
      'CPU ratio to jacktrip',
    ],
    rows,
  ),
);
if (values.verbose) printTails(results);
if (failures.length > 0) {
  console.log(`\nFailed:\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exitCode = 1;
}
