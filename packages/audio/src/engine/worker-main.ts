import type { MessagePort } from 'node:worker_threads';
import { SyfalaError } from '@syfala/proto';
import { EngineCore } from './engine-core.js';
import type { EngineCommand, EngineEvent, EngineWorkerData } from './messages.js';

function errorCode(error: unknown): string {
  if (error instanceof SyfalaError) return error.code;
  return (error as NodeJS.ErrnoException).code ?? 'FAILED';
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
    switch (command.type) {
      case 'open-device':
        core.openDevice(command.device).then(
          (device) =>
            post({
              type: 'device-opened',
              sampleRate: device.sampleRate,
              periodFrames: device.periodFrames,
            }),
          (error: unknown) =>
            post({
              type: 'device-failed',
              code: errorCode(error),
              message: (error as Error).message,
            }),
        );
        return;
      case 'add-peer':
        try {
          core.addPeer(command.peer);
        } catch (error) {
          // A spec the core refuses must not take the worker (and every other peer) down.
          post({ type: 'peer-failed', id: command.peer.id, message: (error as Error).message });
          return;
        }
        post({ type: 'peer-added', id: command.peer.id });
        return;
      case 'send':
        core.setSending(command.id, command.enabled);
        return;
      case 'remove-peer':
        core.removePeer(command.id);
        return;
      case 'stats':
        post({ type: 'stats', requestId: command.requestId, stats: core.stats() });
        return;
      case 'close':
        void core.close().then(() => {
          post({ type: 'closed' });
          port.close();
        });
        return;
    }
  });
}
