export * from './errors.js';
export type { PeerInputError } from './guard.js';
export { formatAddress } from './control/address.js';
export {
  MAX_FOLDED_SOURCES,
  REFUSAL_FOLD_INTERVAL_MS,
  REFUSAL_REPORT_BURST,
  REFUSAL_REPORT_BURST_PER_SOURCE,
  REFUSAL_REPORTS_PER_S,
  REFUSAL_REPORTS_PER_SOURCE_PER_S,
  type Refusal,
  type RefusalReport,
} from './refusals.js';
export * from './endpoint.js';
export * from './discovery/index.js';
export type { Admission, ClientHello, ServerOffer } from './control/channel.js';
export type { PskInput } from './control/auth.js';
export { MAX_IO_RUNS, type AudioKeys } from './control/audio-keys.js';
// The keys of one I/O run, as sessions hand them to an engine (defined with the key schedule).
export type { AudioRunKeys } from '@syfala/proto';
export {
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  type HeartbeatOptions,
} from './session/liveness.js';
export {
  STATS_INTERVAL_MS,
  type ControlStats,
  type PeerStatsReport,
  type SessionEnd,
  type SessionEndReason,
  type SessionStateName,
  type StatsProvider,
  type StatsReport,
} from './session/session-core.js';
export {
  Connected,
  Streaming,
  type ClientSessionOptions,
  type ClientStats,
  type RequestOptions,
  type StartIoOptions,
} from './session/client-session.js';
export {
  ServerSession,
  type IoHandlers,
  type ServerSessionStats,
} from './session/server-session.js';
export { connect, type ConnectOptions, type ConnectTarget } from './connect.js';
export {
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_ADDRESS,
  INPUT_ERROR_REPORT_BURST,
  INPUT_ERROR_REPORTS_PER_S,
  SyfalaServer,
  type ServerDiscoveryOptions,
  type ServerEvent,
  type ServerOptions,
  type ServerStats,
} from './server.js';
