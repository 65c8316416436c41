import { createAudioHeader, DecodeError, readAudioHeader } from '@syfala/proto';

/** Which bytes of which stream an AUDI datagram carries. */
export interface AudioRange {
  readonly stream: number;
  readonly start: number;
  readonly end: number;
}

const header = createAudioHeader();

/** The datagram's range if it reads as a valid AUDI, else undefined (other messages, garbage). */
export function readAudioRange(datagram: Uint8Array): AudioRange | undefined {
  try {
    readAudioHeader(datagram, header);
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }
  return {
    stream: header.streamIndex,
    start: header.byteIndex,
    end: header.byteIndex + header.byteCount,
  };
}

/** Whether a damaged copy still reads as the same stream and bytes (a payload hit only). */
export function sameRange(datagram: Uint8Array, range: AudioRange): boolean {
  const read = readAudioRange(datagram);
  return (
    read !== undefined &&
    read.stream === range.stream &&
    read.start === range.start &&
    read.end === range.end
  );
}
