// The JACK duplex stream's worker thread entry. Plain JS beside src/ and dist/, so the same
// relative URL finds it from either (duplex.ts spawns it), and it runs the built package.
import { parentPort, workerData } from 'node:worker_threads';
import { runDuplexWorker } from '@syfala/backend-jack';

await runDuplexWorker(parentPort, workerData);
