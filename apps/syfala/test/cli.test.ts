import { spawnSync } from 'node:child_process';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { readWavFile } from '@syfala/audio';
import { connect } from '@syfala/network';
import { decodeMessage, encode } from '@syfala/proto';
import { hasSox, matchingFrames, needsSox, tempDir, writeSignal } from './fixtures.js';
import {
  Cli,
  LOOPBACK_SERVE,
  ROOT,
  expectOneSentence,
  jsonLines,
  serve,
  syfala,
} from './cli-process.js';

/**
 * Jitter-buffer target for these tests: 100 ms, so that checks of exact audio do not depend on
 * how a loaded 2-core machine schedules two processes (the default, 10 ms, is what the demo runs).
 */
const LATENCY = ['--latency', '4800'];
const LOOPBACK = [...LOOPBACK_SERVE, ...LATENCY];
/** Long enough for a unicast beacon's answer on loopback, short enough to keep the file quick. */
const RESOLVE = ['--timeout', '300'];

const NETNS = process.env['SYFALA_NETNS'] === '1';
const needsNetns = NETNS
  ? ''
  : ' [skipped: needs a private network namespace: bash scripts/in-netns.sh …]';
/**
 * Whether the native addon was built with libjack (its JACK test tool is built only then): each
 * build is checked for its own answer to `--backend jack` without a server.
 */
const jackBuilt = existsSync(join(ROOT, 'native/build/Release/jack_signal'));

async function run(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = syfala(args);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}

/** What `sox FILE -n stat` measures, leading and trailing silence cut off first. */
function soxStat(file: string): { seconds: number; max: number; rms: number } {
  const trimSilence = ['silence', '1', '0.001', '0.01%', 'reverse'];
  const result = spawnSync('sox', [file, '-n', ...trimSilence, ...trimSilence, 'stat'], {
    encoding: 'utf8',
  });
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(result.stderr)?.[1]);
  return {
    seconds: field('Length \\(seconds\\)'),
    max: field('Maximum amplitude'),
    rms: field('RMS {5}amplitude'),
  };
}

function soxInfo(file: string, flag: string): string {
  return spawnSync('sox', ['--i', flag, file], { encoding: 'utf8' }).stdout.trim();
}

/** TEST-NET-3 (RFC 5737): never an address of this host (checked in the test that uses it). */
const NOT_LOCAL = '203.0.113.9';
const NOT_LOCAL_ERROR =
  /--interface: 203\.0\.113\.9 is not the address of an interface of this host/;

