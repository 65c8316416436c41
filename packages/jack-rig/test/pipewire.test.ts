import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  PIPEWIRE_INSTALL_HINT,
  processAlive,
  runCommand,
  startPipeWireServer,
  uniqueServerName,
} from '../src/index.js';

const HAS_PIPEWIRE =
  spawnSync('pipewire', ['--version']).status === 0 &&
  existsSync('/usr/share/doc/pipewire-jack') &&
  spawnSync('jack_lsp', ['--version']).error === undefined;
const SKIP_REASON = HAS_PIPEWIRE
  ? ''
  : ` (skipped: needs ${PIPEWIRE_INSTALL_HINT} and jackd2's tools)`;

describe.skipIf(!HAS_PIPEWIRE)(`a headless PipeWire${SKIP_REASON}`, () => {
  it('lists physical system ports through its JACK, at the asked rate and quantum, and stops cleanly', async () => {
    const server = await startPipeWireServer({
      name: uniqueServerName('pw-rig-test'),
      periodFrames: 128,
    });
    onTestFinished(() => server.stop());
    const listing = await runCommand('jack_lsp', ['-s', server.name, '-p'], { env: server.env() });
    expect(listing.stdout).toMatch(/system:capture_2\n\s+properties: output,physical,/);
    expect(listing.stdout).toMatch(/system:playback_2\n\s+properties: input,physical,/);
    // Neither tool takes -s: PIPEWIRE_REMOTE in env() names the daemon.
    const bufsize = await runCommand('jack_bufsize', [], { env: server.env() });
    expect(bufsize.stdout).toBe('128\n');
    const rate = await runCommand('jack_samplerate', [], { env: server.env() });
    expect(rate.stdout).toBe('48000\n');
    // A pass-through on the graph, wired with jack_connect as on jackd.
    await server.connect('system:capture_1', 'system:playback_1');
    expect(await server.connections('system:playback_1')).toEqual(['system:capture_1']);

    const pid = server.pid!;
    await server.stop();
    expect(processAlive(pid)).toBe(false);
    expect(existsSync(server.runtimeDir)).toBe(false);
  });

  it("lengthens a server name that crashes PipeWire 0.3.65's libjack (24, 40, 56 … characters)", async () => {
    const server = await startPipeWireServer({ name: 'x'.repeat(24) });
    onTestFinished(() => server.stop());
    expect(server.name).toBe(`${'x'.repeat(24)}0`);
    const listing = await runCommand('jack_lsp', ['-s', server.name], { env: server.env() });
    expect(listing.stdout).toContain('system:capture_1');
  });

  it('refuses a name that is not a plain file name', async () => {
    await expect(startPipeWireServer({ name: '../x' })).rejects.toMatchObject({
      code: 'BAD_OPTION',
    });
  });
});
