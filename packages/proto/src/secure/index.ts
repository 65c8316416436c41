export * from './key-schedule.js';
export * from './audio-aead.js';
