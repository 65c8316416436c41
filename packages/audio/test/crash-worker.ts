import { Session } from 'node:inspector/promises';

interface WorkerReply {
  readonly id?: number;
  readonly result?: { readonly exceptionDetails?: { readonly text: string } };
  readonly error?: { readonly message: string };
}

/**
 * Crashes a worker thread of this process from outside, as a bug or a dying dependency would,
 * with no hook in the worker's code: through the inspector, makes the worker whose script URL
 * ends with `scriptName` run `crash` (e.g. `process.exit(7)`) in place of handling the next
 * message its parent posts, then runs `then` (which posts what the crash should strand).
 * Returns what `then` returned.
 */
export async function crashWorker<T>(scriptName: string, crash: string, then: () => T): Promise<T> {
  const session = new Session();
  session.connect();
  try {
    const attached = new Promise<string>((resolve) => {
      session.on('NodeWorker.attachedToWorker', ({ params }) => {
        if (params.workerInfo.url.endsWith(scriptName)) resolve(params.sessionId);
      });
    });
    await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    const sessionId = await attached;
    const reply = new Promise<WorkerReply>((resolve) => {
      session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
        const message = JSON.parse(params.message) as WorkerReply;
        if (message.id === 0) resolve(message);
      });
    });
    // Swapped in the worker's global scope, not on a paused call frame: a frame's scope can
    // shadow `process`, and a crash scheduled on resume can lose the race to queued messages.
    const expression = `{
      const port = process.getBuiltinModule('node:worker_threads').parentPort;
      port.removeAllListeners('message');
      port.on('message', () => { ${crash}; });
    }`;
    await session.post('NodeWorker.sendMessageToWorker', {
      sessionId,
      message: JSON.stringify({ id: 0, method: 'Runtime.evaluate', params: { expression } }),
    });
    const { error, result } = await reply;
    const failure = error?.message ?? result?.exceptionDetails?.text;
    if (failure !== undefined) throw new Error(`inspector Runtime.evaluate: ${failure}`);
    return then();
  } finally {
    session.disconnect();
  }
}