describe('syfala serve, connect and info on 127.0.0.1', () => {
  let server: Cli;
  let ports: { udpPort: number; controlPort: number; id: string };
  // The recording outlives its test: the sox test reads it.
  const dir = mkdtempSync(join(tmpdir(), 'syfala-cli-'));
  const recording = join(dir, 'take.wav');

  beforeAll(async () => {
    server = new Cli(['serve', ...LOOPBACK, '--name', 'cli test card', '--log', 'json']);
    ports = await serve(server);
  });

  afterAll(async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve logs the ports it bound when asked for free ones: each answers as this server', async () => {
    // A DSCV beacon to the UDP port: its CONN offer names this server and its control port.
    const socket = createSocket('udp4');
    onTestFinished(() => {
      socket.close();
    });
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    socket.send(encode({ type: 'discovery' }), ports.udpPort, '127.0.0.1');
    const [answer, from] = (await once(socket, 'message')) as [Buffer, RemoteInfo];
    expect(from.port).toBe(ports.udpPort);
    expect(decodeMessage(answer, 'server')).toMatchObject({
      type: 'connect',
      endpointId: ports.id,
      name: 'cli test card',
      controlPort: ports.controlPort,
    });
    // A handshake on the control port (TCP): the same server offers a session.
    const target = { host: '127.0.0.1', udpPort: ports.udpPort, controlPort: ports.controlPort };
    const connected = await connect(target, { encryption: false });
    await connected.disconnect();
    expect(connected.offer).toMatchObject({ endpointId: ports.id, endpointName: 'cli test card' });
  });

  it(
    'connect --record --duration 1.5 --json streams, prints JSON stats each second and a summary',
    { timeout: 15_000 },
    async () => {
      const started = Date.now();
      const result = await run([
        'connect',
        `127.0.0.1:${ports.udpPort}`,
        ...RESOLVE,
        ...LATENCY,
        '--record',
        recording,
        '--duration',
        '1.5',
        '--json',
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(8000);
      const lines = jsonLines(result.stdout);
      const stats = lines.filter((line) => line['type'] === 'stats');
      expect(stats.length).toBeGreaterThanOrEqual(1);
      expect(stats[0]).toMatchObject({
        targetLatencyFrames: 4800,
        targetLatencyMs: 100,
        lostFrames: 0,
      });
      expect(stats[0]!['datagramsReceived']).toBeGreaterThan(0);
      const summary = lines.at(-1)!;
      expect(summary).toMatchObject({ type: 'summary', recorded: [recording] });
      expect(summary['ended']).toBeUndefined();
      const [stream] = summary['streams'] as { framesReceived: number; lostFrames: number }[];
      expect(stream!.lostFrames).toBe(0);
      expect(stream!.framesReceived).toBeGreaterThan(48_000);
      expect(existsSync(recording)).toBe(true);
      await server.logEvent('session-closed');
    },
  );

  it.skipIf(!hasSox)(
    `sox reads the recording: stereo, 48 kHz, about 1.5 s of the −12 dBFS 440 Hz tone${needsSox}`,
    () => {
      expect(soxInfo(recording, '-c')).toBe('2');
      expect(soxInfo(recording, '-r')).toBe('48000');
      expect(Number(soxInfo(recording, '-D'))).toBeCloseTo(1.5, 0);
      const stat = soxStat(recording);
      expect(Math.abs(stat.seconds - 1.5)).toBeLessThan(0.5);
      expect(Math.abs(stat.max - 0.251)).toBeLessThan(0.01);
      // A sine's RMS is its peak / √2: 0.1776 at −12 dBFS.
      expect(Math.abs(stat.rms - 0.178)).toBeLessThan(0.03);
    },
  );

  it(
    'connect with stdout not a terminal prints JSON lines only: stats, then the summary',
    { timeout: 15_000 },
    async () => {
      const result = await run([
        'connect',
        `127.0.0.1:${ports.udpPort}`,
        ...RESOLVE,
        ...LATENCY,
        '--duration',
        '1.5',
      ]);
      expect(result.code).toBe(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(jsonLines(result.stdout)).toHaveLength(lines.length);
      expect(jsonLines(result.stdout).map((line) => line['type'])).toEqual([
        ...lines.slice(1).map(() => 'stats'),
        'summary',
      ]);
    },
  );

  it('connect without --duration streams until SIGINT, then stops and disconnects cleanly', async () => {
    const closed = (): Record<string, unknown>[] =>
      jsonLines(server.stderr).filter((line) => line['event'] === 'session-closed');
    const closedBefore = closed().length;
    const client = syfala([
      'connect',
      `127.0.0.1:${ports.udpPort}`,
      ...RESOLVE,
      ...LATENCY,
      '--json',
    ]);
    await client.jsonLine('stdout', (line) => line['type'] === 'stats');
    client.child.kill('SIGINT');
    expect(await client.exited).toEqual({ code: 0, signal: null });
    expect(client.stderr).toBe('');
    const summary = await client.jsonLine('stdout', (line) => line['type'] === 'summary');
    expect(summary['ended']).toBeUndefined();
    await vi.waitFor(() => expect(closed()).toHaveLength(closedBefore + 1));
    expect(closed().at(-1)).toMatchObject({ reason: 'normal', by: 'peer' });
  });

  it('info --json lists the name, ports, protocol version and formats', async () => {
    const result = await run(['info', `127.0.0.1:${ports.udpPort}`, ...RESOLVE, '--json']);
    expect(result.code).toBe(0);
    const standard = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };
    expect(JSON.parse(result.stdout)).toMatchObject({
      id: ports.id,
      name: 'cli test card',
      host: '127.0.0.1',
      udpPort: ports.udpPort,
      controlPort: ports.controlPort,
      protocolVersion: 1,
      via: ['beacon'],
      formats: { inputs: [standard], outputs: [standard] },
    });
  });

  it('info prints the formats for a person', async () => {
    const result = await run(['info', `127.0.0.1:${ports.udpPort}`, ...RESOLVE]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('name:      cli test card');
    expect(result.stdout).toContain(`TCP port ${ports.controlPort}`);
    expect(result.stdout).toMatch(
      /inputs .*\n {2}1: f32\/48000Hz\/2ch\/32\noutputs .*\n {2}1: f32/,
    );
  });
});

describe('syfala info with a pre-shared key', () => {
  const KEY = 'the studio key, 16+ bytes';

  it(
    'exits 1 with the auth failure for a wrong key, 0 for the right one',
    { timeout: 15_000 },
    async () => {
      const server = syfala(['serve', ...LOOPBACK, '--psk', KEY, '--log', 'json']);
      const { udpPort } = await serve(server);
      const endpoint = [`127.0.0.1:${udpPort}`, ...RESOLVE];
      // The beacon's answer carries the formats: before, the key was never used, so never checked.
      expectOneSentence(
        await run(['info', ...endpoint, '--psk', 'not the studio key at all']),
        /refused the connection: auth-failed \(wrong key proof\)/,
      );
      expect((await run(['info', ...endpoint, '--psk', KEY])).code).toBe(0);
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    },
  );
});

describe('syfala serve shutting down', () => {
  it(
    'on SIGTERM tells the streaming client "shutdown", logs it and exits 0',
    { timeout: 15_000 },
    async () => {
      const server = syfala(['serve', ...LOOPBACK, '--log', 'json']);
      const { udpPort } = await serve(server);
      const client = syfala(['connect', `127.0.0.1:${udpPort}`, ...RESOLVE, ...LATENCY, '--json']);
      await server.logEvent('io-started');
      await client.jsonLine('stdout', (line) => line['type'] === 'stats');
      server.child.kill('SIGTERM');

      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(await server.logEvent('shutdown')).toMatchObject({ signal: 'SIGTERM', sessions: 1 });
      expect(await server.logEvent('session-closed')).toMatchObject({
        reason: 'shutdown',
        by: 'local',
      });
      await server.logEvent('stopped');

      expect((await client.exited).code).toBe(1);
      const summary = await client.jsonLine('stdout', (line) => line['type'] === 'summary');
      expect(summary['ended']).toMatchObject({ reason: 'shutdown', by: 'peer' });
      expect(client.stderr).toBe(
        'syfala: the server ended the session: shutdown (server closing)\n',
      );
    },
  );
});

describe('connect --json when the session fails', () => {
  it(
    'still ends with a JSON summary that says why, as stderr does',
    { timeout: 15_000 },
    async () => {
      const server = syfala(['serve', ...LOOPBACK, '--log', 'json', '--max-sessions', '1']);
      const { udpPort } = await serve(server);
      const first = syfala(['connect', `127.0.0.1:${udpPort}`, ...RESOLVE, ...LATENCY, '--json']);
      await first.jsonLine('stdout', (line) => line['type'] === 'stats');
      const refused = await run(['connect', `127.0.0.1:${udpPort}`, ...RESOLVE, '--json']);
      expectOneSentence(refused, /refused the connection: busy/);
      const lines = refused.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        type: 'summary',
        elapsedS: 0,
        streams: [],
        failed: refused.stderr.trimEnd().replace(/^syfala: /, ''),
      });
      first.child.kill('SIGINT');
      expect((await first.exited).code).toBe(0);
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    },
  );
});

