import { spawnSync } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCommand, startJackServer, uniqueServerName, type JackServer } from '@syfala/jack-rig';
import { LOOPBACK_SERVE, onJack, serve, syfala } from './cli-process.js';

// jack_property ships with jackd2 (example-clients); it reads JACK's metadata store.
const hasJack =
  spawnSync('jackd', ['--version']).status === 0 &&
  spawnSync('jack_property', ['-h']).error === undefined;
const needsJack = hasJack ? '' : ' [skipped: needs jackd2 (jackd, jack_lsp, jack_property)]';

const PRETTY_NAME = 'http://jackaudio.org/metadata/pretty-name';

/** Port → 'input' | 'output', from `jack_lsp -p`. */
async function directions(server: JackServer): Promise<Map<string, string>> {
  const result = await runCommand('jack_lsp', ['-s', server.name, '-p'], { env: server.env() });
  const ports = new Map<string, string>();
  let port = '';
  for (const line of result.stdout.split('\n')) {
    if (!/^\s/.test(line)) port = line;
    const flags = /properties: (\w+),/.exec(line);
    if (flags !== null) ports.set(port, flags[1]!);
  }
  return ports;
}

/** The pretty name of a port or client (`kind`), or '' when it has none. */
async function prettyName(
  server: JackServer,
  kind: 'port' | 'client',
  name: string,
): Promise<string> {
  const args = ['-l', `--${kind}`, name, PRETTY_NAME];
  const result = await runCommand('jack_property', args, { env: server.env() });
  return result.code === 0 ? result.stdout.trim() : '';
}

/** Every value in JACK's metadata store (`jack_property -l`). */
async function allValues(server: JackServer): Promise<string[]> {
  const result = await runCommand('jack_property', ['-l'], { env: server.env() });
  return [...result.stdout.matchAll(/value: (.*)$/gm)].map((match) => match[1]!);
}

describe('JACK port names', () => {
  it(`say what each port does in the graph, with pretty names set and then removed${needsJack}`, async (ctx) => {
    if (!hasJack) ctx.skip();
    const server = await startJackServer({ name: uniqueServerName('names') });
    onTestFinished(() => server.stop());
    // Unique: jackd2 keeps one metadata store per user, shared by every server.
    const endpoint = `Names ${process.pid}`;
    const serving = syfala([
      'serve',
      ...onJack(server),
      '--name',
      endpoint,
      '--inputs',
      'f32/48000/2/64,f32/48000/1/64',
      '--outputs',
      'f32/48000/2/64',
      '--no-auto-connect',
      ...LOOPBACK_SERVE,
      '--log',
      'json',
    ]);
    const { udpPort } = await serve(serving);
    const client = syfala([
      'connect',
      `127.0.0.1:${udpPort}`,
      ...onJack(server),
      '--no-auto-connect',
      '--json',
    ]);
    const clientName = `syfala-Names-${process.pid}`;
    // Two input streams: the stream's number first; one output stream: none.
    const expected = {
      'syfala-server:send1_1': ['input', `${endpoint} send 1 (stream 1)`],
      'syfala-server:send1_2': ['input', `${endpoint} send 2 (stream 1)`],
      'syfala-server:send2_1': ['input', `${endpoint} send 1 (stream 2)`],
      'syfala-server:receive_1': ['output', `${endpoint} receive 1`],
      'syfala-server:receive_2': ['output', `${endpoint} receive 2`],
      [`${clientName}:capture1_1`]: ['output', `${endpoint} capture 1 (stream 1)`],
      [`${clientName}:capture1_2`]: ['output', `${endpoint} capture 2 (stream 1)`],
      [`${clientName}:capture2_1`]: ['output', `${endpoint} capture 1 (stream 2)`],
      [`${clientName}:playback_1`]: ['input', `${endpoint} playback 1`],
      [`${clientName}:playback_2`]: ['input', `${endpoint} playback 2`],
    };
    await server.waitForPorts(Object.keys(expected));
    const ports = await directions(server);
    for (const [port, [direction, pretty]] of Object.entries(expected)) {
      expect({ port, direction: ports.get(port) }).toEqual({ port, direction });
      expect(await prettyName(server, 'port', port)).toBe(pretty);
    }
    expect(await prettyName(server, 'client', 'syfala-server')).toBe(endpoint);
    expect(await prettyName(server, 'client', clientName)).toBe(endpoint);

    client.child.kill('SIGINT');
    expect((await client.exited).code).toBe(0);
    serving.child.kill('SIGTERM');
    expect((await serving.exited).code).toBe(0);
    expect((await allValues(server)).filter((value) => value.startsWith(endpoint))).toEqual([]);
  }, 30_000);
});
