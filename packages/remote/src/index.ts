export { RemoteError, type RemoteErrorCode } from './errors.js';
export * from './playout.js';
export * from './routes.js';
export {
  openSession,
  type RemoteSession,
  type SessionOptions,
  type SessionOutcome,
  type StartedEngine,
} from './session.js';
export type { Block, RingStats } from './block-streams.js';
export {
  openRemoteStream,
  type RemoteBlockStream,
  type RemoteStream,
  type RemoteStreamOptions,
  type RemoteStreamStats,
} from './remote-stream.js';
