import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ROOT, serve, syfala } from './cli-process.js';

const NETNS = process.env['SYFALA_NETNS'] === '1';

/** Erase to the end of the line (ANSI EL). */
const ERASE = '\x1b[K';

/** What a terminal shows for `output`: "\r" returns to column 0, ESC[K erases to the line's end. */
function screen(output: string): string[] {
  return output
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((raw) => {
      let line = '';
      let column = 0;
      for (const part of raw.split(new RegExp(`(\r|${ERASE.replace('[', '\\[')})`))) {
        if (part === '\r') column = 0;
        else if (part === ERASE) line = line.slice(0, column);
        else {
          line = line.slice(0, column) + part + line.slice(column + part.length);
          column += part.length;
        }
      }
      return line;
    });
}

/** Runs a command on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function onTerminal(command: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}:\n${output}`)),
    );
  });
}

describe('on a terminal', () => {
  it(
    'the demo: the status line says target and buffered, the lookup says what it does, and ' +
      "serve's events never land inside the redrawn status line",
    { timeout: 60_000 },
    async () => {
      // Outside the namespace's default ports: the demo asks 127.0.0.1 directly.
      const env = { ...process.env, SYFALA_NETNS: '' };
      const output = await onTerminal('node examples/dist/demo.js', env);
      expect(output).toMatch(
        /\d:\d\d {2}target 480 fr \(10 ms\) {2}buffered \d+ fr \([\d.]+ ms\) {2}jitter [\d.]+ ms {2}missing \d+ {2}lost \d+/,
      );
      // The server's view, from its Stats (sent each second once I/O runs).
      expect(output).toMatch(/rx \d+ {2}\| server: lost \d+ {2}late \d+ {2}underruns \d+/);
      // The virtual card loses nothing when its timer stalls: named for what it is, not "xruns".
      expect(output).toMatch(/underruns \d+ {2}stalls \d+ {2}rx \d+/);
      expect(output).not.toMatch(/ {2}xruns \d+/);
      expect(output).toMatch(
        /syfala: looking for a Syfala server at 127\.0\.0\.1:\d+ \(up to 1500 ms\)/,
      );
      expect(output).toMatch(/syfala: found "demo card" at 127\.0\.0\.1:\d+ \(beacon\) in \d+ ms/);
      const lines = screen(output);
      const events = lines.filter((line) => line.includes('[serve]'));
      expect(events.map((line) => line.replace(/ \S+$/, ''))).toEqual(
        events.map(() => '  [serve]'),
      );
      expect(events).toContain('  [serve] io-stopped');
    },
  );

  it.skipIf(!NETNS)(
    'connect NAME stops looking as soon as the name is found, not at --timeout',
    { timeout: 60_000 },
    async () => {
      // In the private namespace: multicast and DNS-SD on its loopback only.
      const server = syfala([
        'serve',
        '--udp-port',
        '0',
        '--control-port',
        '0',
        '--name',
        'quick find',
      ]);
      await serve(server);
      const started = performance.now();
      const info = syfala(['info', 'quick find', '--timeout', '30s']);
      expect((await info.exited).code).toBe(0);
      expect(info.stdout).toMatch(/^name: {6}quick find$/m);
      // Before, it listened out the whole 30 s.
      expect(performance.now() - started).toBeLessThan(15_000);
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    },
  );
});
