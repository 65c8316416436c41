import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * A temporary folder for one test file, made before its tests and removed after them; returns a
 * function naming a fresh file in it for each call.
 */
export function tempFiles(prefix: string): (name?: string) => string {
  let dir = '';
  let count = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `syfala-${prefix}-`));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return (name = 'take') => join(dir, `${name}-${count++}.wav`);
}
