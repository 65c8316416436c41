export { Daemon, DEFAULT_TARGET_LATENCY_FRAMES, peerId, type DaemonOptions } from './daemon.js';
export { streamWith, type StreamOptions, type StreamResult } from './stream-client.js';
export { parseFormat, parseFormats } from './format-spec.js';
export { resolveEndpoint, type ResolveOptions } from './resolve-endpoint.js';
