import { SyfalaError, type ControlErrorMessage, type DisconnectReason } from '@syfala/proto';

/** Sockets: binding, connecting, a connection that went away. */
export type NetworkErrorCode =
  'ADDRESS_IN_USE' | 'BIND_FAILED' | 'CONNECT_FAILED' | 'CONNECTION_CLOSED' | 'BAD_OPTION';

export class NetworkError extends SyfalaError<NetworkErrorCode> {}

/**
 * A method called on a session state object that can't take it: the state was left
 * (STATE_CONSUMED), another transition is in flight (REQUEST_PENDING), or the session ended (CLOSED).
 */
export type InvalidStateErrorCode = 'STATE_CONSUMED' | 'REQUEST_PENDING' | 'CLOSED';

export class InvalidStateError extends SyfalaError<InvalidStateErrorCode> {}

/**
 * A control request that did not succeed. FAILURE is transient and `retryable`; REFUSAL is final
 * (PROTOCOL.md §10). TIMEOUT: no answer in time (after any retransmissions). DISCONNECTED: the
 * session ended first, with `disconnectReason`. AUTH_FAILED: the pre-shared key was refused.
 */
export type ControlErrorCode = 'FAILURE' | 'REFUSAL' | 'TIMEOUT' | 'DISCONNECTED' | 'AUTH_FAILED';

export class ControlError extends SyfalaError<ControlErrorCode> {
  /** Whether the same request may succeed if tried again later. */
  readonly retryable: boolean;
  /** The peer's human-readable reason, when it gave one. */
  readonly reason: string;
  readonly disconnectReason: DisconnectReason | undefined;

  constructor(
    code: ControlErrorCode,
    message: string,
    details: { reason?: string; disconnectReason?: DisconnectReason } = {},
  ) {
    super(code, message);
    this.retryable = code === 'FAILURE' || code === 'TIMEOUT';
    this.reason = details.reason ?? '';
    this.disconnectReason = details.disconnectReason;
  }
}

/**
 * The error a control Error frame stands for: FAILURE (retryable) for the peer's internal
 * failure, REFUSAL for the rest (CONTROL.md §3, "Error").
 */
export function controlErrorFromFrame(message: ControlErrorMessage, where: string): ControlError {
  const request = message.requestId === 0 ? '' : ` to request ${message.requestId}`;
  return new ControlError(
    message.code === 'internal' ? 'FAILURE' : 'REFUSAL',
    `control peer ${where} answered${request} with Error ${message.code}: ${message.message}`,
    { reason: message.message },
  );
}
