import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './exec.js';

/** A small tmpfs on a fresh temporary folder: a real file system that fills up. */
export interface SmallFileSystem {
  readonly dir: string;
  /** Takes every free byte left, with a filler file: the next write that needs space fails. */
  fill(): void;
  /** Unmounts it (lazily, should a file still be open) and removes the folder. */
  unmount(): Promise<void>;
}

/**
 * Mounts a tmpfs of `sizeBytes` (rounded up to whole pages by the kernel) for full-disk tests.
 * Resolves with the reason instead when it cannot: mounting needs root (the CI runs as root).
 */
export async function mountSmallFileSystem(sizeBytes: number): Promise<SmallFileSystem | string> {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = mkdtempSync(join(tmpdir(), 'syfala-tmpfs-'));
  const mounted = await runCommand('mount', [
    '-t',
    'tmpfs',
    '-o',
    `size=${sizeBytes}`,
    'tmpfs',
    dir,
  ]);
  if (mounted.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `mount -t tmpfs failed: ${mounted.stderr.trim() || `exit ${String(mounted.code)}`}`;
  }
  return {
    dir,
    fill: () => {
      const fd = openSync(join(dir, 'filler'), 'a');
      const block = Buffer.alloc(4096);
      try {
        for (;;) writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
    },
    unmount: async () => {
      await runCommand('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
