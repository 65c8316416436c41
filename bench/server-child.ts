/**
 * The bench server's process (forked by server-process.ts): `syfala serve`'s Daemon on the
 * virtual card, every socket on 127.0.0.1, no discovery beyond answering by address. Answers
 * sample requests over IPC until told to close, or until its parent goes away.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Daemon } from 'syfala';
import { sampleProcess } from './process-sample.js';
import { BENCH_FORMATS, type ServerReply, type ServerRequest } from './server-process.js';

const daemon = await Daemon.start({
  name: 'bench',
  formats: BENCH_FORMATS,
  host: '127.0.0.1',
  udpPort: 0,
  controlPort: 0,
  discovery: { group: false, mdns: false },
  device: { backend: 'virtual', options: {} },
});
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();

const reply = (message: ServerReply): void => void process.send!(message);
const shutdown = async (): Promise<void> => {
  await daemon.close();
  reply({ type: 'closed' });
  process.disconnect();
};

process.on('message', (request: ServerRequest) => {
  if (request.type === 'close') {
    void shutdown();
    return;
  }
  void daemon.engine.stats().then((engine) => {
    const eventLoop = { p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 };
    const sample = {
      timeMs: performance.now(),
      process: sampleProcess(request.collectGarbage),
      eventLoop,
      server: daemon.server.stats(),
      engine,
    };
    // After the sample: a forced collection's pause is the bench's, not the server's delay.
    delay.reset();
    reply({ type: 'sample', id: request.id, sample });
  });
});
// The bench died without closing us: don't outlive it.
process.on('disconnect', () => void daemon.close());

reply({
  type: 'ready',
  udpPort: daemon.server.udpPort,
  controlPort: daemon.server.controlPort,
  audioPort: daemon.engine.port,
});
