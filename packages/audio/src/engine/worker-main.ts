import type { MessagePort } from 'node:worker_threads';
import { SyfalaError } from '@syfala/proto';
import { EngineCore } from './engine-core.js';
import type {
  EngineCommand,
  EngineEvent,
  EngineRequest,
  EngineResults,
  EngineWorkerData,
} from './messages.js';

function errorCode(error: unknown): string {
  if (error instanceof SyfalaError) return error.code;
  return (error as NodeJS.ErrnoException).code ?? 'FAILED';
}

/** Carries out one request; a throw becomes that request's error reply. */
async function run(
  core: EngineCore,
  request: EngineRequest,
  post: (event: EngineEvent) => void,
): Promise<EngineResults[EngineRequest['type']]> {
  switch (request.type) {
    case 'open-device': {
      const device = await core.openDevice(
        request.device,
        (failure) => post({ type: 'sink-failed', failure }),
        (message) => post({ type: 'processor-failed', message }),
      );
      return { sampleRate: device.sampleRate, periodFrames: device.periodFrames };
    }
    case 'add-peer':
      core.addPeer(request.peer);
      return undefined;
    case 'send':
      core.setSending(request.peer, request.enabled);
      return undefined;
    case 'stats':
      return core.stats();
    case 'close':
      await core.close();
      return undefined;
  }
}

/** The engine worker's body (worker/engine-worker.mjs calls it): bind, then obey commands. */
export async function runEngineWorker(port: MessagePort, data: EngineWorkerData): Promise<void> {
  const post = (event: EngineEvent): void => port.postMessage(event);
  let core: EngineCore;
  try {
    core = await EngineCore.bind(data);
  } catch (error) {
    post({ type: 'failed', code: errorCode(error), message: (error as Error).message });
    return;
  }
  post({ type: 'ready', port: core.port });
  port.on('message', (command: EngineCommand) => {
    if (command.type === 'remove-peer') {
      core.removePeer(command.peer);
      return;
    }
    const { id } = command;
    // A request the core refuses (a bad peer spec) must not take the worker, and every other
    // peer, down: it fails alone, with its code.
    run(core, command, post)
      .then(
        (result) => post({ type: 'done', id, result }),
        (error: unknown) =>
          post({
            type: 'error',
            id,
            name: error instanceof Error ? error.name : 'Error',
            code: errorCode(error),
            message: error instanceof Error ? error.message : String(error),
          }),
      )
      // A close that failed (a file that could not be finalised) has still closed the rest.
      .finally(() => {
        if (command.type === 'close') port.close();
      });
  });
}
