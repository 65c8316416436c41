import { describe, expect, it } from 'vitest';
import { ValueError } from '@syfala/proto';
import {
  Discovery,
  NetworkError,
  discover,
  discoverOnce,
  type DiscoveryOptions,
} from '../../src/index.js';
import { EventLog, until } from './event-log.js';
import { BeaconResponder, witness } from './responder.js';

describe('discovery options', () => {
  it('refuses bad options with a ValueError naming the field, before opening anything', () => {
    const cases: [DiscoveryOptions, RegExp][] = [
      [{ bind: 'localhost' }, /^bind/],
      [{ interface: '::1' }, /^interface/],
      [{ beacon: { address: 'server.local' } }, /^beacon\.address/],
      [{ beacon: { port: 0 } }, /^beacon\.port/],
      [{ beacon: { intervalMs: 0 } }, /^beacon\.intervalMs/],
      [{ beacon: { intervalMs: 500, expiryMs: 500 } }, /^beacon\.expiryMs/],
      [{ beacon: { multicastTtl: 256 } }, /^beacon\.multicastTtl/],
      [{ mdns: { interface: '1.2.3' } }, /^mdns\.interface/],
    ];
    for (const [options, message] of cases) {
      expect(() => discover(options)).toThrow(ValueError);
      expect(() => new Discovery(options)).toThrow(message);
    }
  });

  it('rejects a bad discoverOnce time window', async () => {
    await expect(discoverOnce({ timeoutMs: -1, mdns: false })).rejects.toThrow(ValueError);
  });
});

describe('Discovery lifecycle', () => {
  it('errors the stream with NetworkError when the beacon socket cannot bind, and stays failed', async () => {
    // 192.0.2.1 (TEST-NET-1) is no address of this host: the bind fails locally, nothing is sent.
    const discovery = new Discovery({ mdns: false, beacon: { bind: '192.0.2.1' } });
    const log = new EventLog(discovery.events$);
    try {
      await until(() => log.error !== undefined, 2000, 'stream error');
      expect(log.error).toBeInstanceOf(NetworkError);
      expect(log.error).toMatchObject({ code: 'BIND_FAILED' });
      const late = new EventLog(discovery.events$);
      expect(late.error).toBe(log.error);
    } finally {
      await discovery.close();
    }
  });

  it('errors the stream with BAD_OPTION for an mDNS interface that is not this host’s', async () => {
    const discovery = new Discovery({ beacon: false, mdns: { interface: '192.0.2.1' } });
    const log = new EventLog(discovery.events$);
    try {
      await until(() => log.error !== undefined, 2000, 'stream error');
      expect(log.error).toMatchObject({ constructor: NetworkError, code: 'BAD_OPTION' });
    } finally {
      await discovery.close();
    }
  });

  it('opens sockets on the first subscriber, replays known endpoints to a late one, and closes after the last', async () => {
    const responder = await BeaconResponder.open();
    const id = responder.offer.endpointId;
    const discovery = new Discovery({
      mdns: false,
      beacon: { address: '127.0.0.1', port: responder.port, intervalMs: 100 },
    });
    try {
      expect((await witness(responder, 100)).before).toEqual([]);

      const first = new EventLog(discovery.events$);
      await first.waitFor((event) => event.type === 'added', 2000, 'added event');
      const late = new EventLog(discovery.events$);
      expect(late.events).toEqual([{ type: 'added', endpoint: first.events[0]!.endpoint }]);
      expect(discovery.endpoints().map((endpoint) => endpoint.id)).toEqual([id]);

      first.unsubscribe();
      // Still beaconing for the late subscriber: a new answer arrives.
      const offers = discovery.stats().beacon.offers;
      await until(() => discovery.stats().beacon.offers > offers, 2000, 'an answer after');
      expect(discovery.endpoints()).toHaveLength(1);
      late.unsubscribe();
      expect(discovery.endpoints()).toEqual([]);
      // A beacon already sent as it stopped may come before the witness's first, none after.
      expect((await witness(responder, 100)).between).toEqual([]);

      // Subscribing again starts a fresh run; the counters carry on.
      const again = new EventLog(discovery.events$);
      await again.waitFor((event) => event.type === 'added', 2000, 'added again');
      again.unsubscribe();
      expect(discovery.stats().beacon.offers).toBeGreaterThan(1);
    } finally {
      await discovery.close();
      await responder.close();
    }
  }, 10_000);

  it('completes the stream on close, for current and later subscribers', async () => {
    const responder = await BeaconResponder.open();
    const discovery = new Discovery({
      mdns: false,
      beacon: { address: '127.0.0.1', port: responder.port, intervalMs: 100 },
    });
    const log = new EventLog(discovery.events$);
    try {
      await log.waitFor((event) => event.type === 'added', 2000, 'added event');
      await discovery.close();
      expect(log.completed).toBe(true);
      expect(new EventLog(discovery.events$).completed).toBe(true);
      expect((await witness(responder, 100)).between).toEqual([]);
      await discovery.close();
    } finally {
      await discovery.close();
      await responder.close();
    }
  }, 10_000);

  it('discoverOnce collects the endpoints of a time window and closes its sockets', async () => {
    const responder = await BeaconResponder.open({ name: 'Once' });
    try {
      const endpoints = await discoverOnce({
        timeoutMs: 800,
        mdns: false,
        beacon: { address: '127.0.0.1', port: responder.port, intervalMs: 100 },
      });
      expect(endpoints).toMatchObject([
        { id: responder.offer.endpointId, name: 'Once', via: ['beacon'] },
      ]);
      expect((await witness(responder, 100)).between).toEqual([]);
    } finally {
      await responder.close();
    }
  }, 10_000);
});
