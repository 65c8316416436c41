import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseRelayArgs } from '../src/cli-options.js';
import type { RelayReport } from '../src/index.js';
import { audioRun, peer, until } from './harness.js';

// The real command, as a user runs it: the built bin in a child process (`tsc -b` first).
const BIN = fileURLToPath(new URL('../bin/syfala-relay.mjs', import.meta.url));

function relayCommand(args: readonly string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  const exited = once(child, 'close').then(([code]) => code as number | null);
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, output, exited };
}

describe('the syfala-relay command line', () => {
  it('reads the impairments, for both directions unless told', () => {
    const args =
      '--listen 127.0.0.1:7000 --target 127.0.0.1:6910 --loss 1% --reorder 1% --jitter 2ms --seed 42';
    expect(parseRelayArgs(args.split(' '))).toEqual({
      help: false,
      options: {
        listen: { address: '127.0.0.1', port: 7000 },
        target: { address: '127.0.0.1', port: 6910 },
        seed: 42,
        allowRemote: false,
        impairments: {
          toTarget: {
            loss: 0.01,
            reorder: { probability: 0.01, positions: 1 },
            jitter: { uniformMs: 2, keepOrder: false },
          },
          toSource: {
            loss: 0.01,
            reorder: { probability: 0.01, positions: 1 },
            jitter: { uniformMs: 2, keepOrder: false },
          },
        },
      },
    });
    const more = parseRelayArgs([
      ...['--target', '[::1]:6910', '--direction', 'to-source', '--burst-loss', '1%,30%,0.9'],
      ...['--reorder', '0.5', '--reorder-delay', '1s', '--delay', '250us', '--spike', '1%,20ms'],
      ...['--keep-order', '--corrupt', '2%', '--corrupt-bits', '4', '--truncate', '0'],
      '--audio-only',
    ]);
    expect(more).toMatchObject({
      options: {
        target: { address: '::1', port: 6910 },
        impairments: {
          toSource: {
            burstLoss: { goodToBad: 0.01, badToGood: 0.3, lossInBad: 0.9 },
            reorder: { probability: 0.5, delayMs: 1000 },
            jitter: { baseMs: 0.25, spikeProbability: 0.01, spikeMs: 20, keepOrder: true },
            corrupt: { probability: 0.02, maxBits: 4 },
            truncate: 0,
            audioOnly: true,
          },
        },
      },
    });
    expect(more.help ? undefined : more.options.impairments?.toTarget).toBeUndefined();
  });

  it.each([
    [['--loss', '1%'], '--target is required'],
    [['--target', '127.0.0.1:9', '--loss', 'lots'], '--loss: a probability'],
    [['--target', '127.0.0.1:9', '--delay', '5 min'], '--delay: a duration'],
    [['--target', '127.0.0.1:9', '--corrupt-bits', '2'], '--corrupt-bits needs --corrupt'],
    [['--target', '127.0.0.1:9', '--direction', 'up'], '--direction'],
    [['--target', '127.0.0.1'], '--target must be HOST:PORT'],
    [['--target', '127.0.0.1:9', '--listen', '::1:0'], '--listen must be HOST:PORT'],
  ])('refuses %j', (args, message) => {
    expect(() => parseRelayArgs(args)).toThrow(message);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'relays until %s, then prints its report as JSON',
    async (signal) => {
      const target = await peer();
      const source = await peer();
      const relay = relayCommand([
        '--target',
        `127.0.0.1:${target.port}`,
        '--loss',
        '50%',
        '--seed',
        '42',
      ]);
      await until(() => relay.output.stderr.includes('\n'));
      const listening = JSON.parse(relay.output.stderr) as { listen: string; seed: number };
      expect(listening).toMatchObject({ event: 'listening', seed: 42 });
      const port = Number(listening.listen.split(':')[1]);
      for (const datagram of audioRun(100)) source.socket.send(datagram, port, '127.0.0.1');
      // Seed 42 keeps 42 of these 100: once 40 are through, the relay has dealt with 96.
      await until(() => target.received.length >= 40);

      relay.child.kill(signal);
      expect(await relay.exited).toBe(0);
      const report = JSON.parse(relay.output.stdout) as RelayReport;
      expect(report.seed).toBe(42);
      expect(report.toTarget.dropped).toBeGreaterThan(20);
      expect(report.toTarget.sent + report.toTarget.dropped).toBe(report.toTarget.received);
      expect(report.toTarget.streams[0]!.dropped).toHaveLength(report.toTarget.dropped);
    },
  );

  it('refuses, in one sentence, to relay to an address that is not loopback', async () => {
    const relay = relayCommand(['--target', '192.0.2.1:9']);
    expect(await relay.exited).toBe(1);
    expect(relay.output.stderr).toMatch(
      /^syfala-relay: target: refusing 192\.0\.2\.1, which is not loopback.*--allow-remote\)\n$/,
    );
  });

  it('exits 2 on a usage error', async () => {
    const relay = relayCommand(['--target', '127.0.0.1:9', '--lost', '1%']);
    expect(await relay.exited).toBe(2);
    expect(relay.output.stderr).toMatch(/^syfala-relay: .*--lost.*\(--help for usage\)\n$/);
  });
});
