import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { connect } from '@syfala/network';
import { BIN, LOOPBACK_SERVE, ROOT, jsonLines, serve, syfala, type Cli } from './cli-process.js';

const PSK = 'correct horse battery staple';
/** The unicast beacon's answer comes at once; a loaded machine may take a while to send it. */
const RESOLVE = ['--timeout', '3000'];

/** `syfala connect … --json` to `udpPort` for a second: its summary line, once it exited 0. */
async function connectSummary(udpPort: number, flags: readonly string[] = []) {
  const client = syfala([
    'connect',
    `127.0.0.1:${udpPort}`,
    ...RESOLVE,
    '--duration',
    '1',
    '--json',
    ...flags,
  ]);
  expect(await client.exited).toEqual({ code: 0, signal: null });
  expect(client.stderr).toBe('');
  const summary = jsonLines(client.stdout).at(-1)!;
  expect(summary).toMatchObject({ type: 'summary' });
  return summary;
}

/** The text log's listening line, once serve listens. */
async function listeningLine(server: Cli): Promise<string> {
  await vi.waitFor(() => expect(server.stderr).toMatch(/listening as .*\n/), { timeout: 20_000 });
  return /listening as .*\n/.exec(server.stderr)![0];
}

/** The serve log's session-opened lines so far. */
const opened = (server: Cli): Record<string, unknown>[] =>
  jsonLines(server.stderr).filter((line) => line['event'] === 'session-opened');

describe('syfala connect and serve: encrypted audio', () => {
  it(
    'says the audio is encrypted without a key, and clear with connect --no-encryption',
    { timeout: 60_000 },
    async () => {
      const server = syfala(['serve', ...LOOPBACK_SERVE, '--log', 'json']);
      const { udpPort } = await serve(server);
      expect(await server.logEvent('listening')).toMatchObject({ encryption: true });

      const encrypted = await connectSummary(udpPort);
      expect(encrypted['audio']).toBe(
        'audio: encrypted (ChaCha20-Poly1305, not authenticated: no pre-shared key)',
      );
      const clear = await connectSummary(udpPort, ['--no-encryption']);
      expect(clear['audio']).toBe('audio: NOT encrypted (--no-encryption)');
      expect(clear['authFailed']).toBeUndefined();
      // An embedded peer's way in, UDP control, stays clear (version 1): the log says so.
      const embedded = await connect(
        { host: '127.0.0.1', udpPort, controlPort: 0 },
        { transport: 'udp', clientName: 'firmware' },
      );
      await vi.waitFor(() => expect(opened(server)).toHaveLength(3), { timeout: 5000 });
      await embedded.disconnect();

      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(opened(server).map(({ transport, encrypted }) => ({ transport, encrypted }))).toEqual([
        { transport: 'tcp', encrypted: true },
        { transport: 'tcp', encrypted: false },
        { transport: 'udp', encrypted: false },
      ]);
    },
  );

  it(
    'interoperates clear with serve --no-encryption, a pre-shared key or not',
    { timeout: 60_000 },
    async () => {
      const server = syfala([
        'serve',
        ...LOOPBACK_SERVE,
        '--psk',
        PSK,
        '--no-encryption',
        '--log',
        'text',
      ]);
      const listening = await listeningLine(server);
      expect(listening).toMatch(/audio encryption off \(--no-encryption\)/);
      const udpPort = Number(/UDP (\d+)/.exec(listening)![1]);
      const summary = await connectSummary(udpPort, ['--psk', PSK]);
      expect(summary['audio']).toBe('audio: NOT encrypted (server does not offer it)');
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.stderr).toMatch(
        /session opened: ".*" from 127\.0\.0\.1:\d+ over TCP, audio NOT encrypted \(--no-encryption\)\n/,
      );
    },
  );

  it(
    'prints on a terminal that the keys are bound to the pre-shared key, and so logs serve',
    { timeout: 60_000 },
    async () => {
      const server = syfala(['serve', ...LOOPBACK_SERVE, '--psk', PSK, '--log', 'text']);
      const listening = await listeningLine(server);
      expect(listening).toMatch(/audio encryption on/);
      const udpPort = /UDP (\d+)/.exec(listening)![1]!;
      // A terminal (script(1) gives it one): the status lines, then the summary as text.
      const terminal = await onTerminal([
        'connect',
        `127.0.0.1:${udpPort}`,
        ...RESOLVE,
        '--psk',
        PSK,
        '--duration',
        '1',
      ]);
      expect(terminal.code).toBe(0);
      const lines = terminal.output.split(/\r?\n/);
      // Once when streaming starts, once in the summary.
      const said = lines.filter((line) =>
        line.includes('audio: encrypted (ChaCha20-Poly1305, keys bound to the pre-shared key)'),
      );
      expect(said).toHaveLength(2);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(server.stderr).toMatch(
        /session opened: ".*" from 127\.0\.0\.1:\d+ over TCP, audio encrypted\n/,
      );
    },
  );

  it(
    'streams encrypted end to end: every frame arrives, none fails authentication',
    { timeout: 60_000 },
    async () => {
      const server = syfala(['serve', ...LOOPBACK_SERVE, '--psk', PSK, '--log', 'json']);
      const { udpPort } = await serve(server);
      const summary = await connectSummary(udpPort, ['--psk', PSK, '--latency', '4800']);
      expect(summary['audio']).toBe(
        'audio: encrypted (ChaCha20-Poly1305, keys bound to the pre-shared key)',
      );
      // PeerStats.security: present once the engine seals and opens (docs/SECURITY.md §4).
      expect(summary).toMatchObject({ authFailed: 0, replayed: 0 });
      const [stream] = summary['streams'] as { framesReceived: number; lostFrames: number }[];
      expect(stream!.framesReceived).toBeGreaterThan(24_000);
      expect(stream!.lostFrames).toBe(0);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
    },
  );

  it('explains --no-encryption in both commands’ --help', async () => {
    for (const command of ['serve', 'connect']) {
      const help = syfala([command, '--help']);
      expect((await help.exited).code).toBe(0);
      expect(help.stdout).toMatch(/--no-encryption\s+send and accept .*audio clear/);
      expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/ChaCha20-Poly1305, keys from/);
    }
  });
});

/** Runs the CLI with a terminal for stdout (script(1)): its exit code and what it printed. */
async function onTerminal(args: readonly string[]): Promise<{ code: number; output: string }> {
  const command = [process.execPath, BIN, ...args]
    .map((word) => `'${word.replaceAll("'", "'\\''")}'`)
    .join(' ');
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code] = (await once(child, 'close')) as [number];
  return { code, output };
}
