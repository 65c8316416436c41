import { SyfalaError } from '@syfala/proto';

/** A mistake or an expected failure the CLI reports as one sentence, exit code 1. */
export class CliError extends SyfalaError<'CLI'> {
  constructor(message: string) {
    super('CLI', message);
  }
}

const SYSTEM_ERRORS: Record<string, (error: NodeJS.ErrnoException) => string> = {
  EADDRINUSE: () =>
    'the port is already in use (is another syfala serve running? pick others with --udp-port/--control-port)',
  EACCES: () => 'permission denied',
  ENOENT: (error) => `no such file: ${error.path ?? ''}`,
  ECONNREFUSED: () => 'the connection was refused',
};

/** The one sentence a person sees for an error; the stack only with --debug. */
export function describeError(error: unknown): string {
  if (error instanceof SyfalaError) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  const system = code === undefined ? undefined : SYSTEM_ERRORS[code];
  if (system) return system(error as NodeJS.ErrnoException);
  return error instanceof Error ? error.message : String(error);
}
