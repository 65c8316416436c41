/**
 * The quick-start demo (`npm run demo`): the whole product on the built-in virtual sound card.
 * `syfala serve` exposes a virtual card (a 440 Hz tone at −12 dBFS on its input); `syfala discover`
 * finds it; `syfala connect` streams both ways for a few seconds and records what it received.
 *
 * Run inside a private network namespace (scripts/in-netns.sh, as root), discovery uses the real
 * methods — multicast beacons and DNS-SD — on the namespace's own loopback. Elsewhere it asks
 * 127.0.0.1 directly. Either way nothing leaves this machine's loopback.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = `${root}apps/syfala/bin/syfala.mjs`;
const recording = `${root}.tmp/demo-take.wav`;
const privateNetwork = process.env['SYFALA_NETNS'] === '1';
const DURATION_S = 4;
/**
 * On a terminal, connect redraws its status line in place: a serve event takes that line (the
 * next redraw puts the status under it) instead of landing in the middle of it.
 */
const CLEAR_LINE = process.stdout.isTTY ? '\r\x1b[K' : '';

/** Runs the CLI; `logs: 'pipe'` keeps its stderr (where serve logs) for the demo to read. */
function syfala(args: string[], logs: 'inherit' | 'pipe' = 'inherit'): ChildProcess {
  return spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', logs] });
}

function finished(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

/** Starts `syfala serve` and resolves with its UDP port once its JSON log says it is listening. */
async function serve(): Promise<{ child: ChildProcess; udpPort: number }> {
  // In the namespace nothing else holds the default ports, which is where beacons are sent.
  const network = privateNetwork
    ? ['--bind', '0.0.0.0']
    : ['--bind', '127.0.0.1', '--no-mdns', '--udp-port', '0', '--control-port', '0'];
  const child = syfala(['serve', '--name', 'demo card', '--log', 'json', ...network], 'pipe');
  const lines = createInterface({ input: child.stderr! });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`syfala serve exited with ${code}`)));
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { event?: string; udpPort?: number };
      if (entry.event === 'listening') resolve({ child, udpPort: entry.udpPort! });
      else if (entry.event !== 'stats') console.log(`${CLEAR_LINE}  [serve] ${entry.event}`);
    });
  });
}

async function main(): Promise<number> {
  mkdirSync(`${root}.tmp`, { recursive: true });
  console.log(
    privateNetwork
      ? '== a private network namespace: discovery by multicast beacons and DNS-SD on its loopback'
      : '== no private network namespace here (needs root): discovery asks 127.0.0.1 directly',
  );
  const server = await serve();
  try {
    const where = privateNetwork ? [] : ['--target', `127.0.0.1:${server.udpPort}`, '--no-mdns'];
    console.log('\n$ syfala discover');
    if ((await finished(syfala(['discover', '--timeout', '1500', ...where]))) !== 0) return 1;

    const endpoint = privateNetwork ? 'demo card' : `127.0.0.1:${server.udpPort}`;
    console.log(`\n$ syfala connect "${endpoint}" --record ${recording} --duration ${DURATION_S}`);
    const code = await finished(
      syfala(['connect', endpoint, '--record', recording, '--duration', String(DURATION_S)]),
    );
    if (code !== 0) return code;
  } finally {
    server.child.kill('SIGTERM');
    await finished(server.child);
  }
  const sox = spawnSync('sox', [recording, '-n', 'stat'], { encoding: 'utf8' });
  if (sox.status === 0) {
    const keep = /^(Length|Maximum amplitude|RMS\s+amplitude)/;
    console.log(
      `\n$ sox ${recording} -n stat\n${sox.stderr
        .split('\n')
        .filter((l) => keep.test(l))
        .join('\n')}`,
    );
  }
  console.log(`\nrecorded what the client received: ${recording}`);
  return 0;
}

process.exitCode = await main();