describe('syfala connect --play', () => {
  it(
    'sends the file to the server, which records it sample for sample',
    { timeout: 15_000 },
    async () => {
      const dir = tempDir();
      const format = { sampleType: 'f32', sampleRate: 48_000, channels: 2 } as const;
      const signal = await writeSignal(join(dir, 'in.wav'), format, 48_000, 7);
      const server = syfala(['serve', ...LOOPBACK, '--sink', `wav:${join(dir, 'out.wav')}`]);
      const { udpPort } = await serve(server);
      const args = ['--play', join(dir, 'in.wav'), '--duration', '1.5'];
      const client = await run([
        'connect',
        `127.0.0.1:${udpPort}`,
        ...RESOLVE,
        ...LATENCY,
        ...args,
      ]);
      expect(client.stderr).toBe('');
      expect(client.code).toBe(0);
      expect(jsonLines(client.stdout).at(-1)).toMatchObject({
        type: 'summary',
        played: join(dir, 'in.wav'),
      });
      // The server's sink is flushed when it closes.
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
      const recorded = await readWavFile(join(dir, 'out.wav'));
      const match = matchingFrames(recorded.samples, signal, 2);
      // The file starts with the first period sent, and every frame arrives.
      expect(match.offset).toBe(0);
      expect(match.frames).toBe(48_000);
    },
  );

  it(
    'warns in one line about a file shorter than its header says, and plays what is there',
    { timeout: 15_000 },
    async () => {
      const dir = tempDir();
      const short = join(dir, 'short.wav');
      const format = { sampleType: 'f32', sampleRate: 48_000, channels: 2 } as const;
      await writeSignal(short, format, 48_000, 3);
      truncateSync(short, statSync(short).size - 4800 * 8);
      const warning =
        `${short} is cut short: its header says 48000 frames, the file holds 43200 ` +
        '(4800 frames, 0.1 s missing); it plays what is there';
      const server = syfala(['serve', ...LOOPBACK, '--log', 'json', '--source', `wav:${short}`]);
      const { udpPort } = await serve(server);
      expect(await server.logEvent('warning')).toMatchObject({ message: `--source: ${warning}` });
      const args = ['--play', short, '--duration', '1'];
      const client = await run([
        'connect',
        `127.0.0.1:${udpPort}`,
        ...RESOLVE,
        ...LATENCY,
        ...args,
      ]);
      expect(client.code).toBe(0);
      expect(client.stderr).toBe(`syfala: warning: --play: ${warning}\n`);
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    },
  );

  it('refuses a file at another rate or channel count before streaming', async () => {
    const dir = tempDir();
    const mono = { sampleType: 'i16', sampleRate: 44_100, channels: 1 } as const;
    await writeSignal(join(dir, 'mono.wav'), mono, 100, 1);
    const server = syfala(['serve', ...LOOPBACK]);
    const { udpPort } = await serve(server);
    const args = ['--play', join(dir, 'mono.wav')];
    expectOneSentence(
      await run(['connect', `127.0.0.1:${udpPort}`, ...RESOLVE, ...LATENCY, ...args]),
      /--play: .*mono\.wav is 44100 Hz, 1 channel\(s\), but output stream 1 is f32\/48000Hz\/2ch\/32/,
    );
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
});

describe('config file', () => {
  it('sets serve options, and flags win over it', async () => {
    const config = join(tempDir(), 'serve.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'from config',
        id: '0badc0de-0000-4000-8000-00000000cafe',
        bind: '127.0.0.1',
        mdns: false,
        udpPort: 0,
        controlPort: 0,
      }),
    );
    const server = syfala(['serve', '--config', config, '--name', 'from flag', '--log', 'json']);
    expect(await server.logEvent('listening')).toMatchObject({
      name: 'from flag',
      // A stable id, so `connect <id>` finds the server again after a restart.
      id: '0badc0de-0000-4000-8000-00000000cafe',
      bind: '127.0.0.1',
      mdns: false,
      // Defaulted off: a socket bound to 127.0.0.1 cannot join the multicast group.
      multicast: false,
    });
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });

  it('refuses a malformed id in one sentence', async () => {
    expectOneSentence(
      await run(['serve', ...LOOPBACK, '--id', 'studio-a']),
      /--id must be a lowercase 8-4-4-4-12 hex id/,
    );
  });

  it('names an unknown key', async () => {
    const config = join(tempDir(), 'serve.json');
    writeFileSync(config, JSON.stringify({ udpport: 7000 }));
    expectOneSentence(
      await run(['serve', '--config', config]),
      /unknown option "udpport" \(did you mean udpPort\?\)/,
    );
  });
});

