import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHIM_SOURCE = fileURLToPath(
  new URL('../../../native/tools/jack_close_race.c', import.meta.url),
);

/** How a test makes jack2's close race happen in a process it starts. */
export interface JackCloseRace {
  /** The process's environment: the shim preloaded, and what it needs. */
  readonly env: NodeJS.ProcessEnv;
  /** Create this file (empty) and a JACK client close of the process meets the race (`at`). */
  readonly armed: string;
  /** Removes the folder the shim was built in (after the process ended). */
  remove(): void;
}

/**
 * jack2 (up to 1.9.22, its issue 395) can leave jack_client_close waiting for ever when another
 * client leaves at that moment. native/tools/jack_close_race.c, built with cc into a folder of
 * its own and preloaded, makes that happen once `armed` exists, with jack_lsp on `server` as the
 * client that comes and goes: at the thread cancel numbered `at` since then (from 0). The default
 * 1 is an active client's close (its first cancel stops the process thread, in jack_deactivate);
 * 0 is the first close of a client never activated (a probe's), when armed before it opened.
 */
export function jackCloseRace(server: string, at = 1): JackCloseRace {
  const dir = mkdtempSync(join(tmpdir(), 'syfala-close-race-'));
  const shim = join(dir, 'jack_close_race.so');
  execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', shim, SHIM_SOURCE, '-ldl']);
  const armed = join(dir, 'armed');
  return {
    env: {
      ...process.env,
      LD_PRELOAD: shim,
      JACK_CLOSE_RACE_ARMED: armed,
      JACK_CLOSE_RACE_CLIENT: `env -u LD_PRELOAD jack_lsp -s ${server} >/dev/null 2>&1`,
      JACK_CLOSE_RACE_AT: String(at),
    },
    armed,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
