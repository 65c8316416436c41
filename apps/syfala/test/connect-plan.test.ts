import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyfalaError } from '@syfala/proto';
import { connectPlan, type ConnectFlags } from '../src/commands/connect/plan.js';
import { tempDir } from './fixtures.js';

/** What commander gives `connect` with no flag on the command line. */
const DEFAULTS: ConnectFlags = {
  encryption: true,
  timeout: 2000,
  backend: 'virtual',
  autoConnect: true,
};

describe('connect flags → plan', () => {
  it('with no flag: the virtual card, its fixed 480-frame target, until Ctrl-C', async () => {
    expect(await connectPlan(DEFAULTS)).toEqual({
      card: { backend: 'virtual' },
      timeoutMs: 2000,
      encryption: true,
      playout: { latency: 480, driftCompensation: false },
      json: false,
    });
  });

  it('every virtual-card flag, checked and converted to its unit', async () => {
    const dir = tempDir();
    const play = join(dir, 'in.wav');
    writeFileSync(play, '');
    const record = join(dir, 'take.wav');
    expect(
      await connectPlan({
        ...DEFAULTS,
        record,
        play,
        duration: '4',
        timeout: '1.5s',
        json: true,
        psk: 'sixteen bytes ok',
        encryption: false,
        latency: 'auto',
        driftCompensation: true,
        sampleRate: '44100',
        skewPpm: '-250.5',
        redundancy: '2',
        concealment: 'silence',
        datagramBudget: '9000',
        clientName: 'desk',
        interface: '127.0.0.1',
      }),
    ).toEqual({
      card: { backend: 'virtual', record, play, sampleRate: 44_100, skewPpm: -250.5 },
      timeoutMs: 1500,
      durationMs: 4000,
      interface: '127.0.0.1',
      psk: 'sixteen bytes ok',
      encryption: false,
      playout: { latency: 'auto', driftCompensation: true },
      redundancy: 2,
      concealment: 'silence',
      datagramBudgetBytes: 9000,
      clientName: 'desk',
      json: true,
    });
  });

  it('JACK: ports listed, the client name left to the endpoint unless given', async () => {
    const jack = { ...DEFAULTS, backend: 'jack' } as const;
    expect(
      await connectPlan({
        ...jack,
        jackServer: 'studio',
        capturePorts: 'system:capture_1, system:capture_2',
        autoConnect: false,
        driftCompensation: false,
        latency: '256fr',
      }),
    ).toEqual({
      card: {
        backend: 'jack',
        server: 'studio',
        connectInputsFrom: ['system:capture_1', 'system:capture_2'],
        connectOutputsTo: [],
        autoConnect: false,
      },
      timeoutMs: 2000,
      encryption: true,
      playout: { latency: 256, driftCompensation: false },
      driftFlag: '--no-drift-compensation',
      json: false,
    });
    expect((await connectPlan({ ...jack, jackName: 'desk' })).card).toMatchObject({
      clientName: 'desk',
    });
  });

  it('CoreAudio: --device for both directions, channels from 1', async () => {
    const plan = await connectPlan({
      ...DEFAULTS,
      backend: 'coreaudio',
      device: 'Built-in',
      outputDevice: 'USB',
      inputChannels: '3,4',
      period: '128',
    });
    expect(plan.card).toEqual({
      backend: 'coreaudio',
      options: {
        inputDevice: 'Built-in',
        outputDevice: 'USB',
        inputChannels: [3, 4],
        periodFrames: 128,
      },
    });
  });
});

// A SyfalaError (CliError, or the network package's for --interface): the CLI prints its message alone.
describe('connect refuses a bad flag with one sentence naming it and its value', () => {
  it.each<[string, Partial<ConnectFlags>, string]>([
    [
      'a JACK flag on the virtual card',
      { jackServer: 'studio' },
      '--jack-server needs --backend jack (this is --backend virtual)',
    ],
    [
      'a virtual-card flag on JACK',
      { backend: 'jack', record: 'take.wav' },
      '--record needs --backend virtual (this is --backend jack)',
    ],
    [
      'a timeout that is no time',
      { timeout: 'soon' },
      '--timeout must be a positive time such as 1500ms, 2s or 1min (a plain number is ms), got "soon"',
    ],
    [
      'a zero duration',
      { duration: '0' },
      '--duration must be a positive time such as 1500ms, 2s or 1min (a plain number is s), got "0"',
    ],
    [
      'a short pre-shared key',
      { psk: 'short' },
      '--psk must be at least 16 bytes long, got 5 (try: openssl rand -hex 16)',
    ],
    [
      'auto latency without drift compensation',
      { latency: 'auto' },
      '--latency auto needs drift compensation, off by default with --backend virtual: add --drift-compensation',
    ],
    [
      'too much redundancy',
      { redundancy: '4' },
      '--redundancy must be an integer from 0 to 3, got "4"',
    ],
    [
      'a datagram budget too small for a sealed byte',
      { datagramBudget: '48' },
      '--datagram-budget must be auto or an integer from 49 to 65507, got "48"',
    ],
    [
      'a datagram budget past the UDP maximum',
      { datagramBudget: '65508' },
      '--datagram-budget must be auto or an integer from 49 to 65507, got "65508"',
    ],
    [
      'an unknown concealment',
      { concealment: 'loud' },
      '--concealment must be one of fade, silence, got "loud"',
    ],
    [
      'a client name with a control character',
      { clientName: 'a\u0007b' },
      '--client-name must be 1 to 255 UTF-8 bytes of printable text, got "a\\u0007b"',
    ],
    [
      'a skew past the virtual clock’s range',
      { skewPpm: '200000' },
      '--skew-ppm must be a number from -100000 to 100000, got "200000"',
    ],
    [
      'a sample rate below 8 kHz',
      { sampleRate: '4000' },
      '--sample-rate must be an integer from 8000 to 384000, got "4000"',
    ],
    [
      '--raw without a pipe',
      { raw: true, record: 'take.wav' },
      '--raw needs --record - or --play - (it sets the PCM a pipe carries)',
    ],
    [
      'a file to play that is not there',
      { play: '/nonexistent/in.wav' },
      '--play: cannot read /nonexistent/in.wav (no such file, or not readable)',
    ],
    [
      'a recording in a folder that is not there',
      { record: '/nonexistent/take.wav' },
      '--record: cannot write /nonexistent/take.wav (/nonexistent is missing or not writable)',
    ],
    [
      'JACK ports without their client',
      { backend: 'jack', playbackPorts: 'playback_1' },
      '--playback-ports must list full JACK port names (client:port), comma-separated',
    ],
    [
      'a CoreAudio channel 0',
      { backend: 'coreaudio', outputChannels: '0,1' },
      '--output-channels must be an integer from 1 to 1024, got "0"',
    ],
    [
      'an interface this host does not have (TEST-NET-3)',
      { interface: '203.0.113.9' },
      '--interface: 203.0.113.9 is not the address of an interface of this host',
    ],
  ])('%s', async (_what, flags, message) => {
    const refusal = connectPlan({ ...DEFAULTS, ...flags });
    await expect(refusal).rejects.toBeInstanceOf(SyfalaError);
    await expect(refusal).rejects.toThrow(message);
  });
});
