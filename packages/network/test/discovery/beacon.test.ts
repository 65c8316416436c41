import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, encode } from '@syfala/proto';
import {
  DEFAULT_DISCOVERY_GROUP,
  Discovery,
  NetworkError,
  joinDiscoveryGroup,
  type DiscoveryOptions,
} from '../../src/index.js';
import { EventLog, NETNS, NETNS_REASON, until } from './event-log.js';
import { BeaconResponder } from './responder.js';

/** Runs `body` with a discovery and its event log, then closes both and the responder. */
async function withDiscovery(
  responder: BeaconResponder,
  options: DiscoveryOptions,
  body: (log: EventLog, discovery: Discovery) => Promise<void>,
): Promise<void> {
  const discovery = new Discovery(options);
  const log = new EventLog(discovery.events$);
  try {
    await body(log, discovery);
  } finally {
    log.unsubscribe();
    await discovery.close();
    await responder.close();
  }
}

function expectOffer(log: EventLog, responder: BeaconResponder): Promise<void> {
  const { endpointId, name, controlPort, formats } = responder.offer;
  return log
    .waitFor(
      (event) => event.type === 'added' && event.endpoint.id === endpointId,
      2000,
      'added event',
    )
    .then((event) => {
      expect(event.endpoint).toEqual({
        id: endpointId,
        name,
        host: '127.0.0.1',
        udpPort: responder.port,
        controlPort,
        protocolVersion: PROTOCOL_VERSION,
        formats,
        via: ['beacon'],
      });
    });
}

describe('beacon discovery, unicast', () => {
  it('finds a server at a unicast address within 2 s', async () => {
    const responder = await BeaconResponder.open();
    await withDiscovery(
      responder,
      { mdns: false, beacon: { address: '127.0.0.1', port: responder.port } },
      async (log, discovery) => {
        await expectOffer(log, responder);
        expect(discovery.stats().beacon.offers).toBeGreaterThan(0);
      },
    );
  }, 10_000);

  it('removes a server that stops answering after the expiry, and adds it again when it answers', async () => {
    const responder = await BeaconResponder.open();
    const id = responder.offer.endpointId;
    const beacon = { address: '127.0.0.1', port: responder.port, intervalMs: 100, expiryMs: 600 };
    await withDiscovery(responder, { mdns: false, beacon }, async (log) => {
      await expectOffer(log, responder);
      responder.answering = false;
      const silentAt = performance.now();
      const removed = await log.waitFor(
        (event) => event.type === 'removed' && event.endpoint.id === id,
        3000,
        'removed event',
      );
      // The last answer may have come up to one beacon interval before the responder fell silent.
      expect(performance.now() - silentAt).toBeGreaterThanOrEqual(600 - 100 - 20);
      expect(removed).toMatchObject({ type: 'removed', reason: 'expired' });

      responder.answering = true;
      await until(
        () => log.about(id).filter((e) => e.type === 'added').length === 2,
        2000,
        'added again',
      );
      expect(log.about(id).map((event) => event.type)).toEqual(['added', 'removed', 'added']);
    });
  }, 10_000);

  it('counts garbage, truncated and foreign datagrams by code and keeps the endpoint', async () => {
    const responder = await BeaconResponder.open();
    const conn = encode(responder.offer);
    const wrongVersion = Uint8Array.from(conn);
    wrongVersion[3] = 9;
    let seed = 12345;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const noise = Array.from({ length: 20 }, () =>
      Uint8Array.from({ length: Math.floor(random() * 80) }, () => Math.floor(random() * 256)),
    );
    // Sent right after every CONN, from the server that just answered well.
    responder.followUp = [
      conn.subarray(0, 20),
      Uint8Array.of(...conn, 0),
      wrongVersion,
      encode({ type: 'discovery' }),
      encode({ type: 'heartbeat', sequence: 1, senderTimeUs: 5 }),
      new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'),
      ...noise,
    ];
    const beacon = { address: '127.0.0.1', port: responder.port, intervalMs: 100, expiryMs: 600 };
    await withDiscovery(responder, { mdns: false, beacon }, async (log, discovery) => {
      await expectOffer(log, responder);
      // A dozen answers, each followed by the garbage: 1.1 s of them at least, nearly two expiry
      // periods, through which the endpoint must stay.
      await until(() => discovery.stats().beacon.offers >= 12, 5000, 'a dozen answers');
      const { rejected, ignored } = discovery.stats().beacon;
      expect(rejected.TRUNCATED).toBeGreaterThan(0);
      expect(rejected.LENGTH_MISMATCH).toBeGreaterThan(0);
      expect(rejected.BAD_VERSION).toBeGreaterThan(0);
      expect(rejected.UNKNOWN_TAG).toBeGreaterThan(0);
      expect(rejected.BAD_MAGIC).toBeGreaterThan(0);
      expect(ignored).toBeGreaterThan(0);
      expect(log.error).toBeUndefined();
      expect(log.events.map((event) => event.type)).toEqual(['added']);
      expect(discovery.endpoints().map((endpoint) => endpoint.id)).toEqual([
        responder.offer.endpointId,
      ]);
    });
  }, 10_000);

  it('counts the answers of a stranger that only sends garbage, and reports nothing', async () => {
    const stranger = createSocket('udp4');
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.1', resolve));
    stranger.on('message', (_datagram, rinfo) => {
      stranger.send(Uint8Array.of(0x53, 0x59, 0x46), rinfo.port, rinfo.address);
    });
    const discovery = new Discovery({
      mdns: false,
      beacon: { address: '127.0.0.1', port: stranger.address().port, intervalMs: 100 },
    });
    const log = new EventLog(discovery.events$);
    try {
      await until(
        () => discovery.stats().beacon.rejected.TRUNCATED >= 3,
        2000,
        'truncated datagrams counted',
      );
      expect(log.events).toEqual([]);
      expect(log.error).toBeUndefined();
    } finally {
      log.unsubscribe();
      await discovery.close();
      await new Promise<void>((resolve) => stranger.close(() => resolve()));
    }
  }, 10_000);
});

