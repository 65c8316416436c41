import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LOOPBACK_SERVE, serve, syfala } from './cli-process.js';

// Transparent huge pages the kernel grants when asked (`madvise`) or always; not with `never`.
const THP = '/sys/kernel/mm/transparent_hugepage/enabled';
const hugePagesGranted = existsSync(THP) && !readFileSync(THP, 'utf8').includes('[never]');
const needsHugePages = hugePagesGranted
  ? ''
  : ' [skipped: needs Linux with transparent huge pages not set to never]';

/** Kilobytes of the process's memory on transparent huge pages (Linux's smaps_rollup). */
function anonHugePagesKb(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Number(/^AnonHugePages:\s+(\d+) kB$/m.exec(rollup)![1]);
}

describe('the syfala command as installed (its shebang)', () => {
  it(`maps Node's code on 2 MB pages, where a JACK thread is cheaper to switch into${needsHugePages}`, async (ctx) => {
    if (!hugePagesGranted) ctx.skip();
    const daemon = syfala(['serve', ...LOOPBACK_SERVE, '--log', 'json'], process.env, true);
    await serve(daemon);
    const hugeKb = anonHugePagesKb(daemon.child.pid!);
    await ctx.annotate(`${hugeKb} kB on huge pages`);
    // Node's text is tens of megabytes; at least one whole 2 MB page of it moved.
    expect(hugeKb).toBeGreaterThanOrEqual(2048);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });
});
