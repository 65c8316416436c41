import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { sleep } from './fixtures.js';

/**
 * The adversaries of attack.test.ts (issue #16, docs/SECURITY.md §1): an on-path attacker
 * that forges the peer's source address (spoof-audio.py) and a passive listener (tshark). Both run
 * only inside the private network namespace of scripts/in-netns.sh, where loopback is all there is.
 */

/** Whether this run is inside scripts/in-netns.sh's namespace (as root: it makes one). */
export const NETNS = process.env['SYFALA_NETNS'] === '1';

/** The flag that makes a session's audio clear: the threat the encrypted default removes. */
export const CLEAR = ['--no-encryption'];

export const hasTshark = spawnSync('tshark', ['--version']).status === 0;

// Debian's python3 (the standard library is all the attacker uses).
const PYTHON = '/usr/bin/python3';
const SPOOF = fileURLToPath(new URL('./spoof-audio.py', import.meta.url));

/** What spoof-audio.py saw of one stream it attacked, and what it forged. */
export interface AttackedStream {
  /** The victim's port: the forgeries' source. */
  victimPort: number;
  /** Where the forgeries went. */
  targetPort: number;
  stream: number;
  /** The end of the newest real bytes seen, and of the forged ones. */
  liveEnd: number;
  forgedEnd: number;
  keyId: number;
  sent: { AUDI: number; AUDE: number };
}

export interface AttackOptions {
  /** [victim port, target port]: forge the victim's datagrams to the target. */
  readonly flows: readonly (readonly [number, number])[];
  readonly frameBytes: number;
  /** How far ahead of the live stream the forged bytes start. */
  readonly aheadBytes: number;
  /** How many forged bytes it keeps ahead of that. */
  readonly leadBytes: number;
  readonly seconds: number;
  /** The float32 sample every forged AUDI payload repeats. */
  readonly marker: number;
}

/**
 * Runs spoof-audio.py until it has forged for `seconds` once it saw the victims' audio; resolves
 * with each attacked stream. A test that ends with it still running kills it.
 */
export async function spoofAudio(options: AttackOptions): Promise<AttackedStream[]> {
  const args = [
    SPOOF,
    ...options.flows.flatMap(([victim, target]) => ['--flow', `${victim}:${target}`]),
    '--frame-bytes',
    String(options.frameBytes),
    '--ahead-bytes',
    String(options.aheadBytes),
    '--lead-bytes',
    String(options.leadBytes),
    '--seconds',
    String(options.seconds),
    '--marker',
    String(options.marker),
  ];
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`spoof-audio.py exited ${code}: ${stderr}`);
  return (JSON.parse(stdout) as { streams: AttackedStream[] }).streams;
}

/** UDP datagrams this network namespace's sockets dropped for want of buffer room, so far. */
export function udpReceiveBufferErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Udp: '));
  const [names, values] = lines.map((line) => line.split(/\s+/));
  return Number(values![names!.indexOf('RcvbufErrors')]);
}

/** A running tshark capture of `filter` on loopback into a pcapng file. */
export interface Capture {
  /** Stops tshark (SIGINT: it finishes the file) and waits for it. */
  stop(): Promise<void>;
}

/** Starts tshark on loopback with a capture filter; resolves once it captures. */
export async function startCapture(filter: string, path: string): Promise<Capture> {
  const child = spawn('tshark', ['-i', 'lo', '-f', filter, '-w', path, '-q'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = once(child, 'close');
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const deadline = Date.now() + 15_000;
  while (!/Capturing on/.test(stderr)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`tshark did not start capturing: ${stderr}`);
    }
    await sleep(20);
  }
  return {
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** One UDP datagram of a capture, as tshark dissects it. */
export interface CapturedDatagram {
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

/** The UDP datagrams of a capture file, read back by tshark. */
export function readCapture(path: string): CapturedDatagram[] {
  const result = spawnSync(
    'tshark',
    ['-r', path, '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'udp.payload'],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  if (result.status !== 0) throw new Error(`tshark -r ${path} failed: ${result.stderr}`);
  return result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [src, dst, hex] = line.split('\t');
      return {
        srcPort: Number(src),
        dstPort: Number(dst),
        payload: Buffer.from(hex!.replaceAll(':', ''), 'hex'),
      };
    });
}
