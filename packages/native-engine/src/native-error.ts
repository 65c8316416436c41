import type { SyfalaError } from '@syfala/proto';

type ErrorClass<Code extends string> = new (
  code: Code,
  message: string,
  options?: ErrorOptions,
) => SyfalaError<Code>;

/**
 * The addon's errors carry a `code` and a one-sentence message: as the backend's typed error,
 * with `fallback` for codes the backend does not know (and for errors without one).
 */
export function fromNative<Code extends string>(
  ErrorType: ErrorClass<Code>,
  codes: readonly Code[],
  error: unknown,
  fallback: Code,
): SyfalaError<Code> {
  if (error instanceof ErrorType) return error;
  const { code, message } = error as { code?: string; message?: string };
  const known = code !== undefined && (codes as readonly string[]).includes(code);
  return new ErrorType(known ? (code as Code) : fallback, message ?? String(error), {
    cause: error,
  });
}
