import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let clockTicks: number | undefined;

/** Kernel clock ticks per second (getconf CLK_TCK; 100 on every mainstream Linux). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      clockTicks = 100;
    }
    if (!Number.isFinite(clockTicks) || clockTicks <= 0) clockTicks = 100;
  }
  return clockTicks;
}

/**
 * /proc/PID/stat's fields from field 3 (state) on, so field n is at index n − 3 (proc(5)). The
 * command name (field 2) is in parentheses and may contain spaces: fields are counted after it.
 * Throws when the process is gone.
 */
export function procStatFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds a process has used so far: utime + stime from /proc/PID/stat (all its threads).
 * With includeChildren, adds cutime + cstime: children it has already waited for (a shell
 * wrapper's finished children; running children are not counted by the kernel until reaped).
 */
export function cpuSeconds(pid: number, options: { includeChildren?: boolean } = {}): number {
  // utime is field 14, stime 15, cutime 16, cstime 17.
  const fields = procStatFields(pid);
  const field = (n: number): number => Number(fields[n - 3]);
  let ticks = field(14) + field(15);
  if (options.includeChildren) ticks += field(16) + field(17);
  return ticks / ticksPerSecond();
}

/** The pid and every live descendant of it (from each /proc/PID/stat's parent pid). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let parent: number;
    try {
      parent = Number(procStatFields(entry)[4 - 3]); // field 4: the parent pid
    } catch {
      continue; // exited meanwhile
    }
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/**
 * CPU seconds of a process and all its live descendants (a launcher script's real worker, a
 * node process's children); a descendant that exits between the listing and the read counts 0.
 */
export function treeCpuSeconds(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total += cpuSeconds(p);
    } catch {
      // gone
    }
  }
  return total;
}
