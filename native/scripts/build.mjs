// Builds the addon with node-gyp against this Node's own headers (no download: these machines
// reach only the npm registry). A failed build does not fail `pnpm install`: the JS side then
// reports a typed error naming what to install. With --strict (CI, `pnpm build`) it does fail.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const strict = process.argv.includes('--strict');
const nodeGyp = createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
const prefix = resolve(dirname(process.execPath), '..');
const localHeaders = existsSync(join(prefix, 'include', 'node', 'node_api.h'));
const args = [nodeGyp, 'rebuild', '--jobs=max', ...(localHeaders ? [`--nodedir=${prefix}`] : [])];

const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  const why =
    'the syfala native addon did not build (it needs g++, make and python3; JACK support also ' +
    'needs libjack-jackd2-dev): the JACK backend will report this when opened';
  console.warn(`warning: ${why}`);
  process.exit(strict ? 1 : 0);
}
