import { describe, expect, it } from 'vitest';
import { Discovery, DEFAULT_DISCOVERY_GROUP, connect, type Endpoint } from '../../src/index.js';
import { FORMATS } from '../control/helpers.js';
import { EventLog, NETNS, NETNS_REASON } from '../discovery/event-log.js';
import { startServer } from './fixtures.js';

// Multicast and mDNS: only inside the private network namespace the test command makes.
describe.skipIf(!NETNS)(
  `a server found by discovery, then connected to ${NETNS ? '' : NETNS_REASON}`,
  () => {
    it('is found by beacon and by mDNS within 2 s, as one endpoint with its formats', async () => {
      const server = await startServer({
        name: 'Studio A',
        host: '0.0.0.0',
        discovery: {
          group: DEFAULT_DISCOVERY_GROUP,
          interfaces: ['127.0.0.1'],
          mdns: { interface: '127.0.0.1' },
        },
      });
      const discovery = new Discovery({
        beacon: { address: DEFAULT_DISCOVERY_GROUP, port: server.udpPort, intervalMs: 200 },
        interface: '127.0.0.1',
      });
      const log = new EventLog(discovery.events$);
      try {
        const both = (await log.waitFor(
          (event) =>
            event.type !== 'removed' &&
            event.endpoint.id === server.id &&
            event.endpoint.via.length === 2,
          2000,
          'the server seen by both methods',
        )) as { endpoint: Endpoint };
        expect(both.endpoint).toMatchObject({
          id: server.id,
          name: 'Studio A',
          udpPort: server.udpPort,
          controlPort: server.controlPort,
          formats: FORMATS,
          via: ['beacon', 'mdns'],
        });

        const connected = await connect(both.endpoint);
        expect(connected.offer.endpointId).toBe(server.id);
        await connected.disconnect();
      } finally {
        await discovery.close();
      }
    });

    it('is removed from discovery by its mDNS goodbye and beacon expiry when it closes', async () => {
      const server = await startServer({
        host: '0.0.0.0',
        discovery: { interfaces: ['127.0.0.1'], mdns: { interface: '127.0.0.1' } },
      });
      const discovery = new Discovery({
        beacon: {
          address: DEFAULT_DISCOVERY_GROUP,
          port: server.udpPort,
          intervalMs: 100,
          expiryMs: 500,
        },
        interface: '127.0.0.1',
      });
      const log = new EventLog(discovery.events$);
      try {
        await log.waitFor(
          (event) => event.endpoint.id === server.id && event.endpoint.via.length === 2,
          2000,
          'the server seen by both methods',
        );
        await server.close();
        const removed = await log.waitFor(
          (event) => event.type === 'removed' && event.endpoint.id === server.id,
          3000,
          'the server removed',
        );
        expect(removed.type).toBe('removed');
        expect(
          log.about(server.id).some((e) => e.type === 'updated' && e.endpoint.via.length === 1),
        ).toBe(true);
      } finally {
        await discovery.close();
      }
    });
  },
);
