// The engine's worker thread entry. Plain JS beside src/ and dist/, so the same relative URL finds
// it from either (engine.ts spawns it), and it runs the built package.
import { parentPort, workerData } from 'node:worker_threads';
import { runEngineWorker } from '@syfala/audio';

await runEngineWorker(parentPort, workerData);
