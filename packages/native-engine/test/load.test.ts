import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { NativeAddonError } from '../src/errors.js';
import { addonCandidates, requireAddon } from '../src/load.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILT = join(ROOT, 'native/build/Release/syfala_native.node');
/** What dlopen says of a file that is no shared library, on Linux and on macOS. */
const NOT_A_LIBRARY = /(invalid ELF header|not a mach-o file|not valid mach-o)/;

function folder(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'syfala-addon-')));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What loading throws, from these candidates. */
function loadError(candidates: ReturnType<typeof addonCandidates>): NativeAddonError {
  try {
    requireAddon(candidates);
  } catch (error) {
    expect(error).toBeInstanceOf(NativeAddonError);
    return error as NativeAddonError;
  }
  throw new Error('the addon loaded');
}

describe('SYFALA_NATIVE_ADDON', () => {
  it('names a file that is not there: NOT_FOUND, with the path', () => {
    const path = join(folder(), 'missing.node');
    const error = loadError(addonCandidates({ SYFALA_NATIVE_ADDON: path }, '/unused'));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe(
      `the syfala native addon did not load (SYFALA_NATIVE_ADDON=${path}: not found)`,
    );
  });

  it("names a file that is no addon: LOAD_FAILED, with the path and dlopen's error", () => {
    const path = join(folder(), 'garbage.node');
    writeFileSync(path, 'this is text, not a shared library '.repeat(4));
    const error = loadError(addonCandidates({ SYFALA_NATIVE_ADDON: path }, '/unused'));
    expect(error.code).toBe('LOAD_FAILED');
    expect(error.message).toMatch(
      /^the syfala native addon did not load \(SYFALA_NATIVE_ADDON=\S+garbage\.node: .+\)$/,
    );
    expect(error.message).toContain(`SYFALA_NATIVE_ADDON=${path}: `);
    expect(error.message).toMatch(NOT_A_LIBRARY);
  });

  it('refuses a file that is not a .node file rather than run it as JavaScript', () => {
    const path = join(folder(), 'addon.js');
    writeFileSync(path, 'globalThis.syfalaAddonScriptRan = true;');
    const error = loadError(addonCandidates({ SYFALA_NATIVE_ADDON: path }, '/unused'));
    expect(error.message).toBe(
      `the syfala native addon did not load (SYFALA_NATIVE_ADDON=${path}: not a .node file)`,
    );
    expect((globalThis as { syfalaAddonScriptRan?: boolean }).syfalaAddonScriptRan).toBeUndefined();
  });

  it('a relative path is taken from the working directory', () => {
    expect(addonCandidates({ SYFALA_NATIVE_ADDON: 'build/x.node' }, '/unused')).toEqual([
      {
        path: join(process.cwd(), 'build/x.node'),
        shown: `SYFALA_NATIVE_ADDON=${join(process.cwd(), 'build/x.node')}`,
      },
    ]);
  });

  it.skipIf(!existsSync(BUILT))(
    `loads the addon it names, and no other [skipped when ${BUILT} is not built]`,
    () => {
      const copy = join(folder(), 'copied.node');
      copyFileSync(BUILT, copy);
      const module = join(ROOT, 'packages/native-engine/dist/index.js');
      // A process of its own: the module keeps the addon it loaded, and so does require's cache.
      const script =
        `const { loadNativeAddon } = await import(${JSON.stringify(module)});` +
        "const { createRequire } = await import('node:module');" +
        'const addon = loadNativeAddon((error) => error);' +
        'const files = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.endsWith(".node"));' +
        'console.log(JSON.stringify({ files, jack: typeof addon.jackAvailable, engine: typeof addon.Engine }));';
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, SYFALA_NATIVE_ADDON: copy },
        encoding: 'utf8',
      });
      expect(child.stderr).toBe('');
      expect(JSON.parse(child.stdout)).toEqual({
        files: [copy],
        jack: 'boolean',
        engine: 'function',
      });
    },
  );
});

describe('without SYFALA_NATIVE_ADDON', () => {
  it("looks in node-gyp's Release and Debug outputs, and lists each when neither is built", () => {
    const dir = folder();
    const error = loadError(addonCandidates({}, dir));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe(
      'the syfala native addon did not load (' +
        `${dir}/build/Release/syfala_native.node: not found; ` +
        `${dir}/build/Debug/syfala_native.node: not found)`,
    );
  });

  it('goes on past a build that does not load, and lists it with its own error', () => {
    const dir = folder();
    mkdirSync(join(dir, 'build/Release'), { recursive: true });
    writeFileSync(join(dir, 'build/Release/syfala_native.node'), 'x'.repeat(128));
    const error = loadError(addonCandidates({}, dir));
    expect(error.code).toBe('LOAD_FAILED');
    const [release, debug] = error.message
      .replace(/^the syfala native addon did not load \((.*)\)$/s, '$1')
      .split('; ');
    expect(release).toMatch(`${dir}/build/Release/syfala_native.node: `);
    expect(release).toMatch(NOT_A_LIBRARY);
    expect(debug).toBe(`${dir}/build/Debug/syfala_native.node: not found`);
  });

  it('an empty SYFALA_NATIVE_ADDON counts as unset', () => {
    expect(addonCandidates({ SYFALA_NATIVE_ADDON: '' }, '/n')).toEqual(addonCandidates({}, '/n'));
  });
});
