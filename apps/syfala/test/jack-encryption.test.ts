// Its own file, so its own process: jackd2's libjack serves a process one server.
//
// Encrypted audio across the two data planes, through the real CLI: a server on JACK (the C++
// engine seals and opens) loops what arrives straight back to a client playing a file on the
// TypeScript engine (Node's crypto). Both directions are sealed by one plane and opened by the
// other; the recording must be the file, sample for sample.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readWavFile } from '@syfala/audio';
import { startJackServer, uniqueServerName } from '@syfala/jack-rig';
import { LOOPBACK_SERVE, ROOT, jsonLines, onJack, serve, syfala } from './cli-process.js';
import { matchingFrames, tempDir, writeSignal } from './fixtures.js';

/** jackd2, and the addon built with libjack (its JACK tool stands for it, as in jack.test.ts). */
const hasJack =
  spawnSync('jackd', ['--version']).status === 0 &&
  existsSync(join(ROOT, 'native/build/Release/jack_signal'));
const RATE = 48_000;
const EXACT = ['--concealment', 'silence'];

describe.skipIf(!hasJack)('encrypted audio between the native and the TypeScript engine', () => {
  it(
    'a file played through a JACK server looped back comes back exact, sealed both ways',
    { timeout: 60_000 },
    async () => {
      const jack = await startJackServer({
        name: uniqueServerName('syfala-e2e'),
        sampleRate: RATE,
      });
      onTestFinished(() => jack.stop());
      const dir = tempDir();
      const played = join(dir, 'played.wav');
      const recorded = join(dir, 'recorded.wav');
      const format = { sampleType: 'f32', sampleRate: RATE, channels: 2 } as const;
      const signal = await writeSignal(played, format, RATE, 11, 0.5);
      const server = syfala([
        'serve',
        ...onJack(jack),
        '--no-auto-connect',
        ...LOOPBACK_SERVE,
        ...['--latency', '4096', '--no-drift-compensation', ...EXACT],
      ]);
      const { udpPort } = await serve(server);
      await jack.connect('syfala-server:receive_1', 'syfala-server:send_1');
      await jack.connect('syfala-server:receive_2', 'syfala-server:send_2');
      // Half a second of jitter buffer on the TS side: nothing late on a loaded machine.
      const client = syfala([
        'connect',
        `127.0.0.1:${udpPort}`,
        ...['--play', played, '--record', recorded, '--duration', '4'],
        ...['--latency', '24000', ...EXACT, '--json'],
      ]);
      expect((await client.exited).code).toBe(0);
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);

      const summary = jsonLines(client.stdout).find((line) => line['type'] === 'summary');
      expect(summary).toMatchObject({
        audio: expect.stringContaining('encrypted') as string,
        authFailed: 0,
        replayed: 0,
      });
      const match = matchingFrames((await readWavFile(recorded)).samples, signal, 2);
      expect(match).toMatchObject({ offset: 0, frames: RATE });
    },
  );
});