describe('joinDiscoveryGroup', () => {
  it('refuses a socket bound to an interface address, which never receives group traffic', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      expect(() => joinDiscoveryGroup(socket, { interfaces: ['127.0.0.1'] })).toThrow(
        expect.objectContaining({ constructor: NetworkError, code: 'BAD_OPTION' }),
      );
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  });

  it('refuses a socket that is not bound yet', async () => {
    const socket = createSocket('udp4');
    try {
      expect(() => joinDiscoveryGroup(socket, { interfaces: ['127.0.0.1'] })).toThrow(
        expect.objectContaining({ code: 'BAD_OPTION' }),
      );
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  });

  it('refuses a group outside 224.0.0.0/4', async () => {
    const socket = createSocket('udp4');
    try {
      expect(() => joinDiscoveryGroup(socket, { group: '10.0.0.1' })).toThrow(
        expect.objectContaining({ code: 'BAD_FIELD' }),
      );
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  });
});

describe.skipIf(!NETNS)(`beacon discovery, multicast and broadcast ${NETNS_REASON}`, () => {
  it('finds a server that joined the discovery group, within 2 s', async () => {
    const responder = await BeaconResponder.open({}, { joinGroupOn: '127.0.0.1' });
    await withDiscovery(
      responder,
      {
        mdns: false,
        interface: '127.0.0.1',
        beacon: { address: DEFAULT_DISCOVERY_GROUP, port: responder.port },
      },
      (log) => expectOffer(log, responder),
    );
  }, 10_000);

  it('finds a server by broadcast to 127.255.255.255, within 2 s', async () => {
    const responder = await BeaconResponder.open();
    await withDiscovery(
      responder,
      { mdns: false, beacon: { address: '127.255.255.255', port: responder.port } },
      (log) => expectOffer(log, responder),
    );
  }, 10_000);

  it('joins the group on every IPv4 interface by default, and again harmlessly', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '0.0.0.0', resolve));
    try {
      expect(joinDiscoveryGroup(socket)).toEqual(['127.0.0.1']);
      expect(joinDiscoveryGroup(socket)).toEqual(['127.0.0.1']);
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  });
});
