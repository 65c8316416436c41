import { Help, type Command, type Option } from 'commander';

/**
 * What the completion script and the man page read off the commander program, so neither
 * writes an option twice: each command's options as its --help shows them (help and version
 * included), and the program's subcommands as `syfala --help` lists them (`help` too).
 */
const help = new Help();

export function subcommands(program: Command): readonly Command[] {
  return help.visibleCommands(program);
}

export function options(command: Command): readonly Option[] {
  return help.visibleOptions(command);
}

/** The option's value placeholder (`ms` for `--timeout <ms>`), or undefined for a switch. */
export function valueName(option: Option): string | undefined {
  return /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1];
}

/** Its names as typed: `-V`, `--version`. */
export function optionNames(option: Option): readonly string[] {
  return [option.short, option.long].filter((name): name is string => name !== undefined);
}

/** Whether its value is a file name (`--record <file>`), so a shell completes paths for it. */
export function takesFile(option: Option): boolean {
  return valueName(option) === 'file';
}

/**
 * The words an argument of `command` can be: its choices (`completion <shell>`), or for `help`,
 * the program's commands (commander defines `help [command]` without choices).
 */
export function argumentWords(program: Command, command: Command): readonly string[] {
  if (command.name() === 'help') return subcommands(program).map((each) => each.name());
  return command.registeredArguments.flatMap((argument) => argument.argChoices ?? []);
}
