/** "SYF": the first three bytes of every datagram (PROTOCOL.md §4). */
export const MAGIC = Uint8Array.of(0x53, 0x59, 0x46);
/** The wire version this implementation speaks; the only one so far. */
export const PROTOCOL_VERSION = 1;
/** Lowest and highest wire versions this implementation speaks (announced in VERS). */
export const MIN_PROTOCOL_VERSION = 1;
export const MAX_PROTOCOL_VERSION = 1;

/** magic (3) + version (1) + tag (4). */
export const PREAMBLE_BYTES = 8;
/** preamble (8) + stream index (4) + byte index (8) + byte count (4); keeps the payload 8-aligned. */
export const AUDIO_HEADER_BYTES = 24;
/** The largest UDP payload over IPv4; anything longer cannot be a datagram of ours. */
export const MAX_DATAGRAM_BYTES = 65_507;
export const MAX_AUDIO_PAYLOAD_BYTES = MAX_DATAGRAM_BYTES - AUDIO_HEADER_BYTES;
/** The audio header (24) + key id (4) + copy (1) + 3 zero bytes: AUDE's header, also 8-aligned. */
export const SEALED_AUDIO_HEADER_BYTES = 32;
/** The Poly1305 tag after an AUDE's ciphertext (docs/SECURITY.md §3). */
export const AUDIO_AUTH_TAG_BYTES = 16;
/** Most plaintext bytes one AUDE carries: the datagram maximum less its header and tag. */
export const MAX_SEALED_AUDIO_PAYLOAD_BYTES =
  MAX_DATAGRAM_BYTES - SEALED_AUDIO_HEADER_BYTES - AUDIO_AUTH_TAG_BYTES;
/** Highest redundancy copy number an AUDE carries (PROTOCOL.md §7.3: copies 0 to 3). */
export const MAX_AUDIO_COPY = 3;
/** Default budget for a whole audio datagram on real interfaces (below a 1500-byte MTU with IP/UDP headers). */
export const DEFAULT_DATAGRAM_BUDGET_BYTES = 1400;
/** Most streams a server may offer in each direction. */
export const MAX_STREAMS_PER_DIRECTION = 256;
/** Longest endpoint name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;
/** sample type (1) + channels (2) + buffer frames (4) + sample rate (8). */
export const FORMAT_RECORD_BYTES = 15;
