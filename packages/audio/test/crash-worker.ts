import { Session } from 'node:inspector/promises';

interface WorkerReply {
  readonly id?: number;
  readonly method?: string;
  readonly params?: { readonly callFrames: ReadonlyArray<{ readonly callFrameId: string }> };
  readonly error?: { readonly message: string };
}

/**
 * Crashes a worker thread of this process from outside, as a bug or a dying dependency would,
 * with no hook in the worker's code: through the inspector, pauses the worker whose script URL
 * ends with `scriptName` (so whatever is posted to it meanwhile waits unread), runs `meanwhile`,
 * then makes the worker run `crash` (e.g. `process.exit(7)`) as soon as it resumes, before it
 * reads another message. Returns what `meanwhile` returned.
 */
export async function crashWorker<T>(
  scriptName: string,
  crash: string,
  meanwhile: () => T,
): Promise<T> {
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
    let nextId = 0;
    const replies = new Map<number, (reply: WorkerReply) => void>();
    let paused: (reply: WorkerReply) => void = () => undefined;
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }) => {
      const reply = JSON.parse(params.message) as WorkerReply;
      if (reply.method === 'Debugger.paused') paused(reply);
      else if (reply.id !== undefined) replies.get(reply.id)?.(reply);
    });
    const inWorker = async (method: string, params: object = {}): Promise<void> => {
      const id = nextId++;
      const reply = new Promise<WorkerReply>((resolve) => replies.set(id, resolve));
      await session.post('NodeWorker.sendMessageToWorker', {
        sessionId,
        message: JSON.stringify({ id, method, params }),
      });
      const { error } = await reply;
      if (error !== undefined) throw new Error(`inspector ${method}: ${error.message}`);
    };
    await inWorker('Debugger.enable');
    const pause = new Promise<WorkerReply>((resolve) => (paused = resolve));
    await inWorker('Debugger.pause');
    const [frame] = (await pause).params!.callFrames;
    const result = meanwhile();
    // Run on resume, not while paused (an exit from the debugger's nested loop never finishes);
    // a tick runs before the worker's event loop hands it its next message.
    await inWorker('Debugger.evaluateOnCallFrame', {
      callFrameId: frame!.callFrameId,
      expression: `process.nextTick(() => { ${crash}; })`,
    });
    await inWorker('Debugger.resume');
    return result;
  } finally {
    session.disconnect();
  }
}
