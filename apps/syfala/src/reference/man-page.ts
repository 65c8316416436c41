import { Help, type Command, type Option } from 'commander';
import { options, subcommands } from './command-tree.js';

/**
 * The man page (roff, man macros) of `program`, read off its commander definitions: every
 * subcommand with its usage, arguments and options as `--help` describes them (defaults,
 * choices and environment variables included), and the environment variables options read.
 */
export function manPage(program: Command, date: Date): string {
  const help = new Help();
  const name = program.name();
  const commands = subcommands(program);
  const all = [program, ...commands];
  const environment = new Map<string, Option[]>();
  for (const command of all) {
    for (const option of options(command)) {
      if (option.envVar !== undefined) {
        environment.set(option.envVar, [...(environment.get(option.envVar) ?? []), option]);
      }
    }
  }
  const lines = [
    `.TH ${name.toUpperCase()} 1 ${date.toISOString().slice(0, 10)} "${name} ${program.version() ?? ''}" "User Commands"`,
    '.SH NAME',
    roff(`${name} - ${program.description()}`),
    '.SH SYNOPSIS',
    ...commands.flatMap((command, i) => [
      ...(i > 0 ? ['.br'] : []),
      `.B ${name} ${command.name()}`,
      roff(help.commandUsage(command).split(' ').slice(2).join(' ')),
    ]),
    '.SH DESCRIPTION',
    roff(program.description()),
    'Every command takes \\fB\\-\\-help\\fR.',
    '.SH OPTIONS',
    ...options(program).flatMap((option) => optionItem(help, option)),
    '.SH COMMANDS',
    ...commands.flatMap((command) => [
      `.SS "${name} ${command.name()}"`,
      roff(help.commandDescription(command)),
      ...command.registeredArguments.flatMap((argument) => [
        '.TP',
        `.I ${roff(argument.name())}`,
        roff(help.argumentDescription(argument)),
      ]),
      ...options(command).flatMap((option) => optionItem(help, option)),
    ]),
    '.SH ENVIRONMENT',
    ...[...environment].flatMap(([variable, read]) => [
      '.TP',
      `.B ${variable}`,
      roff(
        `the value of ${[...new Set(read.map((option) => option.long))].join(', ')} when not given`,
      ),
    ]),
    '.SH EXIT STATUS',
    roff(
      '0 done; 1 an error, reported in one sentence on standard error (--debug adds the stack);',
    ),
    roff('2 a usage error.'),
  ];
  // An empty line is a blank line in roff: a command without arguments has no usage after it.
  return `${lines.filter((line) => line !== '').join('\n')}\n`;
}

/** mandoc's style limit for an input line. */
const MAX_LINE_BYTES = 80;

function optionItem(help: Help, option: Option): string[] {
  return ['.TP', `.B ${roff(help.optionTerm(option))}`, roff(help.optionDescription(option))];
}

/**
 * Text as roff reads it literally, in lines of at most 80 bytes: a backslash is \e, a hyphen \-
 * (so options copy and paste as typed), any character but printable ASCII is named by its code
 * point (\[u2026]), and a line that would start with a control character (. or ') gets \& first.
 */
function roff(text: string): string {
  const escaped = text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(
      /[^\x20-\x7e]/gu,
      (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`,
    );
  return wrap(escaped).replace(/^([.'])/gm, '\\&$1');
}

/** Words joined into lines of at most MAX_LINE_BYTES (a longer word gets a line of its own). */
function wrap(text: string): string {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= MAX_LINE_BYTES) {
      lines[last] += ` ${word}`;
    } else {
      lines.push(word);
    }
  }
  return lines.join('\n');
}
