import type { Command, Option } from 'commander';
import { argumentWords, options, subcommands, takesFile, valueName } from './command-tree.js';

/**
 * The fish completion script of `program`, read off its commander definitions as the bash one
 * is, with each command's and flag's description shown beside it.
 */
export function fishCompletion(program: Command): string {
  const name = program.name();
  const commands = subcommands(program);
  const inCommand = (command: Command): string => `__fish_seen_subcommand_from ${command.name()}`;
  const lines = [
    `# fish completion for ${name}, generated from its command definitions by \`${name} completion fish\``,
    // Words complete as file names only where a flag's value is a file.
    `complete -c ${name} -f`,
    ...options(program).map((option) => optionLine(name, '__fish_use_subcommand', option)),
    ...commands.map(
      (command) =>
        `complete -c ${name} -n __fish_use_subcommand -a ${command.name()} -d ${quote(command.description())}`,
    ),
    ...commands.flatMap((command) => [
      ...options(command).map((option) => optionLine(name, inCommand(command), option)),
      ...(argumentWords(program, command).length === 0
        ? []
        : [
            `complete -c ${name} -n ${quote(inCommand(command))} -a ${quote(argumentWords(program, command).join(' '))}`,
          ]),
    ]),
  ];
  return `${lines.join('\n')}\n`;
}

function optionLine(name: string, condition: string, option: Option): string {
  const parts = [`complete -c ${name} -n ${quote(condition)}`];
  if (option.short !== undefined) parts.push(`-s ${option.short.slice(1)}`);
  if (option.long !== undefined) parts.push(`-l ${option.long.slice(2)}`);
  if (option.argChoices !== undefined) parts.push(`-x -a ${quote(option.argChoices.join(' '))}`);
  else if (takesFile(option)) parts.push('-r -F');
  else if (valueName(option) !== undefined) parts.push('-x');
  parts.push(`-d ${quote(option.description)}`);
  return parts.join(' ');
}

/** Fish's single quotes, in which only \ and ' are special. */
function quote(text: string): string {
  return `'${text.replace(/[\\']/g, '\\$&')}'`;
}
