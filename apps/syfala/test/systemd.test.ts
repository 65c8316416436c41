import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, serve, syfala } from './cli-process.js';
import { tempDir } from './fixtures.js';

const UNIT = join(ROOT, 'packaging/systemd/syfala.service');
const SYSUSERS = join(ROOT, 'packaging/systemd/syfala.sysusers');
const INSTALLED = '/usr/local/bin/syfala';
const CONFIG = '/etc/syfala/serve.json';

const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;
const needsSystemd = hasSystemd
  ? ''
  : ' [skipped: needs systemd-analyze (apt-get install systemd)]';

/**
 * The unit as installed, but starting this checkout's CLI: verify insists that ExecStart's
 * program exists, and /usr/local/bin/syfala is there only after `npm run install-global`.
 */
function unitCopy(): string {
  const text = readFileSync(UNIT, 'utf8');
  expect(text).toContain(`ExecStart=${INSTALLED} serve --config ${CONFIG}\n`);
  const path = join(tempDir(), 'syfala.service');
  writeFileSync(path, text.replace(`ExecStart=${INSTALLED}`, `ExecStart=${BIN}`));
  return path;
}

function run(command: string, args: readonly string[]): { code: number | null; out: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

describe('packaging/systemd/syfala.service', () => {
  it(`passes systemd-analyze verify without a word${needsSystemd}`, (ctx) => {
    if (!hasSystemd) ctx.skip();
    expect(run('systemd-analyze', ['verify', '--man=no', unitCopy()])).toEqual({
      code: 0,
      out: '',
    });
  });

  it(`is hardened: systemd-analyze security rates its exposure OK (2.0 or less)${needsSystemd}`, async (ctx) => {
    if (!hasSystemd) ctx.skip();
    const { code, out } = run('systemd-analyze', ['security', '--offline=true', unitCopy()]);
    expect(code).toBe(0);
    const exposure = Number(/Overall exposure level for syfala\.service: ([\d.]+)/.exec(out)?.[1]);
    await ctx.annotate(`exposure ${exposure}`);
    expect(exposure).toBeLessThanOrEqual(2.0);
  });

  it(`creates its user with systemd-sysusers${needsSystemd}`, (ctx) => {
    if (!hasSystemd) ctx.skip();
    const root = tempDir();
    const { code, out } = run('systemd-sysusers', [`--root=${root}`, '--dry-run', SYSUSERS]);
    expect(code).toBe(0);
    expect(out).toMatch(/Creating user 'syfala' \(Syfala audio endpoint\)/);
  });

  it('starts serve as its ExecStart line does, from a config file, and stops on SIGTERM', async () => {
    const dir = tempDir();
    const config = join(dir, 'serve.json');
    const settings = {
      name: 'unit test',
      bind: '127.0.0.1',
      udpPort: 0,
      controlPort: 0,
      mdns: false,
    };
    writeFileSync(config, JSON.stringify(settings));
    const execStart = /^ExecStart=(.*)$/m.exec(readFileSync(UNIT, 'utf8'))![1]!.split(' ');
    const args = execStart.slice(1).map((word) => (word === CONFIG ? config : word));
    const daemon = syfala(args);
    await serve(daemon);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });
});
