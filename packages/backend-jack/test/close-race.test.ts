import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { jackCloseRace, runCommand } from '@syfala/jack-rig';
import { hasJack, jackServer } from './fixture.js';

const CHILD = fileURLToPath(new URL('./close-race/close-twice.mjs', import.meta.url));
const OPEN_ONCE = fileURLToPath(new URL('./close-race/open-once.mjs', import.meta.url));

describe.skipIf(!hasJack)("JackEngine meeting jack2's close race", () => {
  it('closes within the deadline, says what it left open, then refuses to open with CLOSE_HUNG', async () => {
    const server = await jackServer();
    const race = jackCloseRace(server);
    onTestFinished(() => race.remove());
    // Its own process: the shim is preloaded, and the wedged libjack lock dies with it.
    const child = await runCommand(process.execPath, [CHILD, server, race.armed], {
      env: race.env,
      timeoutMs: 30_000,
    });
    expect({ code: child.code, stderr: child.stderr }).toEqual({ code: 0, stderr: '' });
    const seen = JSON.parse(child.stdout) as Record<string, unknown>;
    expect(seen['closeMs']).toBeGreaterThanOrEqual(2000);
    expect(seen['closeMs']).toBeLessThan(10_000);
    expect(seen['leftOpen']).toMatch(/^close-race did not close within 2 s \(jack2's close race/);
    expect(seen['code']).toBe('CLOSE_HUNG');
    expect(seen['message']).toMatch(/restart the process to open another/);
  }, 60_000);

  // A probe that closed its own client before the device opened left the process unable to open
  // one (CLOSE_HUNG) whenever that close met the race: 4 servers starting at once in CI met it.
  it.each(['engine', 'duplex'])(
    'probes the server and opens its %s device without closing a client first',
    async (mode) => {
      const server = await jackServer();
      const race = jackCloseRace(server, 0);
      onTestFinished(() => race.remove());
      writeFileSync(race.armed, '');
      const child = await runCommand(process.execPath, [OPEN_ONCE, server, mode], {
        env: race.env,
        timeoutMs: 30_000,
      });
      expect({ code: child.code, stderr: child.stderr }).toEqual({ code: 0, stderr: '' });
      const opened = (JSON.parse(child.stdout) as { opened?: unknown }).opened;
      expect(opened).toEqual(
        mode === 'duplex' ? 'open-once' : { name: 'open-once', probedRate: 48000, rate: 48000 },
      );
    },
    60_000,
  );
});
