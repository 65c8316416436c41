import { describe, expect, it } from 'vitest';
import type { StatusJson } from '../src/observe/status.js';
import { expectOneSentence, syfala } from './cli-process.js';
import { sleep } from './fixtures.js';
import { serveWithMetrics, statusOf } from './observe.js';

async function info(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = syfala(['info', ...args]);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}

describe("syfala info on a daemon's --metrics address", () => {
  it(
    'shows the endpoint and each session both ways, each as its receiver says (the client through its Stats)',
    { timeout: 40_000 },
    async () => {
      const { cli, udpPort, base } = await serveWithMetrics(['--name', 'Studio A']);
      const idle = await info([`${base}/`]);
      expect(idle.code).toBe(0);
      expect(idle.stdout).toMatch(/^name: {6}Studio A$/m);
      expect(idle.stdout).toMatch(/^sessions: {2}none$/m);

      const client = syfala([
        'connect',
        `127.0.0.1:${udpPort}`,
        '--duration',
        '20s',
        '--json',
        '--client-name',
        'Stage left',
      ]);
      // Stats arrive once a second after I/O starts.
      let status: StatusJson;
      do {
        await sleep(500);
        status = await statusOf(base);
      } while (status.sessions[0]?.peer === null || status.sessions.length === 0);

      const streaming = await info([base]);
      expect(streaming.code).toBe(0);
      const lines = streaming.stdout.split('\n');
      expect(lines).toContain('sessions:  1');
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^ {2}"Stage left" from 127\.0\.0\.1:\d+ over TCP, encrypted, streaming$/,
        ),
      );
      const way = (name: string, sender: string, receiver: string): RegExp =>
        new RegExp(
          `^ {4}${name}, stream 1 \\(f32/48000Hz/2ch/32\\): ${sender} sent \\d+; ${receiver} got \\d+, ` +
            `lost \\d+ fr, late \\d+, dup \\d+, underruns \\d+, jitter [\\d.]+ ms, target 10\\.0 ms, buffered [\\d.]+ ms$`,
        );
      expect(lines).toContainEqual(
        expect.stringMatching(way('client → daemon', 'client', 'daemon')),
      );
      expect(lines).toContainEqual(
        expect.stringMatching(way('daemon → client', 'daemon', 'client')),
      );

      // --json is the daemon's /status.json itself.
      const json = JSON.parse((await info([base, '--json'])).stdout) as StatusJson;
      expect(json.endpoint.name).toBe('Studio A');
      expect(json.sessions).toEqual([
        expect.objectContaining({
          client: 'Stage left',
          peer: expect.objectContaining({ streams: expect.any(Array) }),
        }),
      ]);

      client.child.kill('SIGINT');
      await client.exited;
      cli.child.kill('SIGTERM');
      expect((await cli.exited).code).toBe(0);
    },
  );

  it('says in one sentence when nothing serves status there', async () => {
    expectOneSentence(
      await info(['http://127.0.0.1:3/', '--timeout', '2s']),
      /^syfala: no syfala status at http:\/\/127\.0\.0\.1:3\/status\.json: connect ECONNREFUSED/,
    );
  });
});
