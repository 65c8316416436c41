import { spawnSync } from 'node:child_process';
import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli.js';
import { optionNames, options, subcommands } from '../src/reference/command-tree.js';
import { syfala } from './cli-process.js';

/** The commander tree the CLI parses with, to compare the generated reference against. */
const program = buildProgram(() => async () => {});
const commands = subcommands(program);
const connect = commands.find((command) => command.name() === 'connect')!;
const hasGroff = spawnSync('groff', ['-v']).error === undefined;
const hasMandoc = spawnSync('mandoc', ['-V']).error === undefined;
const hasFish = spawnSync('fish', ['--version']).error === undefined;

async function output(args: readonly string[]): Promise<string> {
  const cli = syfala(args);
  const exit = await cli.exited;
  expect(exit, cli.stderr).toEqual({ code: 0, signal: null });
  return cli.stdout;
}

/** What bash completes for `words` (the last one being completed), with the script sourced. */
function complete(script: string, words: readonly string[]): string[] {
  const result = spawnSync(
    'bash',
    [
      '-c',
      'source <(printf %s "$SCRIPT"); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _syfala; printf "%s\\n" "${COMPREPLY[@]}"',
      'bash',
      ...words,
    ],
    { env: { ...process.env, SCRIPT: script }, encoding: 'utf8' },
  );
  expect(result.stderr).toBe('');
  return result.stdout.split('\n').filter((line) => line !== '');
}

const help = new Help();
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('syfala completion bash', () => {
  it('completes subcommands, the flags of each, and the choices of a flag', async () => {
    const script = await output(['completion', 'bash']);
    expect(complete(script, ['syfala', 'con'])).toEqual(['connect']);
    expect(complete(script, ['syfala', ''])).toEqual(
      expect.arrayContaining(commands.map((command) => command.name())),
    );
    expect(complete(script, ['syfala', 'connect', 'studio', '--'])).toEqual(
      options(connect)
        .flatMap(optionNames)
        .filter((name) => name.startsWith('--')),
    );
    expect(complete(script, ['syfala', 'connect', '--re'])).toEqual(['--record', '--redundancy']);
    const backend = options(connect).find((option) => option.long === '--backend')!;
    expect(complete(script, ['syfala', 'connect', 'x', '--backend', ''])).toEqual(
      backend.argChoices,
    );
    expect(complete(script, ['syfala', 'serve', '--name', ''])).toEqual([]);
  });
});

/** What fish completes for `line`, with the script sourced: each candidate's word only. */
function completeFish(script: string, line: string): string[] {
  const result = spawnSync(
    'fish',
    ['-c', 'printf %s\\n "$SCRIPT" | source; complete -C $argv[1]', line],
    {
      env: { ...process.env, SCRIPT: script },
      encoding: 'utf8',
    },
  );
  expect(result.stderr).toBe('');
  return result.stdout
    .split('\n')
    .filter((candidate) => candidate !== '')
    .map((candidate) => candidate.split('\t')[0]!);
}

describe.skipIf(!hasFish)('syfala completion fish', () => {
  it('completes subcommands, the flags of each, and the choices of a flag', async () => {
    const script = await output(['completion', 'fish']);
    expect(completeFish(script, 'syfala con')).toEqual(['connect']);
    expect(completeFish(script, 'syfala ')).toEqual(
      commands.map((command) => command.name()).sort(),
    );
    expect(completeFish(script, 'syfala connect studio --')).toEqual(
      options(connect)
        .flatMap((option) => (option.long === undefined ? [] : [option.long]))
        .sort(),
    );
    const backend = options(connect).find((option) => option.long === '--backend')!;
    expect(completeFish(script, 'syfala connect x --backend ')).toEqual(
      [...backend.argChoices!].sort(),
    );
    expect(completeFish(script, 'syfala serve --name ')).toEqual([]);
  });
});

describe('syfala man', () => {
  it.skipIf(!hasGroff)(
    'renders without a warning and lists every subcommand and every option',
    async () => {
      const page = await output(['man']);
      const groff = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-rLL=200n', '-P-cbou'], {
        input: page,
        encoding: 'utf8',
      });
      expect(groff.stderr).toBe('');
      const text = groff.stdout; // plain text: -P-cbou turns bold and underline off
      // Each command's section, from its heading (`   syfala connect`) to the next one.
      const [global, ...sections] = text.split(/^ {3}(?=syfala \S+$)/m);
      expect(sections.map((section) => section.split('\n')[0])).toEqual(
        commands.map((command) => `syfala ${command.name()}`),
      );
      [program, ...commands].forEach((command, i) => {
        const section = i === 0 ? global! : sections[i - 1]!;
        for (const option of options(command)) {
          // The option's tag starts a line of its own section: `       --timeout <ms>  …`.
          expect(section.split('\n')).toContainEqual(
            expect.stringMatching(new RegExp(`^ {7}${escapeRegExp(help.optionTerm(option))}( |$)`)),
          );
        }
      });
    },
  );

  it.skipIf(!hasMandoc)('passes mandoc -T lint at warning level', async () => {
    const lint = spawnSync('mandoc', ['-T', 'lint', '-W', 'warning'], {
      input: await output(['man']),
      encoding: 'utf8',
    });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });
});
