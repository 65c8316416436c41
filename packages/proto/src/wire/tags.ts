/**
 * 4-byte ASCII tags, readable in a packet capture. `sentBy` says which role may send each one:
 * a datagram whose tag the receiver's peer role never sends is rejected as UNKNOWN_TAG.
 */
export const TAGS = {
  discovery: { tag: 'DSCV', sentBy: ['client'] },
  connect: { tag: 'CONN', sentBy: ['server'] },
  'connection-result': { tag: 'CRES', sentBy: ['client'] },
  'start-io': { tag: 'STRT', sentBy: ['client'] },
  'stop-io': { tag: 'STOP', sentBy: ['client'] },
  'start-io-result': { tag: 'STRR', sentBy: ['server'] },
  'stop-io-result': { tag: 'STPR', sentBy: ['server'] },
  heartbeat: { tag: 'BEAT', sentBy: ['client', 'server'] },
  audio: { tag: 'AUDI', sentBy: ['client', 'server'] },
  'sealed-audio': { tag: 'AUDE', sentBy: ['client', 'server'] },
  disconnect: { tag: 'DCON', sentBy: ['client', 'server'] },
  'version-not-supported': { tag: 'VERS', sentBy: ['client', 'server'] },
} as const;

export type MessageType = keyof typeof TAGS;
export type Role = 'client' | 'server';

/** A tag's four ASCII bytes read as a little-endian u32, for dispatch without building strings. */
export function tagCode(tag: string): number {
  return (
    (tag.charCodeAt(0) |
      (tag.charCodeAt(1) << 8) |
      (tag.charCodeAt(2) << 16) |
      (tag.charCodeAt(3) << 24)) >>>
    0
  );
}

export const AUDIO_TAG_CODE = tagCode(TAGS.audio.tag);
export const SEALED_AUDIO_TAG_CODE = tagCode(TAGS['sealed-audio'].tag);

/** AUDI and AUDE: audio, clear or sealed, which the audio plane decodes and no one answers. */
export function isAudioTagCode(code: number): boolean {
  return code === AUDIO_TAG_CODE || code === SEALED_AUDIO_TAG_CODE;
}
export const VERSION_TAG_CODE = tagCode(TAGS['version-not-supported'].tag);

const TYPE_BY_TAG_CODE = new Map<number, MessageType>(
  (Object.keys(TAGS) as MessageType[]).map((type) => [tagCode(TAGS[type].tag), type]),
);

export function messageTypeOfTagCode(code: number): MessageType | undefined {
  return TYPE_BY_TAG_CODE.get(code);
}

export function isSentBy(type: MessageType, role: Role): boolean {
  return (TAGS[type].sentBy as readonly Role[]).includes(role);
}
