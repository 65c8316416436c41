/**
 * Round trip and CPU through the native engine alone (the library, no CLI, no relay) between two
 * dummy JACK servers, with and without drift compensation and the adaptive target (issue #14),
 * and sealed (encrypted audio, issue #16: `--modes fixed,sealed --channels 2,64,256`):
 *
 *   SYFALA_JACK_SERVER_PREFIX=me- bash scripts/pnpm.sh exec tsx bench/jack/native-link.ts \
 *        [--seconds 30] [--period 64] [--latency 64,128] [--runs 1] [--channels 2]
 *        [--modes fixed,drift,drift+adaptive,sealed]
 *
 * Per target and mode: fresh servers A and B, one engine-side.ts process per side streaming
 * straight to the other's port, A's received stream looped into its send stream, jack_iodelay
 * on B (as latency.ts does for the CLI bridges). The reading includes the rig's 2 periods.
 */
import { parseArgs } from 'node:util';
import { ManagedProcess, sleep, treeCpuSeconds } from '@syfala/jack-rig';
import type { EngineStats, PeerSecurityStats } from '@syfala/audio';
import { freeUdpPort, range, type Bridge, type BridgeCounters } from './bridges.js';
import { fmt, machine, numberList, runRig, table } from './rig.js';

const ENGINE_SIDE = new URL('./engine-side.ts', import.meta.url).pathname;
const START_TIMEOUT_MS = 15_000;
type Received = EngineStats['peers'][number]['received'];

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    period: { type: 'string', default: '64' },
    latency: { type: 'string', default: '64,128' },
    runs: { type: 'string', default: '1' },
    channels: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'fixed,drift,drift+adaptive' },
  },
});
const seconds = Number(values.seconds);
const period = Number(values.period);
const runs = Number(values.runs);

const MODES = {
  fixed: [],
  drift: ['--drift-compensation'],
  'drift+adaptive': ['--drift-compensation', '--adaptive-latency'],
  // Each side's own direction is added per side (A sends client-to-server).
  sealed: [],
} as const;
type Mode = keyof typeof MODES;
const modes = values.modes.split(',').map((m) => {
  if (!(m in MODES))
    throw new Error(`--modes: ${m} is not one of ${Object.keys(MODES).join(', ')}`);
  return m as Mode;
});

/** One side's process and what its latest stats line said about the stream it receives. */
function side(server: string, client: string, ports: [number, number], args: readonly string[]) {
  let ready = false;
  let received: Received = [];
  let security: PeerSecurityStats | undefined;
  const child = new ManagedProcess(
    process.execPath,
    [
      ...['--import', 'tsx', ENGINE_SIDE, '--server', server, '--client', client],
      ...['--bind-port', String(ports[0]), '--peer-port', String(ports[1])],
      ...['--period', String(period), ...args],
    ],
    {
      onLine: (line) => {
        if (line.startsWith('{"event":"ready"')) ready = true;
        if (line.startsWith('{"event":"stats"')) {
          const stats = JSON.parse(line) as { received?: Received; security?: PeerSecurityStats };
          received = stats.received ?? [];
          security = stats.security;
        }
      },
    },
  );
  return {
    child,
    async ready(): Promise<void> {
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (!ready) {
        if (child.exit || Date.now() > deadline) throw new Error(`engine-side: ${child.tail(6)}`);
        await sleep(20);
      }
    },
    counters(): BridgeCounters | null {
      const r = received[0];
      return r
        ? { underruns: r.underruns, overflows: r.overrunDatagrams, lost: r.lostFrames }
        : null;
    },
    /** Target and drift now, for the table. */
    state(): string {
      const r = received[0];
      if (!r) return '';
      const drift = r.driftPpm === undefined ? '' : `, ${fmt(r.driftPpm, 1)} ppm`;
      const refused = security ? `, ${security.authFailed + security.replayed} refused` : '';
      return `${r.targetLatencyFrames}${drift}${refused}`;
    },
  };
}

function nativeLink(latency: number, mode: Mode, states: string[]): Bridge {
  return {
    label: `native ${mode} ${latency}`,
    kind: 'syfala',
    lostUnit: 'frames',
    async start(a, b, channels) {
      const [portA, portB] = [await freeUdpPort(), await freeUdpPort()];
      const args = ['--latency', String(latency), '--channels', String(channels), ...MODES[mode]];
      const sealed = (direction: string): string[] =>
        mode === 'sealed' ? ['--sealed', direction] : [];
      const atA = side(
        a.name,
        'native-a',
        [portA, portB],
        [...args, ...sealed('client-to-server')],
      );
      const atB = side(
        b.name,
        'native-b',
        [portB, portA],
        [...args, ...sealed('server-to-client')],
      );
      const stop = async (): Promise<void> => {
        states.push(`A ${atA.state()} / B ${atB.state()}`);
        await atB.child.stop();
        await atA.child.stop();
      };
      try {
        await atA.ready();
        await atB.ready();
        for (const c of range(channels))
          await a.connect(`native-a:receive_${c}`, `native-a:send_${c}`);
      } catch (err) {
        await stop();
        throw err;
      }
      return {
        sendB: (c) => `native-b:send_${c}`,
        receiveB: (c) => `native-b:receive_${c}`,
        counters: () => ({ a: atA.counters(), b: atB.counters() }),
        cpu: () => ({ a: treeCpuSeconds(atA.child.pid!), b: treeCpuSeconds(atB.child.pid!) }),
        tails: (n) => ({ a: atA.child.lines.slice(-n), b: atB.child.lines.slice(-n) }),
        stop,
      };
    },
  };
}

console.log(machine());
console.log(`Native engine round trip and CPU, period ${period} frames, ${seconds} s per row\n`);
const rows: string[][] = [];
for (let run = 1; run <= runs; run++) {
  for (const channels of numberList(values.channels, '--channels')) {
    for (const latency of numberList(values.latency, '--latency')) {
      for (const mode of modes) {
        const states: string[] = [];
        const bridge = nativeLink(latency, mode, states);
        process.stderr.write(`${bridge.label}, ${channels} channels: measuring ${seconds} s …\n`);
        try {
          const r = await runRig(bridge, { period, channels, seconds });
          const t = r.roundTrip;
          const within = t.readings.filter((x) => Math.abs(x - t.median) <= period).length;
          rows.push([
            bridge.label,
            String(channels),
            fmt(r.cpuA, 2),
            fmt(r.cpuB, 2),
            fmt(t.median, 1),
            fmt(t.min, 1),
            fmt(t.max, 1),
            `${fmt((100 * within) / Math.max(1, t.readings.length))} %`,
            `${(r.a?.underruns ?? 0) + (r.b?.underruns ?? 0)}`,
            `${(r.a?.lost ?? 0) + (r.b?.lost ?? 0)}`,
            states.join(''),
          ]);
        } catch (err) {
          rows.push([bridge.label, String(channels), `failed: ${(err as Error).message}`]);
        }
      }
    }
  }
}
console.log(
  table(
    [
      'link',
      'channels',
      'CPU s A',
      'CPU s B',
      'reading median',
      'min',
      'max',
      'within a period',
      'underruns (A+B)',
      'lost frames',
      'target at end, drift',
    ],
    rows,
  ),
);
