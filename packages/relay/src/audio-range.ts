import {
  createAudioHeader,
  createSealedAudioHeader,
  DecodeError,
  readAudioHeader,
  readSealedAudioHeader,
  SEALED_AUDIO_TAG_CODE,
} from '@syfala/proto';

/** Which bytes of which stream an AUDI or AUDE datagram carries. */
export interface AudioRange {
  readonly stream: number;
  readonly start: number;
  readonly end: number;
  /** AUDE (docs/SECURITY.md): its header is readable, its payload authenticated. */
  readonly sealed: boolean;
}

const header = createAudioHeader();
const sealedHeader = createSealedAudioHeader();

/**
 * The datagram's range if it reads as a valid AUDI or AUDE (whose header is readable), else
 * undefined (other messages, garbage).
 */
export function readAudioRange(datagram: Uint8Array): AudioRange | undefined {
  const sealed =
    datagram.length >= 8 &&
    new DataView(datagram.buffer, datagram.byteOffset).getUint32(4, true) === SEALED_AUDIO_TAG_CODE;
  let read;
  try {
    read = sealed
      ? readSealedAudioHeader(datagram, sealedHeader)
      : readAudioHeader(datagram, header);
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }
  return {
    stream: read.streamIndex,
    start: read.byteIndex,
    end: read.byteIndex + read.byteCount,
    sealed,
  };
}

/**
 * Whether a damaged copy still delivers its range: it reads as the same stream and bytes (a
 * payload hit only), and is not sealed (a sealed one fails authentication wherever it was hit).
 */
export function deliversAfterDamage(datagram: Uint8Array, range: AudioRange): boolean {
  if (range.sealed) return false;
  const read = readAudioRange(datagram);
  return (
    read !== undefined &&
    read.stream === range.stream &&
    read.start === range.start &&
    read.end === range.end
  );
}
