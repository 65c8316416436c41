import type { Command, Option } from 'commander';
import {
  argumentWords,
  optionNames,
  options,
  subcommands,
  takesFile,
  valueName,
} from './command-tree.js';

/**
 * The bash completion script of `program`, read off its commander definitions: subcommands,
 * each command's flags, the choices of a flag's value (`--backend <name>`) or of an argument
 * (`completion <shell>`), and file names for a `<file>` value. Static, so a Tab runs no node.
 */
export function bashCompletion(program: Command): string {
  const name = program.name();
  const commands = subcommands(program);
  // `command:--flag` patterns, grouped by what completes the flag's value.
  const valueCases = new Map<string, string[]>();
  for (const command of commands) {
    for (const option of options(command)) {
      if (valueName(option) === undefined) continue;
      const reply = valueReply(option);
      const patterns = optionNames(option).map((flag) => `${command.name()}:${flag}`);
      valueCases.set(reply, [...(valueCases.get(reply) ?? []), ...patterns]);
    }
  }
  const wordCases = [
    `    '') words=${quote([...commands.map((command) => command.name()), ...flags(program)])} ;;`,
    ...commands.map(
      (command) =>
        `    ${command.name()}) words=${quote([...flags(command), ...argumentWords(program, command)])} ;;`,
    ),
  ];
  return `# bash completion for ${name}, generated from its command definitions by \`${name} completion bash\`
_${name}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD - 1]} command= words= i
  # The command is the first word that is not a flag: no option before it takes a value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    [[ \${COMP_WORDS[i]} == -* ]] || { command=\${COMP_WORDS[i]}; break; }
  done
  case $command:$prev in
${[...valueCases].map(([reply, patterns]) => `    ${patterns.join('|')})\n      ${reply}; return ;;`).join('\n')}
  esac
  case $command in
${wordCases.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _${name} ${name}
`;
}

/** What completes a flag's value: its choices, file names, or nothing (a name, a number…). */
function valueReply(option: Option): string {
  if (option.argChoices !== undefined) {
    return `COMPREPLY=($(compgen -W ${quote(option.argChoices)} -- "$cur"))`;
  }
  if (takesFile(option)) return 'compopt -o filenames; COMPREPLY=($(compgen -f -- "$cur"))';
  return 'COMPREPLY=()';
}

function flags(command: Command): string[] {
  return options(command).flatMap(optionNames);
}

/** Flags and choices are plain words; single quotes keep the shell from reading any of them. */
function quote(words: readonly string[]): string {
  return `'${words.join(' ')}'`;
}
