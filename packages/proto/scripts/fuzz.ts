/**
 * Fuzzes every decoder that takes bytes from the network (docs/PROTOCOL.md §8, docs/CONTROL.md
 * §7) with hostile inputs: mutated, truncated, extended, spliced and field-tampered valid messages
 * of every kind, plus some noise. Every input must be rejected with a DecodeError of a known code
 * or decode to a message that survives a round trip; anything else is printed with its hex.
 *
 * Targets: udp-client and udp-server (decodeMessage of what each role sends), audio-header
 * (readAudioHeader, checked against decodeMessage), sealed-audio (the decrypt path:
 * readSealedAudioHeader, checked against decodeMessage, then openAudio, which must open the
 * authentic datagrams and nothing else: AUTH_FAILED counts the rest), control-frame (decodeControlMessage) and
 * control-stream (ControlFrameDecoder, the TCP reader, fed the stream cut into random reads).
 * The seed is random unless given, and printed.
 *
 *   bash scripts/pnpm.sh exec tsx packages/proto/scripts/fuzz.ts --inputs 1000000 --seed 1
 *   … --target control-stream --start 123 --inputs 1   (regenerates input 123 alone)
 *
 * Exits 1 when any input failed.
 */
import { parseArgs } from 'node:util';
import { runFuzz, type FuzzReport } from './fuzz/run.js';
import { REJECT_CODES, TARGETS } from './fuzz/targets.js';

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '1000000' },
    seed: { type: 'string' },
    target: { type: 'string', multiple: true },
    start: { type: 'string', default: '0' },
  },
});

const inputs = Number(values.inputs);
const start = Number(values.start);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(values.seed);
for (const [name, value] of [
  ['inputs', inputs],
  ['start', start],
  ['seed', seed],
] as const) {
  if (!Number.isSafeInteger(value) || value < 0) {
    console.error(`fuzz: --${name} must be a non-negative integer`);
    process.exit(2);
  }
}
const names = values.target ?? TARGETS.map((target) => target.name);
const unknown = names.filter((name) => !TARGETS.some((target) => target.name === name));
if (unknown.length > 0) {
  console.error(
    `fuzz: unknown target ${unknown.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`,
  );
  process.exit(2);
}

const count = (n: number): string => n.toLocaleString('en-US');
const columns = [
  'decoder',
  'inputs',
  'decoded, round trip held',
  'byte-identical re-encoding',
  ...REJECT_CODES,
  'other exceptions',
  'round-trip / cross-check failures',
  'seconds',
  'inputs/s',
];
const row = (report: FuzzReport): string[] => [
  report.target,
  count(report.inputs),
  count(report.accepted),
  count(report.canonical),
  ...REJECT_CODES.map((code) => count(report.rejected[code] ?? 0)),
  count(report.exceptions),
  count(report.mismatches),
  report.seconds.toFixed(1),
  count(Math.round(report.inputs / report.seconds)),
];

console.log(
  `fuzz: seed ${seed}, ${count(inputs)} inputs per decoder from index ${start}, node ${process.version}`,
);
console.log(`| ${columns.join(' | ')} |`);
console.log(`|${columns.map(() => ' --- ').join('|')}|`);
const reports: FuzzReport[] = [];
for (const target of TARGETS.filter((t) => names.includes(t.name))) {
  const report = runFuzz(target, { seed, inputs, start });
  reports.push(report);
  console.log(`| ${row(report).join(' | ')} |`);
}

let failed = false;
for (const report of reports) {
  for (const failure of report.failures) {
    failed = true;
    console.log(
      `\n${report.target} input ${failure.index} (${failure.kind}): ${failure.detail}\n` +
        `  reproduce: --seed ${seed} --target ${report.target} --start ${failure.index} --inputs 1\n` +
        `  hex: ${failure.hex}`,
    );
  }
}
process.exit(failed ? 1 : 0);
