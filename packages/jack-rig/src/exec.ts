import { spawn } from 'node:child_process';
import { INSTALL_HINT, JackRigError } from './errors.js';

/** What a finished command printed and how it ended. */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment every JACK tool runs with: a named server, and never auto-start one. Without
 * JACK_NO_START_SERVER, libjack answers "no server" by launching jackd from ~/.jackdrc, which
 * would make a readiness poll start the server it is waiting for.
 */
export function jackEnv(server: string, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    JACK_DEFAULT_SERVER: server,
    JACK_NO_START_SERVER: '1',
    JACK_NO_AUDIO_RESERVATION: '1',
    ...extra,
  };
}

/** Runs a command to completion (or until timeoutMs, then SIGKILL). Never rejects on exit code. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new JackRigError('JACK_MISSING', `${command} not found: ${INSTALL_HINT}`, {
              cause: err,
            })
          : err,
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Runs a JACK tool against a named server (in `env`, its clients' environment); a non-zero exit
 * becomes COMMAND_FAILED.
 */
export async function jackTool(
  server: string,
  tool: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = jackEnv(server),
  timeoutMs = 10_000,
): Promise<string> {
  const result = await runCommand(tool, ['-s', server, ...args], { env, timeoutMs });
  if (result.code !== 0) {
    throw new JackRigError(
      'COMMAND_FAILED',
      `${tool} -s ${server} ${args.join(' ')}: exited ${result.code ?? result.signal}: ${tail(result.stderr || result.stdout)}`,
    );
  }
  return result.stdout;
}

/** The last few lines of a tool's output, for error messages. */
export function tail(text: string, lines = 8): string {
  return text
    .trim()
    .split(/\r?\n|\r/)
    .slice(-lines)
    .join(' | ');
}
