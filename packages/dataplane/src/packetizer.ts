import {
  AUDIO_AUTH_TAG_BYTES,
  AUDIO_HEADER_BYTES,
  DEFAULT_DATAGRAM_BUDGET_BYTES,
  MAX_DATAGRAM_BYTES,
  MAX_REDUNDANCY_PERIODS,
  SEALED_AUDIO_HEADER_BYTES,
  isRedundancyPeriods,
  bytesPerFrame,
  makeFormat,
} from '@syfala/proto';
import type { Format } from '@syfala/proto';

import { ArgumentCopy, core, coreView, heapF64, own } from './core/wasm-core.js';
import { PacketizerError, checkRange } from './errors.js';

const MAX_U32 = 0xffff_ffff;
const MAX_STREAM_INDEX = MAX_U32;

export interface StreamPacketizerOptions {
  /** The stream's index in its direction (PROTOCOL.md §7.1), a u32. */
  readonly streamIndex: number;
  readonly format: Format;
  /** Largest whole datagram in bytes, header (and tag) included; 25 (49 sealed) to 65,507. */
  readonly datagramBudgetBytes?: number;
  /**
   * Periods each period's datagrams repeat before their own bytes (PROTOCOL.md §7.3), so every
   * byte is sent 1 + `redundancy` times: 0 (default) to MAX_REDUNDANCY_PERIODS.
   */
  readonly redundancy?: number;
  /** Most bytes one `packetize` call takes; required with redundancy (it sizes the history). */
  readonly maxPeriodBytes?: number;
  /**
   * Lay datagrams out as AUDE for a sink that seals them (sealAudioInPlace) before they go:
   * 32-byte header (key id 0, the copy set), the payload still clear, room for the 16-byte tag
   * after it, all within the budget (docs/SECURITY.md §3). Default false: AUDI.
   */
  readonly sealed?: boolean;
}

/**
 * Where a packetizer's datagrams go. The caller owns every buffer: `claim` lends one for the next
 * datagram, the packetizer writes the datagram at its start and passes it to `send`, and never
 * touches it again. So `send` may hand it to an asynchronous socket as it is (Node's dgram reads
 * the bytes after `send()` returns), as long as `claim` never lends a buffer still being sent.
 */
export interface DatagramSink {
  /**
   * A buffer of at least `bytes` bytes for the next datagram, that nothing else is using; or
   * undefined when the sink has none free: that datagram is dropped (its bytes keep their
   * indices, so the receiver sees a gap, never a repeat).
   */
  claim(bytes: number): Uint8Array | undefined;
  /**
   * The datagram: the first `length` bytes of `buffer`, the buffer `claim` just lent. `copy` is
   * how many periods back its first byte was first sent (PROTOCOL.md §7.3): 0 without
   * redundancy; no two datagrams of a run share stream, first byte and copy.
   */
  send(buffer: Uint8Array, length: number, copy: number): void;
}

/**
 * Sender side of one audio stream (PROTOCOL.md §7.3): cuts each period's interleaved wire bytes
 * into AUDI datagrams of at most the budget, numbering bytes continuously from 0.
 *
 * Datagrams end on frame boundaries (counted from byte index 0) whenever a whole frame fits the
 * budget; otherwise they carry as many bytes as fit, which the spec allows (§7.2: the receiver
 * reassembles bytes). With the standard format (f32 stereo, 8 bytes per frame) and the default
 * 1,400-byte budget, a datagram carries up to (1400 − 24) / 8 = 172 frames, so a 32-frame period
 * is one datagram of 24 + 256 bytes.
 *
 * With redundancy R, each `packetize` call is a period: it cuts the last R periods' bytes and its
 * own as one run starting R periods back, by the same rule. A byte thus rides in the runs of its
 * own period and the R after it, each cut into separate datagrams: R + 1 copies, none sharing a
 * datagram, whatever the budget. The receiver keeps the first copy and trims the rest (§7.2).
 * Each datagram goes to the sink with its copy number, which a sealed packetizer also writes
 * into its AUDE header: the nonce is made of it (docs/SECURITY.md §3).
 *
 * Datagrams are written into buffers the caller lends (DatagramSink), so a datagram is never
 * overwritten while a socket still holds it. The C++ core's (native/src/core/packetizer.hpp),
 * through the WebAssembly core: it writes a period's datagrams into its own memory, sized here
 * for maxPeriodBytes (else by the first periods), and each is copied into the buffer the sink
 * lends; `packetize` allocates nothing.
 */
export class StreamPacketizer {
  readonly #packetizer: number;
  readonly #maxPayloadBytes: number;
  readonly #maxDatagramBytes: number;
  readonly #maxPeriodBytes: number;
  readonly #payload = new ArgumentCopy<Uint8Array>();
  /** Views of the datagrams of the last period in the core, kept (coreView). */
  readonly #datagrams: Uint8Array[] = [];

