import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The committed dataplane.wasm is what `make -C native wasm` builds from the sources now: a
// change to the core (or its exports) that was not rebuilt fails here, not in a user's install.
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const committed = join(repo, 'packages/dataplane/wasm/dataplane.wasm');
const needs = [
  ['/usr/bin/clang++-14', 'clang-14'],
  ['/usr/bin/wasm-ld-14', 'lld-14'],
  ['/usr/include/wasm32-wasi/stdlib.h', 'wasi-libc'],
  ['/usr/lib/wasm32-wasi/libc++.a', 'libc++-14-dev-wasm32'],
  ['/usr/lib/wasm32-wasi/libc++abi.a', 'libc++abi-14-dev-wasm32'],
] as const;
const missing = needs.filter(([path]) => !existsSync(path)).map(([, pkg]) => pkg);
const skipReason = missing.length > 0 ? ` [skipped: apt-get install ${missing.join(' ')}]` : '';

describe.skipIf(missing.length > 0)(`the committed WebAssembly core${skipReason}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'syfala-wasm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is byte for byte what the C++ sources build', () => {
    const rebuilt = join(dir, 'dataplane.wasm');
    execFileSync('make', ['-s', '-C', join(repo, 'native'), 'wasm', `WASM_OUT=${rebuilt}`]);
    const fresh = readFileSync(rebuilt);
    const ours = readFileSync(committed);
    expect(
      fresh.equals(ours),
      'packages/dataplane/wasm/dataplane.wasm is stale: run `make -C native wasm` and commit it',
    ).toBe(true);
  }, 120_000);
});
