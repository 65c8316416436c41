import { describe, expect, it } from 'vitest';
import { ImpairmentRelay, RelayError, type RelayOptions } from '../src/index.js';

const LOOPBACK_TARGET = { address: '127.0.0.1', port: 9 };

async function refusal(options: RelayOptions): Promise<{ code: string; message: string }> {
  const error: unknown = await ImpairmentRelay.start(options).then(
    async (relay) => {
      await relay.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RelayError);
  return error as RelayError;
}

describe('options', () => {
  it.each([
    [{ toTarget: { loss: 1.5 } }, 'toTarget.loss: a probability from 0 to 1, got 1.5'],
    [{ toSource: { duplicate: -0.1 } }, 'toSource.duplicate'],
    [{ toTarget: { burstLoss: { goodToBad: 0.1, badToGood: Number.NaN } } }, 'badToGood'],
    [{ toTarget: { reorder: { probability: 0.1, positions: 0 } } }, 'reorder.positions'],
    [
      { toTarget: { reorder: { probability: 0.1, positions: 1, delayMs: 5 } as never } },
      'positions or delayMs',
    ],
    [{ toTarget: { jitter: { uniformMs: -1 } } }, 'jitter.uniformMs'],
    [{ toTarget: { jitter: { baseMs: Infinity } } }, 'jitter.baseMs'],
    [{ toTarget: { corrupt: { probability: 0.1, maxBits: 0 } } }, 'corrupt.maxBits'],
  ])('refuses impairments out of range: %j', async (impairments, message) => {
    const error = await refusal({ target: LOOPBACK_TARGET, seed: 1, impairments });
    expect(error.code).toBe('BAD_OPTION');
    expect(error.message).toContain(message);
  });

  it.each([-1, 1.5, 2 ** 32])('refuses the seed %d', async (seed) => {
    expect((await refusal({ target: LOOPBACK_TARGET, seed })).code).toBe('BAD_OPTION');
  });

  it('listens and sends on loopback only, unless told otherwise', async () => {
    const remote = { address: '192.0.2.1', port: 9 }; // TEST-NET-1: never routed
    expect(await refusal({ target: remote, seed: 1 })).toMatchObject({
      code: 'ADDRESS_REFUSED',
      message: expect.stringContaining('not loopback') as string,
    });
    expect(
      await refusal({
        target: LOOPBACK_TARGET,
        listen: { address: '192.0.2.1', port: 0 },
        seed: 1,
      }),
    ).toMatchObject({ code: 'ADDRESS_REFUSED' });
    // Given explicitly, a remote target is accepted (nothing is sent here).
    const relay = await ImpairmentRelay.start({ target: remote, seed: 1, allowRemote: true });
    expect(relay.address.address).toBe('127.0.0.1');
    await relay.close();
  });

  it('never listens on a wildcard nor sends to a group, even when remote addresses are allowed', async () => {
    const allowRemote = true;
    for (const options of [
      { target: LOOPBACK_TARGET, listen: { address: '0.0.0.0', port: 0 } },
      { target: { address: '::', port: 9 } },
      { target: { address: '224.0.0.251', port: 5353 } },
      { target: { address: '255.255.255.255', port: 9 } },
      { target: { address: 'ff02::1', port: 9 } },
    ]) {
      expect((await refusal({ ...options, seed: 1, allowRemote })).code).toBe('ADDRESS_REFUSED');
    }
  });

  it('wants IP addresses and ports, of one family', async () => {
    for (const options of [
      { target: { address: 'localhost', port: 9 } },
      { target: { address: '127.0.0.1', port: 0 } },
      { target: { address: '127.0.0.1', port: 70_000 } },
      { target: LOOPBACK_TARGET, listen: { address: '::1', port: 0 } },
    ]) {
      expect((await refusal({ ...options, seed: 1 })).code).toBe('BAD_ADDRESS');
    }
  });
});
