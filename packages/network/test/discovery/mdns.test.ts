import { randomUUID } from 'node:crypto';
import { Bonjour, type ServiceConfig } from 'bonjour-service';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type StreamFormats } from '@syfala/proto';
import { Discovery, publishEndpoint, type EndpointInfo } from '../../src/index.js';
import { EventLog, NETNS, NETNS_REASON, until } from './event-log.js';
import { BeaconResponder } from './responder.js';

const FORMATS: StreamFormats = {
  inputs: [
    { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 },
    { sampleType: 'i24', sampleRate: 44_100, channels: 8, bufferFrames: 64 },
  ],
  outputs: [{ sampleType: 'i16', sampleRate: 96_000, channels: 1, bufferFrames: 0 }],
};

function info(overrides: Partial<EndpointInfo> = {}): EndpointInfo {
  return {
    id: randomUUID(),
    name: 'Studio A — mDNS',
    udpPort: 6910,
    controlPort: 6911,
    formats: FORMATS,
    ...overrides,
  };
}

/** Other test files publish on the same mDNS port, so every check picks out its own endpoint id. */
describe.skipIf(!NETNS)(`mDNS publish and browse ${NETNS_REASON}`, () => {
  it('sees a published endpoint with every TXT field within 2 s, and its goodbye', async () => {
    const discovery = new Discovery({ beacon: false, interface: '127.0.0.1' });
    const log = new EventLog(discovery.events$);
    const endpoint = info();
    try {
      const publication = await publishEndpoint(endpoint, { interface: '127.0.0.1' });
      try {
        const added = await log.waitFor(
          (event) => event.type === 'added' && event.endpoint.id === endpoint.id,
          2000,
          'added event',
        );
        expect(added.endpoint).toEqual({
          id: endpoint.id,
          name: endpoint.name,
          host: '127.0.0.1',
          udpPort: 6910,
          controlPort: 6911,
          protocolVersion: PROTOCOL_VERSION,
          formats: FORMATS,
          via: ['mdns'],
        });
        expect(publication.instanceName).toBe(`Studio A — mDNS (${endpoint.id.slice(0, 8)})`);
      } finally {
        await publication.close();
      }
      const removed = await log.waitFor(
        (event) => event.type === 'removed' && event.endpoint.id === endpoint.id,
        2000,
        'removed event',
      );
      expect(removed).toMatchObject({ reason: 'goodbye' });
      expect(log.about(endpoint.id).map((event) => event.type)).toEqual(['added', 'removed']);
    } finally {
      log.unsubscribe();
      await discovery.close();
    }
  }, 10_000);

  it('finds an endpoint published before the discovery started, by querying', async () => {
    const endpoint = info({ formats: { inputs: [], outputs: [] } });
    const publication = await publishEndpoint(endpoint, { interface: '127.0.0.1' });
    const discovery = new Discovery({ beacon: false, interface: '127.0.0.1' });
    const log = new EventLog(discovery.events$);
    try {
      const added = await log.waitFor(
        (event) => event.type === 'added' && event.endpoint.id === endpoint.id,
        2000,
        'added event',
      );
      expect(added.endpoint.formats).toEqual({ inputs: [], outputs: [] });
      expect(discovery.stats().mdns.queries).toBeGreaterThan(0);
    } finally {
      log.unsubscribe();
      await discovery.close();
      await publication.close();
    }
  }, 10_000);

  it('ignores and counts services with a malformed TXT record, and still finds good ones', async () => {
    const discovery = new Discovery({ beacon: false, interface: '127.0.0.1' });
    const log = new EventLog(discovery.events$);
    // A plain bonjour-service publisher, writing TXT records that break docs/DISCOVERY.md.
    const rogue = new Bonjour({
      interface: '127.0.0.1',
      bind: '0.0.0.0',
    } as Partial<ServiceConfig>);
    const badId = randomUUID();
    const bad = [
      { v: '1', id: 'not-an-id', name: 'bad id', ctl: '0' },
      { v: 'one', id: badId, name: 'bad version', ctl: '0' },
      { v: '1', id: badId, name: 'bad formats', ctl: '0', in: 'f32/48000/0/32', out: '' },
      { v: '1', id: badId, ctl: '6911' },
    ];
    const services = bad.map((txt, index) =>
      rogue.publish({
        name: `rogue ${index}`,
        type: 'syfala',
        protocol: 'udp',
        port: 7000 + index,
        txt,
        probe: false,
      }),
    );
    const good = info();
    try {
      await until(
        () => discovery.stats().mdns.rejected.BAD_FIELD >= bad.length,
        3000,
        'malformed TXT records counted',
      );
      const publication = await publishEndpoint(good, { interface: '127.0.0.1' });
      try {
        await log.waitFor(
          (event) => event.type === 'added' && event.endpoint.id === good.id,
          2000,
          'the good endpoint',
        );
      } finally {
        await publication.close();
      }
      expect(log.about(badId)).toEqual([]);
      expect(log.events.some((event) => event.endpoint.name.startsWith('bad'))).toBe(false);
      expect(log.error).toBeUndefined();
    } finally {
      await Promise.all(services.map((service) => new Promise((resolve) => service.stop(resolve))));
      await new Promise((resolve) => rogue.destroy(resolve));
      log.unsubscribe();
      await discovery.close();
    }
  }, 10_000);

  it('merges an endpoint seen by beacon and by mDNS into one, keyed by id', async () => {
    const responder = await BeaconResponder.open({ name: 'Merged (beacon name)' });
    const id = responder.offer.endpointId;
    const discovery = new Discovery({
      interface: '127.0.0.1',
      beacon: { address: '127.0.0.1', port: responder.port, intervalMs: 100, expiryMs: 600 },
    });
    const log = new EventLog(discovery.events$);
    try {
      await log.waitFor(
        (event) => event.type === 'added' && event.endpoint.id === id,
        2000,
        'added',
      );
      const publication = await publishEndpoint(
        info({ id, name: 'Merged (mDNS name)', udpPort: responder.port, formats: FORMATS }),
        { interface: '127.0.0.1' },
      );
      try {
        const updated = await log.waitFor(
          (event) => event.type === 'updated' && event.endpoint.id === id,
          2000,
          'updated event',
        );
        // Fields come from the CONN, the server's own offer; `via` names both methods.
        expect(updated.endpoint).toEqual({
          id,
          name: 'Merged (beacon name)',
          host: '127.0.0.1',
          udpPort: responder.port,
          controlPort: responder.offer.controlPort,
          protocolVersion: PROTOCOL_VERSION,
          formats: responder.offer.formats,
          via: ['beacon', 'mdns'],
        });
      } finally {
        await publication.close();
      }
      // mDNS said goodbye, but beacons still see it: an update, not a removal.
      await until(() => log.about(id).length === 3, 2000, 'update after the goodbye');
      expect(log.about(id)[2]).toMatchObject({ type: 'updated', endpoint: { via: ['beacon'] } });

      responder.answering = false;
      const removed = await log.waitFor(
        (event) => event.type === 'removed' && event.endpoint.id === id,
        3000,
        'removed event',
      );
      expect(removed).toMatchObject({ reason: 'expired' });
      expect(log.about(id).map((event) => event.type)).toEqual([
        'added',
        'updated',
        'updated',
        'removed',
      ]);
    } finally {
      log.unsubscribe();
      await discovery.close();
      await responder.close();
    }
  }, 10_000);
});
