/**
 * The latency a JACK duplex stream's worker adds (`jackBackend` + `openDuplexStream`), measured
 * with jack_iodelay on a dummy JACK server: the round trip through `jack_thru` (a client that
 * copies in JACK's callback) against the same route through a duplex stream running a
 * pass-through processor module. Target: at most one period more. Runs alternate, each on a
 * fresh server.
 *
 *   bash scripts/pnpm.sh exec tsx bench/jack/duplex-latency.ts [--runs 3] [--seconds 10] [--period 64]
 */
import { parseArgs } from 'node:util';
import { openDuplexStream } from '@syfala/audio';
import { jackBackend, type JackDuplexDevice, type JackDuplexStats } from '@syfala/backend-jack';
import {
  ManagedProcess,
  measureRoundTrip,
  startJackServer,
  uniqueServerName,
  type JackServer,
  type RoundTrip,
} from '@syfala/jack-rig';
import { makeFormat } from '@syfala/proto';
import { machineLine, median, table } from '../bench-report.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    period: { type: 'string', default: '64' },
  },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const PERIOD = Number(values.period);
const RATE = 48000;
const MONO = makeFormat({ sampleType: 'f32', sampleRate: RATE, channels: 1, bufferFrames: 0 });

async function throughJackThru(server: JackServer): Promise<RoundTrip> {
  const thru = new ManagedProcess('jack_thru', [], { env: server.env() });
  try {
    await server.waitForPorts(['jack_thru:input_1', 'jack_thru:output_1'], undefined, thru);
    return await measureRoundTrip(server, {
      sendPort: 'jack_thru:input_1',
      receivePort: 'jack_thru:output_1',
      seconds: SECONDS,
    });
  } finally {
    await thru.stop();
  }
}

async function throughDuplex(server: JackServer): Promise<RoundTrip & { stats: JackDuplexStats }> {
  const stream = await openDuplexStream({
    backend: jackBackend,
    streams: { inputs: [MONO], outputs: [MONO] },
    options: { server: server.name, clientName: 'duplex', autoConnect: false },
    processor: { module: new URL('./pass-through.mjs', import.meta.url).href },
  });
  try {
    const trip = await measureRoundTrip(server, {
      sendPort: 'duplex:in_1',
      receivePort: 'duplex:out_1',
      seconds: SECONDS,
    });
    return { ...trip, stats: (stream.device as JackDuplexDevice).stats() };
  } finally {
    await stream.close();
  }
}

async function onFreshServer<T>(run: (server: JackServer) => Promise<T>): Promise<T> {
  const server = await startJackServer({
    name: uniqueServerName('duplex-bench'),
    sampleRate: RATE,
    periodFrames: PERIOD,
  });
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

const rows: string[][] = [];
const medians = { thru: [] as number[], duplex: [] as number[] };
for (let run = 1; run <= RUNS; run++) {
  const thru = await onFreshServer(throughJackThru);
  const duplex = await onFreshServer(throughDuplex);
  medians.thru.push(thru.median);
  medians.duplex.push(duplex.median);
  const { periods, outputUnderflows, lateOutputs, inputOverflows, xruns } = duplex.stats;
  rows.push(
    [
      String(run),
      'jack_thru',
      String(thru.median),
      `${thru.min}–${thru.max}`,
      String(thru.readings.length),
      '—',
    ],
    [
      String(run),
      'duplex stream',
      String(duplex.median),
      `${duplex.min}–${duplex.max}`,
      String(duplex.readings.length),
      `${periods} periods, ${outputUnderflows} underflows, ${lateOutputs} late, ${inputOverflows} overflows, ${xruns} JACK xruns`,
    ],
  );
}
console.log(`${machineLine()}\n`);
console.log(
  table(
    ['run', 'route', 'median (frames)', 'min–max', 'readings', 'duplex stats'],
    rows,
    (_, column) => column === 1 || column === 5,
  ),
);
const added = median(medians.duplex) - median(medians.thru);
console.log(
  `\nAdded by the duplex worker: ${added} frames (median of medians), target ≤ ${PERIOD} (one period).`,
);
