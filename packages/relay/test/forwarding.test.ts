import { describe, expect, it } from 'vitest';
import { encode } from '@syfala/proto';
import {
  audioRun,
  copiesBalance,
  nearBinomial,
  peer,
  pump,
  relayTo,
  until,
  type Peer,
} from './harness.js';

/** The target answers every datagram to its sender (the relay), as a server answers a client. */
function echo(target: Peer): void {
  target.socket.on('message', (datagram, from) =>
    target.socket.send(datagram, from.port, from.address),
  );
}

describe('forwarding', () => {
  it('carries both ways, impairing each direction on its own, and answers the last sender', async () => {
    const [first, second, target] = [await peer(), await peer(), await peer()];
    echo(target);
    const relay = await relayTo(target, { loss: 0.1 }, 4, { duplicate: 0.1 });

    // A reply before anyone has sent has nowhere to go.
    target.socket.send(Buffer.from('early'), relay.port, '127.0.0.1');
    await until(() => relay.report().toSource.unroutable === 1);

    /** Every echo back at the relay and every copy of it at its source. */
    const echoed = (received: () => number) => () => {
      const { toTarget, toSource } = relay.report();
      return toSource.received === 1 + toTarget.sent && received() === toSource.sent;
    };
    const n = 2_000;
    await pump(first, relay, audioRun(n), target);
    await until(
      echoed(() => first.received.length),
      relay,
    );
    const { toTarget, toSource } = relay.report();
    expect(nearBinomial(toTarget.dropped, n, 0.1)).toBe(true);
    expect(toTarget.duplicated).toBe(0);
    expect(toSource.received).toBe(1 + toTarget.sent);
    expect(toSource.dropped).toBe(0);
    expect(nearBinomial(toSource.duplicated, toTarget.sent, 0.1)).toBe(true);
    expect(first.received).toHaveLength(toTarget.sent + toSource.duplicated);
    expect(copiesBalance(toTarget) && copiesBalance(toSource)).toBe(true);

    // Another source takes over: replies now go to it.
    await pump(second, relay, audioRun(100), target);
    await until(
      echoed(() => first.received.length + second.received.length),
      relay,
    );
    expect(first.received).toHaveLength(toTarget.sent + toSource.duplicated);
    expect(second.received.length).toBeGreaterThan(0);
  });

  it('reports the audio a target sends before any source as unroutable and undelivered', async () => {
    const target = await peer();
    const relay = await relayTo(target, {});
    // A client behind the relay starts its stream before the server's first datagram reached it.
    for (const datagram of audioRun(3)) target.socket.send(datagram, relay.port, '127.0.0.1');
    target.socket.send(Buffer.from('early'), relay.port, '127.0.0.1');
    await until(() => relay.report().toSource.unroutable === 4);

    const { toSource } = relay.report();
    expect(toSource).toMatchObject({ received: 4, audio: 3, other: 1, sent: 0 });
    expect(toSource.streams[0]!.unroutable).toEqual([
      [0, 16],
      [16, 32],
      [32, 48],
    ]);
    expect(toSource.streams[0]!.undelivered).toEqual([[0, 48]]);
    expect(copiesBalance(toSource)).toBe(true);
  });

  it('counts what is not audio and, with audioOnly, lets it through unimpaired', async () => {
    const [source, target] = [await peer(), await peer()];
    const relay = await relayTo(target, { loss: 1, audioOnly: true });
    const beats = Array.from({ length: 100 }, (_, i) =>
      encode({ type: 'heartbeat', sequence: i, senderTimeUs: i }),
    );
    const mixed = audioRun(100).flatMap((datagram, i) => [datagram, Buffer.from(beats[i]!)]);
    const report = (await pump(source, relay, mixed, target)).toTarget;

    expect(report).toMatchObject({
      received: 200,
      audio: 100,
      other: 100,
      dropped: 100,
      sent: 100,
    });
    expect(target.received.every((datagram) => datagram.toString('latin1', 4, 8) === 'BEAT')).toBe(
      true,
    );
    expect(report.streams[0]!.undelivered).toEqual([[0, 1600]]);
  });

  it('discards what is still scheduled or held when it closes, and reports it undelivered', async () => {
    const [source, target] = [await peer(), await peer()];
    const delayed = await relayTo(target, { jitter: { baseMs: 60_000 } });
    for (const datagram of audioRun(10)) source.socket.send(datagram, delayed.port, '127.0.0.1');
    await until(() => delayed.report().toTarget.pending === 10);
    await delayed.close();
    const report = delayed.report().toTarget;
    expect(report).toMatchObject({ sent: 0, pending: 0, discarded: 10 });
    expect(report.streams[0]!.discarded).toHaveLength(10);
    expect(report.streams[0]!.undelivered).toEqual([[0, 160]]);
    expect(copiesBalance(report)).toBe(true);

    const holding = await relayTo(target, {
      reorder: { probability: 1, positions: 5 },
      duplicate: 1,
    });
    for (const datagram of audioRun(2)) source.socket.send(datagram, holding.port, '127.0.0.1');
    await until(() => holding.report().toTarget.held === 4);
    await holding.close();
    expect(holding.report().toTarget).toMatchObject({ held: 0, discarded: 4, duplicated: 2 });
    expect(holding.report().toTarget.streams[0]!.undelivered).toEqual([[0, 32]]);
    expect(target.received).toHaveLength(0);
  });
});
