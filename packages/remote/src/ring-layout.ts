/**
 * The rings between the engine's worker and the main thread (streams mode): one SpscRing per
 * stream, plus these Int32 counters over one SharedArrayBuffer, shared by both sides.
 */
export interface RingSetup {
  /** One SpscRing buffer per received stream: the engine writes, the main thread reads. */
  readonly received: readonly SharedArrayBuffer[];
  /** One SpscRing buffer per sent stream: the main thread writes, the engine reads. */
  readonly sent: readonly SharedArrayBuffer[];
  /** COUNTER_SLOTS Int32 slots. */
  readonly counters: SharedArrayBuffer;
}

/** Set to 1 by the main thread at its first write: silence sent before it is no underrun. */
export const SENDING_SLOT = 0;
/** Received frames dropped because the main thread had not read the ring in time. */
export const OVERRUN_SLOT = 1;
/** Silent frames sent because the main thread had not written the ring in time. */
export const UNDERRUN_SLOT = 2;
export const COUNTER_SLOTS = 3;
