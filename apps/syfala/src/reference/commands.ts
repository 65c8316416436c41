import { Argument, type Command } from 'commander';
import { bashCompletion } from './bash-completion.js';
import { fishCompletion } from './fish-completion.js';
import { manPage } from './man-page.js';

const SCRIPTS = { bash: bashCompletion, fish: fishCompletion };

/** `completion` and `man`: the program's own reference, generated from its definitions. */
export function addReferenceCommands(program: Command): void {
  const name = program.name();
  program
    .command('completion')
    .description(
      `print a shell completion script: source <(${name} completion bash), ` +
        `${name} completion fish | source`,
    )
    .addArgument(new Argument('<shell>', 'the shell').choices(Object.keys(SCRIPTS)))
    .action((shell: keyof typeof SCRIPTS) => {
      process.stdout.write(SCRIPTS[shell](program));
    });
  program
    .command('man')
    .description(`print the man page (roff): ${name} man | man -l -`)
    .action(() => {
      process.stdout.write(manPage(program, new Date()));
    });
}
