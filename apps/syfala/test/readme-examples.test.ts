import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { jackEnv, startJackServer, uniqueServerName } from '@syfala/jack-rig';
import { describe, expect, it, onTestFinished } from 'vitest';

/**
 * Every ```ts block of every README runs as a program, so an example can't rot: stripped of its
 * types and written beside its README (so `@syfala/*` imports resolve as they do for the package;
 * the root README's beside apps/syfala, which depends on them all), run by node against the built
 * packages (`tsc -b` first) in an empty directory, it must exit 0; where the block is followed by
 * a ```text output block, it must print exactly that. Before that, all of them type-check
 * together with the project's compiler options, against the packages' declarations. Words after `ts` in the info string:
 * `continues` (the block runs after the one before it, as one program: that one does not run
 * alone), `jack` (runs with a dummy JACK server as the default one), `declarations` (a listing of
 * types, not run), `macos` (runs on macOS only).
 *
 * Examples show what users run: servers on 0.0.0.0, discovery beacons, mDNS. So they run only
 * in the private network namespace of scripts/in-netns.sh (as `npm test` runs them).
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const READMES = [
  'README.md',
  ...['packages', 'apps'].flatMap((dir) =>
    readdirSync(join(ROOT, dir)).map((name) => `${dir}/${name}/README.md`),
  ),
  'native/README.md',
].filter((path) => existsSync(join(ROOT, path)));
const HAS_JACK = spawnSync('jackd', ['--version']).status === 0;
/** Seconds an example may take: some stream audio or start a JACK server. */
const EXAMPLE_TIMEOUT_MS = 60_000;

interface Example {
  /** The README line of its (first) fence. */
  readonly line: number;
  /** The README line of each line of `code`. */
  readonly codeLines: readonly number[];
  readonly flags: readonly string[];
  readonly code: string;
  /** What it must print, when the README says. */
  readonly output: string | undefined;
}

/** The ```ts blocks of a markdown file, each with the ```text output block after it, if any. */
function examples(markdown: string): Example[] {
  const blocks: { line: number; info: string[]; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const start = i;
    do i++;
    while (i < lines.length && lines[i] !== '```');
    const info = open[1]!.trim().split(/\s+/);
    blocks.push({ line: start + 1, info, code: lines.slice(start + 1, i).join('\n') + '\n' });
  }
  const found: Example[] = [];
  blocks.forEach((block, i) => {
    if (block.info[0] !== 'ts') return;
    const next = blocks[i + 1];
    const prints = next?.info[0] === 'text' && next.info.includes('output');
    const flags = block.info.slice(1);
    const before = flags.includes('continues') ? found.pop()! : undefined;
    const codeLines = block.code.split('\n').map((_, j) => block.line + 1 + j);
    found.push({
      line: before?.line ?? block.line,
      codeLines: [...(before?.codeLines ?? []), ...codeLines],
      flags: [...(before?.flags ?? []), ...flags],
      code: (before?.code ?? '') + block.code,
      output: prints ? next.code : undefined,
    });
  });
  return found;
}

/** The example as plain JavaScript, so a worker thread can load it too. */
function transpile(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

function run(
  file: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [file],
      { cwd, env, timeout: EXAMPLE_TIMEOUT_MS },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : ((error.code as number | undefined) ?? 1),
          stdout,
          stderr,
        }),
    );
  });
}

/** Where an example's file goes: beside its README, so imports resolve as for that package. */
const home = (readme: string): string => (readme === 'README.md' ? 'apps/syfala' : dirname(readme));

it('every example type-checks against the packages, with the project compiler options', () => {
  const where = new Map<string, { readme: string; example: Example }>();
  for (const readme of READMES) {
    for (const example of examples(readFileSync(join(ROOT, readme), 'utf8'))) {
      if (example.flags.includes('declarations')) continue;
      const file = join(ROOT, home(readme), `.readme-example-${process.pid}-${example.line}.ts`);
      writeFileSync(file, example.code);
      onTestFinished(() => rmSync(file, { force: true }));
      where.set(file, { readme, example });
    }
  }
  const base = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.base.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) =>
        expect.fail(String(diagnostic.messageText)),
    },
  )!;
  const options = {
    ...base.options,
    noEmit: true,
    composite: false,
    declaration: false,
    declarationMap: false,
  };
  const program = ts.createProgram([...where.keys()], options);
  const errors = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file === undefined) return text;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const source = where.get(diagnostic.file.fileName);
    return source === undefined
      ? `${diagnostic.file.fileName}:${line + 1}: ${text}`
      : `${source.readme}:${source.example.codeLines[line]}: ${text}`;
  });
  expect(errors).toEqual([]);
});

for (const readme of READMES) {
  const found = examples(readFileSync(join(ROOT, readme), 'utf8'));
  if (found.length === 0) continue;
  describe(readme, () => {
    for (const example of found) {
      const skip = example.flags.includes('declarations')
        ? 'a listing of declarations'
        : example.flags.includes('macos') && process.platform !== 'darwin'
          ? 'macOS only'
          : process.env['SYFALA_NETNS'] !== '1'
            ? 'not in a private network namespace: run under scripts/in-netns.sh'
            : example.flags.includes('jack') && !HAS_JACK
              ? 'no jackd'
              : undefined;
      const title = `line ${example.line}${skip === undefined ? '' : ` (skipped: ${skip})`}`;
      it.skipIf(skip !== undefined)(title, { timeout: EXAMPLE_TIMEOUT_MS + 10_000 }, async () => {
        const file = join(ROOT, home(readme), `.readme-example-${process.pid}-${example.line}.mjs`);
        const cwd = mkdtempSync(join(tmpdir(), 'syfala-readme-'));
        onTestFinished(() => {
          rmSync(file, { force: true });
          rmSync(cwd, { recursive: true, force: true });
        });
        writeFileSync(file, transpile(example.code));
        let env = process.env;
        if (example.flags.includes('jack')) {
          const jack = await startJackServer({ name: uniqueServerName('readme') });
          onTestFinished(() => jack.stop());
          env = jackEnv(jack.name);
        }
        const { code, stdout, stderr } = await run(file, cwd, env);
        const where = `${readme}:${example.line} (run as ${relative(ROOT, file)})`;
        expect(code, `${where} exited ${code}:\n${stderr}`).toBe(0);
        if (example.output !== undefined) expect(stdout, `${where} printed`).toBe(example.output);
      });
    }
  });
}
