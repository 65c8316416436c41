import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { JackServer } from '@syfala/jack-rig';
import { LOOPBACK_SERVE, ROOT, onJack, serve, syfala, type Cli } from './cli-process.js';
import { tempDir } from './fixtures.js';

// The seeded round trip of the JACK end-to-end tests, on jackd2 (jack.test.ts) and on
// PipeWire's JACK (pipewire.test.ts).

/** A JACK client of ours that plays a seeded signal and records its return (native/tools). */
export const JACK_SIGNAL = join(ROOT, 'native/build/Release/jack_signal');
/**
 * 21 ms each way: exactness must not depend on how a loaded machine schedules four processes.
 * Bit for bit: drift compensation, on by default on JACK, resamples.
 */
export const LATENCY = ['--latency', '1024', '--no-drift-compensation'];
/** Underruns play silence, which the exactness check below recognizes (fade would fill them). */
export const EXACT = ['--concealment', 'silence'];
/** How long jack_signal plays its signal. */
export const SECONDS = 3;

/**
 * The returned signal as runs of samples that equal the sent one exactly at one delay each: a
 * glitch (an underrun re-priming the buffer) starts a new run at a new delay; a corrupted sample
 * starts none and is counted as unexplained.
 */
export function exactRuns(
  sent: Float32Array,
  back: Float32Array,
): { runs: { start: number; delay: number; length: number }[]; unexplained: number } {
  const runs: { start: number; delay: number; length: number }[] = [];
  let unexplained = 0;
  let i = back.findIndex((sample) => sample !== 0);
  while (i >= 0 && i < back.length) {
    const run = runs.at(-1);
    if (run !== undefined && sent[i - run.delay] === back[i]) {
      run.length++;
      i++;
      continue;
    }
    if (back[i] === 0) {
      i++;
      continue;
    }
    // A new run: the sample's first earlier occurrence in what was sent (xorshift never repeats).
    let k = i;
    while (k >= 0 && sent[k] !== back[i]) k--;
    if (k >= 0) {
      runs.push({ start: i, delay: i - k, length: 0 });
    } else {
      unexplained++;
      i++;
    }
  }
  return { runs, unexplained };
}

/** The server's receive_1 wired straight to its send_1: jackd2 gives the loop a period's delay. */
export async function selfLoop(a: JackServer): Promise<void> {
  await a.connect('syfala-server:receive_1', 'syfala-server:send_1');
}

/**
 * Serves JACK server `a` (what arrives is looped back by `loop`), connects to it from JACK server
 * `b` (the same one will do) with the same `flags` for `streamSeconds`, and sends jack_signal's
 * seeded signal through the round trip. Every process runs in its server's env(). Returns both
 * syfala processes, still running, and what was sent and what came back.
 */
export async function signalRoundTrip(
  a: JackServer,
  b: JackServer,
  flags: readonly string[],
  streamSeconds: number,
  seed: string,
  loop: (a: JackServer) => Promise<void> = selfLoop,
): Promise<{ server: Cli; client: Cli; sent: Float32Array; back: Float32Array }> {
  const server = syfala(
    [
      'serve',
      ...onJack(a),
      '--no-auto-connect',
      '--name',
      'rig-a',
      ...LOOPBACK_SERVE,
      '--log',
      'json',
      ...flags,
    ],
    a.env(),
  );
  const { udpPort } = await serve(server);
  await loop(a);
  const client = syfala(
    [
      'connect',
      `127.0.0.1:${udpPort}`,
      ...onJack(b),
      '--no-auto-connect',
      '--duration',
      String(streamSeconds),
      '--json',
      ...flags,
    ],
    b.env(),
  );
  await b.waitForPorts(['syfala-rig-a:capture_1', 'syfala-rig-a:playback_1']);
  const recording = join(tempDir(), 'signal.raw');
  const signal = spawn(JACK_SIGNAL, [b.name, String(SECONDS), recording, seed], {
    env: b.env(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(signal.stdout!, 'data');
  await b.connect('jack_signal:signal', 'syfala-rig-a:playback_1');
  await b.connect('syfala-rig-a:capture_1', 'jack_signal:return');
  expect(((await once(signal, 'close')) as [number | null])[0]).toBe(0);
  const pairs = new Float32Array(readFileSync(recording).buffer.slice(0));
  return {
    server,
    client,
    sent: pairs.filter((_, i) => i % 2 === 0),
    back: pairs.filter((_, i) => i % 2 === 1),
  };
}
