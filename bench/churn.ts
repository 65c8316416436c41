/**
 * Connect/disconnect churn (issue #7): a client connects over TCP control, starts and stops I/O
 * and disconnects, 10,000 times, against one `syfala serve` (its Daemon, in a child process).
 * Every 500 cycles the server's and this process's memory (after a full garbage collection) and
 * open file descriptors are sampled; a leak shows as a slope. Loopback only.
 *
 *   bash scripts/pnpm.sh exec tsx bench/churn.ts [--cycles 10000] [--every 500] [--no-io]
 */
import { parseArgs } from 'node:util';
import { connect } from '@syfala/network';
import { machineLine, mib, slope, sleep, table } from './bench-report.js';
import { sampleProcess, type ProcessSample } from './process-sample.js';
import { ServerProcess, type ServerSample } from './server-process.js';

const { values: args } = parseArgs({
  options: {
    cycles: { type: 'string', default: '10000' },
    every: { type: 'string', default: '500' },
    'no-io': { type: 'boolean', default: false },
  },
});
const CYCLES = Number(args.cycles);
const EVERY = Number(args.every);
const WITH_IO = !args['no-io'];
/** Past the server's close linger (CLOSE_LINGER_MS in @syfala/network's control, 1 s). */
const SETTLE_MS = 1100;

interface Row {
  readonly cycles: number;
  readonly server: ServerSample;
  readonly client: ProcessSample;
  readonly msPerCycle: number;
}

/** One client's whole life: connect, start and stop I/O, disconnect. */
async function cycle(target: { host: string; udpPort: number; controlPort: number }) {
  const connected = await connect(target, { transport: 'tcp', clientName: 'churn' });
  if (!WITH_IO) {
    await connected.disconnect();
    return;
  }
  const streaming = await connected.startIo();
  const idle = await streaming.stopIo();
  await idle.disconnect();
}

/**
 * Samples once the server has ended the last session and the last connection's close linger is
 * over: what is left then is what stays.
 */
async function settledSample(server: ServerProcess): Promise<ServerSample> {
  while ((await server.sample(false)).server.sessions > 0) await sleep(10);
  await sleep(SETTLE_MS);
  return server.sample(true);
}

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(
    `${CYCLES} cycles of connect (TCP control)${WITH_IO ? ', start I/O, stop I/O' : ''}, ` +
      `disconnect; sampled every ${EVERY} after a full GC\n`,
  );
  const server = await ServerProcess.start();
  const target = { host: '127.0.0.1', ...server.ports };
  const rows: Row[] = [];
  const failures = new Map<string, number>();
  try {
    rows.push({
      cycles: 0,
      server: await settledSample(server),
      client: sampleProcess(true),
      msPerCycle: 0,
    });
    let start = performance.now();
    for (let i = 1; i <= CYCLES; i++) {
      try {
        await cycle(target);
      } catch (error) {
        const message = (error as Error).message;
        failures.set(message, (failures.get(message) ?? 0) + 1);
      }
      if (i % EVERY !== 0) continue;
      const msPerCycle = (performance.now() - start) / EVERY;
      rows.push({
        cycles: i,
        server: await settledSample(server),
        client: sampleProcess(true),
        msPerCycle,
      });
      const last = rows.at(-1)!;
      process.stderr.write(
        `  ${i} cycles: server fds ${last.server.process.fds}, RSS ${mib(last.server.process.rssBytes)} MiB\n`,
      );
      start = performance.now();
    }
    const final = rows.at(-1)!.server.server;
    print(rows);
    console.log(
      `\nServer: ${final.sessionsOpened} sessions opened, ${final.tcp!.handshakesCompleted} ` +
        `handshakes, ${final.sessions} open at the end, refused ${JSON.stringify(final.refused)}`,
    );
    console.log(
      failures.size === 0
        ? 'Client: every cycle succeeded'
        : `Client failures: ${JSON.stringify(Object.fromEntries(failures))}`,
    );
  } finally {
    await server.close();
  }
}

function print(rows: readonly Row[]): void {
  console.log(
    table(
      [
        'cycles',
        'server RSS MiB',
        'server heap MiB',
        'server fds',
        'client RSS MiB',
        'client heap MiB',
        'client fds',
        'ms/cycle',
      ],
      rows.map((r) => [
        String(r.cycles),
        mib(r.server.process.rssBytes),
        mib(r.server.process.heapUsedBytes),
        String(r.server.process.fds),
        mib(r.client.rssBytes),
        mib(r.client.heapUsedBytes),
        String(r.client.fds),
        r.cycles === 0 ? '—' : r.msPerCycle.toFixed(2),
      ]),
    ),
  );
  // The first interval warms up (JIT, pools, lazily made objects); the second half shows whether
  // anything still grows once warm.
  printSlope(rows.slice(1));
  printSlope(rows.filter((r) => r.cycles >= rows.at(-1)!.cycles / 2));
}

/** Least-squares growth per 1000 cycles over `rows`. */
function printSlope(rows: readonly Row[]): void {
  const x = rows.map((r) => r.cycles);
  const per1000 = (y: (r: Row) => number): number => slope(x, rows.map(y)) * 1000;
  const kib = (y: (r: Row) => number): string => `${(per1000(y) / 1024).toFixed(1)} KiB`;
  console.log(
    `\nGrowth per 1000 cycles, fitted from ${x[0]} to ${x.at(-1)} cycles: ` +
      `server RSS ${kib((r) => r.server.process.rssBytes)}, ` +
      `heap ${kib((r) => r.server.process.heapUsedBytes)}, ` +
      `fds ${per1000((r) => r.server.process.fds).toFixed(2)}; ` +
      `client RSS ${kib((r) => r.client.rssBytes)}, ` +
      `heap ${kib((r) => r.client.heapUsedBytes)}, ` +
      `fds ${per1000((r) => r.client.fds).toFixed(2)}`,
  );
}

await main();
