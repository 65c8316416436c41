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
  writeAudioHeader,
  writeSealedAudioHeader,
} from '@syfala/proto';
import type { Format } from '@syfala/proto';

import { PacketizerError, checkRange } from './errors.js';

const MAX_STREAM_INDEX = 0xffff_ffff;

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
 * overwritten while a socket still holds it. The redundancy history is allocated here;
 * `packetize` allocates nothing.
 */
export class StreamPacketizer {
  readonly #streamIndex: number;
  readonly #bytesPerFrame: number;
  readonly #sealed: boolean;
  /** Header bytes before the payload, and tag bytes after it. */
  readonly #headerBytes: number;
  readonly #trailerBytes: number;
  /** Whether a whole frame fits the budget, so datagrams end on frame boundaries. */
  readonly #frameCuts: boolean;
  /** Payload bytes per datagram: a whole number of frames when `#frameCuts`. */
  readonly #maxPayloadBytes: number;
  #byteIndex = 0;

  readonly #redundancy: number;
  readonly #maxPeriodBytes: number;
  /** The last `#periodCount` periods' bytes at [0, `#heldBytes`), then room for one more period. */
  readonly #window: Uint8Array;
  /** Their lengths, a ring of `#redundancy` slots, oldest at `#periodHead`. */
  readonly #periodLengths: Float64Array;
  #periodHead = 0;
  #periodCount = 0;
  #heldBytes = 0;

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
    const headerBytes = sealed ? SEALED_AUDIO_HEADER_BYTES : AUDIO_HEADER_BYTES;
    const trailerBytes = sealed ? AUDIO_AUTH_TAG_BYTES : 0;
    const minBudget = headerBytes + trailerBytes + 1;
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
      !(Number.isSafeInteger(maxPeriodBytes) && maxPeriodBytes! > 0)
    ) {
      throw new PacketizerError(
        'BAD_MAX_PERIOD',
        `packetizer: maxPeriodBytes must be a positive integer${redundancy > 0 ? ' with redundancy' : ''}, got ${String(maxPeriodBytes)}`,
      );
    }
    this.#streamIndex = streamIndex;
    this.#bytesPerFrame = bytesPerFrame(makeFormat(format, 'any'));
    this.#sealed = sealed;
    this.#headerBytes = headerBytes;
    this.#trailerBytes = trailerBytes;
    const room = datagramBudgetBytes - headerBytes - trailerBytes;
    this.#frameCuts = room >= this.#bytesPerFrame;
    this.#maxPayloadBytes = this.#frameCuts ? room - (room % this.#bytesPerFrame) : room;
    this.#redundancy = redundancy;
    this.#maxPeriodBytes = maxPeriodBytes ?? Number.POSITIVE_INFINITY;
    this.#window = new Uint8Array(redundancy > 0 ? (redundancy + 1) * maxPeriodBytes! : 0);
    this.#periodLengths = new Float64Array(redundancy);
  }

  /** Index of the next byte to send; 0 after construction or `reset()`. */
  get byteIndex(): number {
    return this.#byteIndex;
  }

  /** Most payload bytes one datagram carries (172 frames × 8 bytes for the standard format). */
  get maxPayloadBytes(): number {
    return this.#maxPayloadBytes;
  }

  /** The largest datagram, header (and tag) included: the most a sink's `claim` is asked for. */
  get maxDatagramBytes(): number {
    return this.#headerBytes + this.#maxPayloadBytes + this.#trailerBytes;
  }

  /** Bytes of the last `redundancy` periods, which the next `packetize` sends again first. */
  get historyBytes(): number {
    return this.#heldBytes;
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
    const start = this.#byteIndex;
    this.#byteIndex = start + byteLength;
    if (this.#redundancy === 0) return this.#cut(payload, offset, byteLength, start, sink);
    if (byteLength === 0) return 0;
    const window = this.#window;
    const held = this.#heldBytes;
    for (let i = 0; i < byteLength; i++) window[held + i] = payload[offset + i]!;
    const count = this.#cut(window, 0, held + byteLength, start - held, sink);
    this.#remember(byteLength);
    return count;
  }

  /** Bytes of period `i` of the run being cut: the history's, oldest first, then this one's. */
  #runPeriodBytes(i: number, current: number): number {
    if (i === this.#periodCount) return current;
    return this.#periodLengths[(this.#periodHead + i) % this.#redundancy]!;
  }

  /** Starts numbering again at byte 0 and forgets the history, as after an I/O restart (PROTOCOL.md §7.2). */
  reset(): void {
    this.#byteIndex = 0;
    this.#heldBytes = 0;
    this.#periodCount = 0;
    this.#periodHead = 0;
  }

  /** Cuts `source[from, from + length)`, whose first byte is stream byte `byteIndex`. */
  #cut(
    source: Uint8Array,
    from: number,
    length: number,
    byteIndex: number,
    sink: DatagramSink,
  ): number {
    const bpf = this.#bytesPerFrame;
    const maxPayload = this.#maxPayloadBytes;
    const headerBytes = this.#headerBytes;
    const end = from + length;
    let src = from;
    let next = byteIndex;
    let count = 0;
    // The run holds the history's #periodCount periods, then this one: a datagram whose first
    // byte is in the period i of the run has copy #periodCount − i (PROTOCOL.md §7.3).
    const current = length - this.#heldBytes;
    let copy = this.#periodCount;
    let periodEnd = byteIndex + this.#runPeriodBytes(0, current);
    while (src < end) {
      while (next >= periodEnd) {
        copy--;
        periodEnd += this.#runPeriodBytes(this.#periodCount - copy, current);
      }
      // Ending at absolute frame boundaries keeps later datagrams aligned even after a caller
      // hands over a partial frame; n stays > 0 because maxPayload is at least one frame.
      let n = this.#frameCuts ? maxPayload - (next % bpf) : maxPayload;
      if (n > end - src) n = end - src;
      const length = headerBytes + n + this.#trailerBytes;
      const datagram = sink.claim(length);
      if (datagram !== undefined) {
        if (datagram.length < length) {
          throw new PacketizerError(
            'BUFFER_TOO_SMALL',
            `packetize: the sink lent ${datagram.length} bytes for a ${length}-byte datagram`,
          );
        }
        if (this.#sealed) writeSealedAudioHeader(datagram, 0, this.#streamIndex, next, n, 0, copy);
        else writeAudioHeader(datagram, 0, this.#streamIndex, next, n);
        for (let i = 0; i < n; i++) datagram[headerBytes + i] = source[src + i]!;
        count++;
        sink.send(datagram, length, copy);
      }
      next += n;
      src += n;
    }
    return count;
  }

  /** Keeps the period just sent in the history, dropping the oldest beyond `redundancy`. */
  #remember(length: number): void {
    const lengths = this.#periodLengths;
    const r = this.#redundancy;
    this.#heldBytes += length;
    if (this.#periodCount < r) {
      lengths[(this.#periodHead + this.#periodCount++) % r] = length;
      return;
    }
    const oldest = lengths[this.#periodHead]!;
    this.#window.copyWithin(0, oldest, this.#heldBytes);
    this.#heldBytes -= oldest;
    lengths[this.#periodHead] = length;
    this.#periodHead = (this.#periodHead + 1) % r;
  }
}
