export { AudioEngine, type EngineOptions } from './engine.js';
export { runEngineWorker } from './worker-main.js';
export type { DeviceSpec } from './messages.js';
export type { Processor, ProcessorFactory, ProcessorSetup, ProcessorSpec } from './processor.js';
export { readStatsReport, statsReport, type StatsReport } from './stats-report.js';
export { PendingReplies } from './pending-replies.js';
