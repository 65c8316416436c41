/**
 * `handle` as a socket listener that never throws. It runs on a peer's input (a datagram, a
 * frame, an mDNS query), so a throw would reach Node's event loop and end the process: whatever
 * bug a peer trips, the endpoint must go on. The error goes to `onError`, which counts it.
 */
export function guarded<Args extends unknown[]>(
  handle: (...args: Args) => void,
  onError: (error: unknown, ...args: Args) => void,
): (...args: Args) => void {
  return (...args) => {
    try {
      handle(...args);
    } catch (error) {
      onError(error, ...args);
    }
  };
}

/** An error met while handling a peer's input: counted, reported, never thrown. */
export interface PeerInputError {
  /** Where the input came in. */
  readonly plane: 'udp' | 'tcp' | 'mdns';
  /** The peer's address and port. */
  readonly peer: string;
  readonly error: unknown;
}
