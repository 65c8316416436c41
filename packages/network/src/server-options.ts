import {
  MAX_STREAMS_PER_DIRECTION,
  endpointNameBytes,
  isId,
  makeFormat,
  type Format,
  type StreamFormats,
} from '@syfala/proto';
import { PresharedKey } from './control/auth.js';
import { NetworkError } from './errors.js';
import type { ServerOptions } from './server.js';

/**
 * Checks every ServerOptions field a server would otherwise trip on later: a name the CONN offer
 * cannot carry would only fail when the first beacon is answered. Throws NetworkError BAD_OPTION
 * naming the field; returns the formats, validated and frozen.
 */
export function checkServerOptions(options: ServerOptions): StreamFormats {
  checked('name', () => endpointNameBytes(options.name, 'name'));
  if (options.id !== undefined && !isId(options.id)) {
    throw new NetworkError(
      'BAD_OPTION',
      `id: expected a lowercase 8-4-4-4-12 hex id, got ${String(options.id)}`,
    );
  }
  checkInteger(options.udpPort, 'udpPort', 0, 0xffff);
  checkInteger(options.audioPort, 'audioPort', 1, 0xffff);
  if (options.controlPort !== false) checkInteger(options.controlPort, 'controlPort', 0, 0xffff);
  checkInteger(options.maxSessions, 'maxSessions', 1, Number.MAX_SAFE_INTEGER);
  checkInteger(options.maxSessionsPerAddress, 'maxSessionsPerAddress', 1, Number.MAX_SAFE_INTEGER);
  checkInteger(options.maxPendingHandshakes, 'maxPendingHandshakes', 1, Number.MAX_SAFE_INTEGER);
  checkInteger(
    options.maxPendingHandshakesPerSource,
    'maxPendingHandshakesPerSource',
    1,
    Number.MAX_SAFE_INTEGER,
  );
  if (options.psk !== undefined) new PresharedKey(options.psk);
  const heartbeat = options.heartbeat ?? {};
  checkPositive(heartbeat.intervalMs, 'heartbeat.intervalMs');
  checkPositive(heartbeat.timeoutMs, 'heartbeat.timeoutMs');
  checkPositive(options.handshakeTimeoutMs, 'handshakeTimeoutMs');
  return {
    inputs: checkFormats(options.formats?.inputs, 'formats.inputs'),
    outputs: checkFormats(options.formats?.outputs, 'formats.outputs'),
  };
}

function checkFormats(formats: readonly Format[] | undefined, field: string): Format[] {
  if (!Array.isArray(formats)) {
    throw new NetworkError('BAD_OPTION', `${field}: expected an array of formats`);
  }
  if (formats.length > MAX_STREAMS_PER_DIRECTION) {
    throw new NetworkError(
      'BAD_OPTION',
      `${field}: at most ${MAX_STREAMS_PER_DIRECTION} streams, got ${formats.length}`,
    );
  }
  return formats.map((format: Format, i) => checked(`${field}[${i}]`, () => makeFormat(format)));
}

/** `check()`'s result; its ValueError becomes NetworkError BAD_OPTION, its message kept. */
function checked<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    const message = (error as Error).message.replace(/^format: /, `${field}: `);
    throw new NetworkError('BAD_OPTION', message, { cause: error });
  }
}

function checkInteger(value: number | undefined, field: string, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new NetworkError(
      'BAD_OPTION',
      `${field}: expected an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
}

function checkPositive(value: number | undefined, field: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new NetworkError(
      'BAD_OPTION',
      `${field}: expected a positive number of milliseconds, got ${String(value)}`,
    );
  }
}
