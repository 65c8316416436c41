import {
  AUDIO_HEADER_BYTES,
  DEFAULT_DATAGRAM_BUDGET_BYTES,
  MAX_DATAGRAM_BYTES,
  bytesPerFrame,
  makeFormat,
  writeAudioHeader,
} from '@syfala/proto';
import type { Format } from '@syfala/proto';

import { PacketizerError, checkRange } from './errors.js';

const MAX_STREAM_INDEX = 0xffff_ffff;

export interface StreamPacketizerOptions {
  /** The stream's index in its direction (PROTOCOL.md §7.1), a u32. */
  readonly streamIndex: number;
  readonly format: Format;
  /** Largest whole datagram in bytes, header included; 25 to 65,507. */
  readonly datagramBudgetBytes?: number;
}

/** Receives one finished datagram: `length` bytes at the start of `datagram`, which is reused. */
export type EmitDatagram = (datagram: Uint8Array, length: number) => void;

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
 * The one datagram buffer is allocated here; `packetize` allocates nothing.
 */
export class StreamPacketizer {
  readonly #streamIndex: number;
  readonly #bytesPerFrame: number;
  /** Whether a whole frame fits the budget, so datagrams end on frame boundaries. */
  readonly #frameCuts: boolean;
  /** Payload bytes per datagram: a whole number of frames when `#frameCuts`. */
  readonly #maxPayloadBytes: number;
  readonly #datagram: Uint8Array;
  #byteIndex = 0;

  constructor({
    streamIndex,
    format,
    datagramBudgetBytes = DEFAULT_DATAGRAM_BUDGET_BYTES,
  }: StreamPacketizerOptions) {
    if (!Number.isInteger(streamIndex) || streamIndex < 0 || streamIndex > MAX_STREAM_INDEX) {
      throw new PacketizerError(
        'BAD_STREAM_INDEX',
        `packetizer: stream index must be an integer from 0 to ${MAX_STREAM_INDEX}, got ${String(streamIndex)}`,
      );
    }
    const minBudget = AUDIO_HEADER_BYTES + 1;
    if (
      !Number.isInteger(datagramBudgetBytes) ||
      datagramBudgetBytes < minBudget ||
      datagramBudgetBytes > MAX_DATAGRAM_BYTES
    ) {
      throw new PacketizerError(
        'BAD_BUDGET',
        `packetizer: datagram budget must be an integer from ${minBudget} (header + 1 byte) to ${MAX_DATAGRAM_BYTES} bytes, got ${String(datagramBudgetBytes)}`,
      );
    }
    this.#streamIndex = streamIndex;
    this.#bytesPerFrame = bytesPerFrame(makeFormat(format));
    const room = datagramBudgetBytes - AUDIO_HEADER_BYTES;
    this.#frameCuts = room >= this.#bytesPerFrame;
    this.#maxPayloadBytes = this.#frameCuts ? room - (room % this.#bytesPerFrame) : room;
    this.#datagram = new Uint8Array(AUDIO_HEADER_BYTES + this.#maxPayloadBytes);
  }

  /** Index of the next byte to send; 0 after construction or `reset()`. */
  get byteIndex(): number {
    return this.#byteIndex;
  }

  /** Most payload bytes one datagram carries (172 frames × 8 bytes for the standard format). */
  get maxPayloadBytes(): number {
    return this.#maxPayloadBytes;
  }

  /**
   * Cuts `byteLength` bytes of `payload` at `offset` (this stream's next wire bytes) into
   * datagrams and hands each to `emit`, which must send or copy it before returning: the same
   * buffer carries the next datagram. Returns the number of datagrams emitted.
   */
  packetize(payload: Uint8Array, offset: number, byteLength: number, emit: EmitDatagram): number {
    checkRange('packetize: payload', payload.length, offset, byteLength);
    const datagram = this.#datagram;
    const bpf = this.#bytesPerFrame;
    const maxPayload = this.#maxPayloadBytes;
    const end = offset + byteLength;
    let src = offset;
    let count = 0;
    while (src < end) {
      const start = this.#byteIndex;
      // Ending at absolute frame boundaries keeps later datagrams aligned even after a caller
      // hands over a partial frame; n stays > 0 because maxPayload is at least one frame.
      let n = this.#frameCuts ? maxPayload - (start % bpf) : maxPayload;
      if (n > end - src) n = end - src;
      writeAudioHeader(datagram, 0, this.#streamIndex, start, n);
      for (let i = 0; i < n; i++) datagram[AUDIO_HEADER_BYTES + i] = payload[src + i]!;
      this.#byteIndex = start + n;
      src += n;
      count++;
      emit(datagram, AUDIO_HEADER_BYTES + n);
    }
    return count;
  }

  /** Starts numbering again at byte 0, as after an I/O restart (PROTOCOL.md §7.2). */
  reset(): void {
    this.#byteIndex = 0;
  }
}
