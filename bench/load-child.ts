/** The flood bench's load generator process (forked by load-process.ts): runs what it is sent. */
import { floodDatagrams, floodTcp, spamHandshakes, zeroFloodCounts } from './flood-sources.js';
import type { LoadRequest } from './load-process.js';

process.on('message', (request: LoadRequest) => {
  const { kinds, ports, sockets } = request;
  const deadline = performance.now() + request.durationMs;
  const counts = zeroFloodCounts();
  void Promise.all([
    kinds.includes('datagrams') && floodDatagrams(ports, sockets, deadline, counts),
    kinds.includes('tcp') && floodTcp(ports.controlPort, deadline, counts),
    kinds.includes('handshakes') && spamHandshakes(ports.udpPort, sockets, deadline, counts),
  ]).then(() => process.send!(counts));
});