  constructor({
    streamIndex,
    format,
    datagramBudgetBytes = DEFAULT_DATAGRAM_BUDGET_BYTES,
    redundancy = 0,
    maxPeriodBytes,
    sealed = false,
  }: StreamPacketizerOptions) {
    if (!Number.isInteger(streamIndex) || streamIndex < 0 || streamIndex > MAX_STREAM_INDEX) {
      throw new PacketizerError(
        'BAD_STREAM_INDEX',
        `packetizer: stream index must be an integer from 0 to ${MAX_STREAM_INDEX}, got ${String(streamIndex)}`,
      );
    }
    const overheadBytes = sealed
      ? SEALED_AUDIO_HEADER_BYTES + AUDIO_AUTH_TAG_BYTES
      : AUDIO_HEADER_BYTES;
    const minBudget = overheadBytes + 1;
    if (
      !Number.isInteger(datagramBudgetBytes) ||
      datagramBudgetBytes < minBudget ||
      datagramBudgetBytes > MAX_DATAGRAM_BYTES
    ) {
      throw new PacketizerError(
        'BAD_BUDGET',
        `packetizer: datagram budget must be an integer from ${minBudget} (header${sealed ? ', tag' : ''} + 1 byte) to ${MAX_DATAGRAM_BYTES} bytes, got ${String(datagramBudgetBytes)}`,
      );
    }
    if (!isRedundancyPeriods(redundancy)) {
      throw new PacketizerError(
        'BAD_REDUNDANCY',
        `packetizer: redundancy must be an integer from 0 to ${MAX_REDUNDANCY_PERIODS} periods, got ${String(redundancy)}`,
      );
    }
    if (
      (redundancy > 0 || maxPeriodBytes !== undefined) &&
      !(Number.isSafeInteger(maxPeriodBytes) && maxPeriodBytes! > 0 && maxPeriodBytes! <= MAX_U32)
    ) {
      throw new PacketizerError(
        'BAD_MAX_PERIOD',
        `packetizer: maxPeriodBytes must be an integer from 1 to ${MAX_U32}${redundancy > 0 ? ' with redundancy' : ''}, got ${String(maxPeriodBytes)}`,
      );
    }
    const packetizer = core().packetizer_new!(
      streamIndex,
      bytesPerFrame(makeFormat(format, 'any')),
      datagramBudgetBytes,
      redundancy,
      maxPeriodBytes ?? 0,
      sealed ? 1 : 0,
    );
    this.#packetizer = packetizer;
    own(this, () => core().packetizer_free!(packetizer));
    this.#maxPayloadBytes = core().packetizer_max_payload!(packetizer) >>> 0;
    this.#maxDatagramBytes = overheadBytes + this.#maxPayloadBytes;
    this.#maxPeriodBytes = maxPeriodBytes ?? MAX_U32;
  }

  /** Index of the next byte to send; 0 after construction or `reset()`. */
  get byteIndex(): number {
    return core().packetizer_byte_index!(this.#packetizer);
  }

  /** Most payload bytes one datagram carries (172 frames × 8 bytes for the standard format). */
  get maxPayloadBytes(): number {
    return this.#maxPayloadBytes;
  }

  /** The largest datagram, header (and tag) included: the most a sink's `claim` is asked for. */
  get maxDatagramBytes(): number {
    return this.#maxDatagramBytes;
  }

  /** Bytes of the last `redundancy` periods, which the next `packetize` sends again first. */
  get historyBytes(): number {
    return core().packetizer_history_bytes!(this.#packetizer) >>> 0;
  }

  /**
   * Cuts `byteLength` bytes of `payload` at `offset` (this stream's next wire bytes, one period)
   * into datagrams, after the redundancy history if any, each written into a buffer `sink`
   * lends and then sent through it. Returns the number of datagrams sent (not those the sink had
   * no buffer for). An empty period sends nothing and is not remembered.
   */
  packetize(payload: Uint8Array, offset: number, byteLength: number, sink: DatagramSink): number {
    checkRange('packetize: payload', payload.length, offset, byteLength);
    if (byteLength > this.#maxPeriodBytes) {
      throw new PacketizerError(
        'PERIOD_TOO_LARGE',
        `packetize: a period holds at most maxPeriodBytes = ${this.#maxPeriodBytes} bytes, got ${byteLength}`,
      );
    }
    const c = core();
    const packetizer = this.#packetizer;
    const count = c.packetizer_packetize!(
      packetizer,
      this.#payload.copy(payload, offset, byteLength),
      byteLength,
    );
    let at = c.packetizer_datagrams!(packetizer);
    const records = c.packetizer_records!(packetizer) >> 3;
    let sent = 0;
    for (let d = 0; d < count; d++) {
      // The sink may use the core (a jitter buffer on a loopback): views are taken again each time.
      const length = heapF64()[records + 2 * d]!;
      const copy = heapF64()[records + 2 * d + 1]!;
      const datagram = sink.claim(length);
      if (datagram !== undefined) {
        if (datagram.length < length) {
          throw new PacketizerError(
            'BUFFER_TOO_SMALL',
            `packetize: the sink lent ${datagram.length} bytes for a ${length}-byte datagram`,
          );
        }
        const view = coreView(Uint8Array, this.#datagrams[d], at, length);
        this.#datagrams[d] = view;
        datagram.set(view);
        sent++;
        sink.send(datagram, length, copy);
      }
      at += length;
    }
    return sent;
  }

  /** Starts numbering again at byte 0 and forgets the history, as after an I/O restart (PROTOCOL.md §7.2). */
  reset(): void {
    core().packetizer_reset!(this.#packetizer);
  }
}
