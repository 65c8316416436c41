/**
 * What a bench samples of its own process: memory (after a full garbage collection if asked),
 * open file descriptors and CPU time. Linux only (/proc/self/fd).
 */
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface ProcessSample {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Open file descriptors (the one reading /proc/self/fd included: a constant offset). */
  readonly fds: number;
  /** User + system CPU time since the process started, all threads, in microseconds. */
  readonly cpuMicros: number;
}

/**
 * The `gc()` that `--expose-gc` gives, without the flag: a sample taken right after a full
 * collection counts live memory only, not garbage not yet collected.
 */
function exposeGc(): () => void {
  const global = globalThis as { gc?: () => void };
  if (global.gc !== undefined) return global.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const gc = exposeGc();

/** `collectGarbage`: first a full collection, so the heap holds live objects only (a leak shows). */
export function sampleProcess(collectGarbage: boolean): ProcessSample {
  if (collectGarbage) gc();
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    fds: readdirSync('/proc/self/fd').length,
    cpuMicros: cpu.user + cpu.system,
  };
}
