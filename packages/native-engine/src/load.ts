import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { NativeAddon } from './addon.js';
import { NativeAddonError } from './errors.js';

/** Names the addon file to load instead of the one `pnpm install` built. */
export const ADDON_PATH_VARIABLE = 'SYFALA_NATIVE_ADDON';

/** node-gyp's outputs: `pnpm install` builds Release, `node-gyp rebuild --debug` Debug. */
const BUILDS = ['Release', 'Debug'] as const;

const require = createRequire(import.meta.url);

/** A file the addon may be in, and how a load error names it. */
export interface AddonCandidate {
  readonly path: string;
  readonly shown: string;
}

/**
 * Where the addon is looked for, in order: the file $SYFALA_NATIVE_ADDON names, alone (a path the
 * user gave is not second-guessed), else node-gyp's outputs in `nativeDir` (@syfala/native).
 */
export function addonCandidates(
  env: NodeJS.ProcessEnv = process.env,
  nativeDir: string = dirname(require.resolve('@syfala/native/package.json')),
): AddonCandidate[] {
  const named = env[ADDON_PATH_VARIABLE];
  if (named !== undefined && named !== '') {
    const path = resolve(named);
    return [{ path, shown: `${ADDON_PATH_VARIABLE}=${path}` }];
  }
  return BUILDS.map((build) => {
    const path = join(nativeDir, 'build', build, 'syfala_native.node');
    return { path, shown: path };
  });
}

/**
 * The first candidate that loads. None: NativeAddonError listing each one with why it failed
 * (NOT_FOUND when none exists, else LOAD_FAILED).
 */
export function requireAddon(candidates: readonly AddonCandidate[]): NativeAddon {
  const failures: string[] = [];
  let found = false;
  for (const { path, shown } of candidates) {
    // require() runs any other file as JavaScript.
    if (!path.endsWith('.node')) {
      failures.push(`${shown}: not a .node file`);
      continue;
    }
    if (!existsSync(path)) {
      failures.push(`${shown}: not found`);
      continue;
    }
    found = true;
    try {
      return require(path) as NativeAddon;
    } catch (error) {
      // dlopen's message starts with the path, already said.
      const message = error instanceof Error ? error.message : String(error);
      failures.push(
        `${shown}: ${message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message}`,
      );
    }
  }
  throw new NativeAddonError(
    found ? 'LOAD_FAILED' : 'NOT_FOUND',
    `the syfala native addon did not load (${failures.join('; ')})`,
  );
}

let loaded: NativeAddon | undefined;

/**
 * The addon (addonCandidates, from this process's environment), loaded once. When it does not
 * load, `missing` makes the backend's own NOT_INSTALLED error from the NativeAddonError, adding
 * what to install on that system.
 */
export function loadNativeAddon(missing: (error: NativeAddonError) => Error): NativeAddon {
  if (loaded) return loaded;
  try {
    loaded = requireAddon(addonCandidates());
  } catch (error) {
    if (error instanceof NativeAddonError) throw missing(error);
    throw error;
  }
  return loaded;
}