describe('syfala devices', () => {
  it('lists every backend, and says in one sentence why one cannot be used here', async () => {
    const { code, stdout } = await run([
      'devices',
      '--json',
      '--jack-server',
      'syfala-no-such-server',
    ]);
    expect(code).toBe(0);
    const listings = JSON.parse(stdout) as {
      backend: string;
      available: boolean;
      reason?: string;
    }[];
    expect(listings.map((l) => l.backend)).toEqual(['virtual', 'jack', 'coreaudio']);
    expect(listings[0]).toEqual({ backend: 'virtual', available: true });
    expect(listings[1]).toMatchObject({
      available: false,
      reason: expect.stringMatching(
        /JACK server 'syfala-no-such-server'|no JACK support/,
      ) as string,
    });
    if (process.platform !== 'darwin') {
      expect(listings[2]).toMatchObject({
        available: false,
        reason: expect.stringMatching(/^CoreAudio exists only on macOS/) as string,
      });
    }
  });

  it('prints one line per backend for a person', async () => {
    const { code, stdout } = await run(['devices', '--jack-server', 'syfala-no-such-server']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^virtual: the built-in virtual sound card/m);
    expect(stdout).toMatch(/^jack: not available: /m);
    if (process.platform !== 'darwin') {
      expect(stdout).toMatch(/^coreaudio: not available: CoreAudio exists only on macOS/m);
    }
  });
});

