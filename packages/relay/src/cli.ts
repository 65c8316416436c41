import { SyfalaError } from '@syfala/proto';
import { formatEndpoint } from './addresses.js';
import { parseRelayArgs, USAGE } from './cli-options.js';
import { ImpairmentRelay } from './relay.js';

/** Exit codes: 0 done, 1 an error reported in one sentence, 2 a usage error. */
const EXIT_ERROR = 1;
const EXIT_USAGE = 2;

/**
 * Runs `syfala-relay` (`argv` as in process.argv) until SIGINT or SIGTERM, then prints the
 * report as one JSON line on stdout and resolves with the exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let relay: ImpairmentRelay;
  try {
    const request = parseRelayArgs(argv.slice(2));
    if (request.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    relay = await ImpairmentRelay.start(request.options);
  } catch (error) {
    return fail(error);
  }
  const { listen, target, seed } = relay.report();
  const listening = { listen: formatEndpoint(listen), target: formatEndpoint(target), seed };
  process.stderr.write(`${JSON.stringify({ event: 'listening', ...listening })}\n`);
  await firstSignal(['SIGINT', 'SIGTERM']);
  await relay.close();
  process.stdout.write(`${JSON.stringify(relay.report())}\n`);
  return 0;
}

function fail(error: unknown): number {
  const usage = (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true;
  const expected = usage || error instanceof SyfalaError || (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`syfala-relay: ${message}${usage ? ' (--help for usage)' : ''}\n`);
  if (!expected) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
  return usage ? EXIT_USAGE : EXIT_ERROR;
}

/** Resolves on the first of `signals`, then stops listening: a second Ctrl-C ends the process. */
function firstSignal(signals: readonly NodeJS.Signals[]): Promise<void> {
  return new Promise((resolve) => {
    const handler = (): void => {
      for (const signal of signals) process.off(signal, handler);
      resolve();
    };
    for (const signal of signals) process.on(signal, handler);
  });
}