/** Error cases only a system without CoreAudio has. */
const OFF_MACOS: [string, string[], RegExp][] =
  process.platform === 'darwin'
    ? []
    : [
        [
          'serving CoreAudio off macOS',
          ['serve', ...LOOPBACK, '--backend', 'coreaudio'],
          /CoreAudio exists only on macOS \(this is linux\): use --backend jack or --backend virtual/,
        ],
        [
          'serving CoreAudio off macOS with every stream given',
          [
            'serve',
            ...LOOPBACK,
            '--backend',
            'coreaudio',
            '--inputs',
            'f32/48000/2/64',
            '--outputs',
            '',
          ],
          /CoreAudio exists only on macOS/,
        ],
        [
          'listing CoreAudio devices off macOS',
          ['devices', '--backend', 'coreaudio'],
          /CoreAudio exists only on macOS/,
        ],
      ];

describe('errors: one sentence on stderr, exit 1, no stack', () => {
  it.each([
    [
      'nobody serves the address',
      ['connect', '127.0.0.1:1', ...RESOLVE],
      /no Syfala server answered at 127\.0\.0\.1:1/,
    ],
    [
      'a format with a zero sample rate',
      ['serve', ...LOOPBACK, '--inputs', 'f32/0/2/32'],
      /--inputs: .*sample rate/,
    ],
    [
      // Accepted before, it crashed the server at the first beacon: its CONN offer can't carry it.
      'a name longer than a discovery answer carries',
      ['serve', ...LOOPBACK, '--name', 'é'.repeat(128)],
      /--name must be at most 255 UTF-8 bytes long, got 256/,
    ],
    // Accepted before: the idle server then spun a core (issue #13). Each names the value given.
    [
      'a sample rate of 2^32 Hz',
      ['serve', ...LOOPBACK, '--inputs', 'f32/4294967296/2/32'],
      /--inputs: format "f32\/4294967296\/2\/32": sample rate must be from 8000 to 384000 Hz, got "4294967296"/,
    ],
    [
      'a sample rate written as 1e9',
      ['serve', ...LOOPBACK, '--outputs', 'f32/1e9/2/32'],
      /--outputs: .*sample rate must be from 8000 to 384000 Hz, got "1e9"/,
    ],
    [
      'a negative sample rate',
      ['serve', ...LOOPBACK, '--inputs', 'f32/-48000/2/32'],
      /--inputs: .*sample rate .*got "-48000"/,
    ],
    [
      '65535 channels',
      ['serve', ...LOOPBACK, '--inputs', 'f32/48000/65535/32'],
      /--inputs: .*channel count must be an integer from 1 to 1024, got "65535"/,
    ],
    [
      'a datagram budget larger than UDP carries',
      ['serve', ...LOOPBACK, '--datagram-budget', '70000'],
      /--datagram-budget must be auto or an integer from 49 to 65507, got "70000"/,
    ],
    [
      'a period longer than JACK and CoreAudio take',
      ['serve', ...LOOPBACK, '--inputs', 'f32/48000/2/65536'],
      /--inputs: .*buffer size must be an integer from 16 to 8192 frames \(0: unspecified\), got "65536"/,
    ],
    // Before, connect and info ignored it and exited 0 (and serve, bound to one address).
    ...(['connect', 'info'] as const).map((command): [string, string[], RegExp] => [
      `${command} --interface with an address this host does not have`,
      [command, '127.0.0.1:1', ...RESOLVE, '--interface', NOT_LOCAL],
      NOT_LOCAL_ERROR,
    ]),
    [
      'discover --interface with an address this host does not have',
      ['discover', '--target', '127.0.0.1:1', '--no-mdns', ...RESOLVE, '--interface', NOT_LOCAL],
      NOT_LOCAL_ERROR,
    ],
    [
      'serve --interface with an address this host does not have',
      ['serve', ...LOOPBACK, '--interface', NOT_LOCAL],
      NOT_LOCAL_ERROR,
    ],
    [
      'an endpoint address with a port out of range',
      ['connect', '10.0.0.1:99999'],
      /^syfala: an endpoint address must be HOST\[:PORT\] \(an IPv4 address, a host name or an \[IPv6\] address, then a port from 1 to 65535\), got "10\.0\.0\.1:99999"$/,
    ],
    [
      'discover --target with a host name: beacons are IPv4',
      ['discover', '--target', 'studio.local:6910', '--no-mdns'],
      /^syfala: --target must be an IPv4 address or localhost \(discovery is IPv4\), got "studio\.local:6910"$/,
    ],
    [
      'a pre-shared key that is too short',
      ['serve', ...LOOPBACK, '--psk', 'short'],
      /--psk must be at least 16 bytes/,
    ],
    [
      jackBuilt
        ? 'a JACK server that is not running (libjack itself says nothing)'
        : 'the JACK backend in a build without libjack: what to install',
      ['serve', ...LOOPBACK, '--backend', 'jack', '--jack-server', 'syfala-no-such-server'],
      jackBuilt
        ? /cannot connect to JACK server 'syfala-no-such-server': is jackd running\?/
        : /no JACK support: install jackd2 and libjack-jackd2-dev \(apt-get install -y jackd2 libjack-jackd2-dev\)/,
    ],
    [
      'a JACK option with another backend',
      ['serve', ...LOOPBACK, '--jack-server', 'studio'],
      /--jack-server needs --backend jack \(this is --backend virtual\)/,
    ],
    [
      'a CoreAudio option with another backend',
      ['connect', '127.0.0.1:1', '--backend', 'jack', '--input-channels', '3,4'],
      /--input-channels needs --backend coreaudio \(this is --backend jack\)/,
    ],
    [
      'channels that are not channel numbers',
      ['serve', ...LOOPBACK, '--backend', 'coreaudio', '--input-channels', '0,1'],
      /--input-channels must be an integer from 1 to 1024, got "0"/,
    ],
    ...OFF_MACOS,
    [
      'a WAV file to play that does not exist',
      ['connect', '127.0.0.1:1', '--play', '/nonexistent/in.wav'],
      /--play: cannot read \/nonexistent\/in\.wav/,
    ],
    [
      'a session count that is not a number',
      ['serve', ...LOOPBACK, '--max-sessions', 'many'],
      /--max-sessions must be an integer/,
    ],
  ])('%s', async (_what, args, pattern) => {
    const local = Object.values(networkInterfaces()).flat();
    expect(local.map((entry) => entry?.address)).not.toContain(NOT_LOCAL);
    expectOneSentence(await run(args), pattern);
  });

  it('a UDP port in use', async () => {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    onTestFinished(() => {
      socket.close();
    });
    const { port } = socket.address();
    const args = [...LOOPBACK.slice(0, 3), '--udp-port', String(port), '--control-port', '0'];
    expectOneSentence(
      await run(['serve', ...args]),
      new RegExp(`UDP port 127\\.0\\.0\\.1:${port} .*already in use`),
    );
  });

  it('a SYFALA_NATIVE_ADDON that names no file: the path tried, and what to install', async () => {
    const addon = '/nonexistent/syfala_native.node';
    const cli = syfala(['serve', ...LOOPBACK, '--backend', 'jack'], {
      ...process.env,
      SYFALA_NATIVE_ADDON: addon,
    });
    expectOneSentence(
      { code: (await cli.exited).code, stderr: cli.stderr },
      /^syfala: the syfala native addon did not load \(SYFALA_NATIVE_ADDON=\/nonexistent\/syfala_native\.node: not found\): install jackd2 and libjack-jackd2-dev/,
    );
  });

  it("a usage error exits 2 with commander's message", async () => {
    const result = await run(['serve', '--no-such-flag']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: unknown option '--no-such-flag'/);
  });
});

describe.skipIf(!NETNS)(`syfala discover${needsNetns}`, () => {
  it(
    // Its UDP port is a free one, not the 6910 beacons go to: DNS-SD is what finds it.
    'finds a server started with mDNS and multicast on, by its DNS-SD record',
    { timeout: 10_000 },
    async () => {
      // Inside the private namespace, so binding every address and multicasting reach loopback only.
      const server = syfala([
        'serve',
        '--udp-port',
        '0',
        '--control-port',
        '0',
        '--name',
        'discover me',
      ]);
      const { id, udpPort } = await serve(server);
      const result = await run(['discover', '--json', '--timeout', '800']);
      expect(result.code).toBe(0);
      const found = (JSON.parse(result.stdout) as { id: string }[]).find((e) => e.id === id);
      expect(found).toMatchObject({
        name: 'discover me',
        udpPort,
        via: expect.arrayContaining(['mdns']),
      });
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    },
  );
});
