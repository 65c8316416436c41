import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon, type CoreAudioDevice } from '@syfala/native-engine';
import { makeFormat } from '@syfala/proto';
import {
  chooseCoreAudioDevice,
  CoreAudioEngine,
  CoreAudioError,
  listCoreAudioDevices,
} from '../src/index.js';

const ON_MAC = process.platform === 'darwin';

describe.skipIf(ON_MAC)('CoreAudio off macOS', () => {
  const unsupported = {
    code: 'UNSUPPORTED_PLATFORM',
    message: `CoreAudio exists only on macOS (this is ${process.platform}): use --backend jack or --backend virtual`,
  };

  it('refuses to start an engine with a typed UNSUPPORTED_PLATFORM error', async () => {
    const refusal = CoreAudioEngine.start({ bind: { address: '127.0.0.1', port: 0 } });
    await expect(refusal).rejects.toBeInstanceOf(CoreAudioError);
    await expect(refusal).rejects.toMatchObject(unsupported);
  });

  it('refuses to list devices the same way', () => {
    expect(() => listCoreAudioDevices()).toThrow(CoreAudioError);
    expect(() => listCoreAudioDevices()).toThrow(expect.objectContaining(unsupported) as Error);
  });

  it('is refused by the native addon too, which stays usable', () => {
    const addon = loadNativeAddon((cause) => cause as Error);
    expect(addon.coreAudioAvailable).toBe(false);
    expect(() => addon.coreAudioDevices()).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_PLATFORM' }) as Error,
    );
    const engine = new addon.Engine({ address: '127.0.0.1', port: 0, datagramBudgetBytes: 1400 });
    try {
      expect(() => engine.openCoreAudio({ inputs: [2], outputs: [2] }, () => undefined)).toThrow(
        expect.objectContaining({
          code: 'UNSUPPORTED_PLATFORM',
          message: expect.stringMatching(/^CoreAudio exists only on macOS/) as string,
        }) as Error,
      );
      expect(engine.clock()).toBeUndefined();
      expect(engine.stats().peers).toEqual([]);
    } finally {
      engine.close();
    }
  });
});

describe('choosing a CoreAudio device', () => {
  const device = (
    uid: string,
    name: string,
    more: Partial<CoreAudioDevice> = {},
  ): CoreAudioDevice => ({
    uid,
    name,
    inputChannels: 2,
    outputChannels: 2,
    sampleRate: 48000,
    periodFrames: 512,
    defaultInput: false,
    defaultOutput: false,
    ...more,
  });
  const devices = [
    device('BuiltInMicrophoneDevice', 'MacBook Pro Microphone', { defaultInput: true }),
    device('BuiltInSpeakerDevice', 'MacBook Pro Speakers', { defaultOutput: true }),
    device('AppleUSBAudioEngine:A', 'USB Audio'),
    device('AppleUSBAudioEngine:B', 'USB Audio'),
  ];

  it('takes the default for the direction when none is named', () => {
    expect(chooseCoreAudioDevice(devices, undefined, 'input').uid).toBe('BuiltInMicrophoneDevice');
    expect(chooseCoreAudioDevice(devices, undefined, 'output').uid).toBe('BuiltInSpeakerDevice');
  });

  it('finds a device by UID first, then by name', () => {
    expect(chooseCoreAudioDevice(devices, 'AppleUSBAudioEngine:B', 'input').name).toBe('USB Audio');
    expect(chooseCoreAudioDevice(devices, 'MacBook Pro Speakers', 'output').uid).toBe(
      'BuiltInSpeakerDevice',
    );
  });

  it('says when a name is ambiguous, when nothing matches and when there is no default', () => {
    expect(() => chooseCoreAudioDevice(devices, 'USB Audio', 'input')).toThrow(
      expect.objectContaining({
        code: 'BAD_OPTION',
        message: expect.stringMatching(
          /2 CoreAudio devices are named "USB Audio": name one by its UID/,
        ) as string,
      }) as Error,
    );
    expect(() => chooseCoreAudioDevice(devices, 'Scarlett', 'input')).toThrow(
      expect.objectContaining({ code: 'DEVICE_NOT_FOUND' }) as Error,
    );
    expect(() => chooseCoreAudioDevice(devices.slice(2), undefined, 'output')).toThrow(
      expect.objectContaining({
        code: 'DEVICE_NOT_FOUND',
        message: 'this Mac has no default output device',
      }) as Error,
    );
  });
});

// Runs on a Mac only (the README's macOS job): the real HAL, the real default output device.
describe.runIf(ON_MAC)('CoreAudio on this Mac', () => {
  it('lists devices with their UIDs, channels and clocks', () => {
    const devices = listCoreAudioDevices();
    expect(devices.length).toBeGreaterThan(0);
    for (const d of devices) {
      expect(d.uid).not.toBe('');
      expect(d.sampleRate).toBeGreaterThan(0);
      expect(d.periodFrames).toBeGreaterThan(0);
    }
  });

  it('runs the engine on the default output device: periods advance at its clock', async () => {
    const output = listCoreAudioDevices().find((d) => d.defaultOutput);
    expect(output).toBeDefined();
    const engine = await CoreAudioEngine.start({ bind: { address: '127.0.0.1', port: 0 } });
    try {
      const stream = makeFormat({
        sampleType: 'f32',
        sampleRate: output!.sampleRate,
        channels: Math.min(2, output!.outputChannels),
        bufferFrames: output!.periodFrames,
      });
      const info = await engine.openDevice({ inputs: [], outputs: [stream] }, {});
      expect(info.sampleRate).toBe(output!.sampleRate);
      expect(info.outputPorts).toHaveLength(stream.channels);
      await sleep(1000);
      const { device } = await engine.stats();
      // One second of periods, give or take scheduling: the device's clock drives process().
      const expected = output!.sampleRate / info.periodFrames;
      expect(device!.periods).toBeGreaterThan(expected * 0.5);
      expect(device!.periods).toBeLessThan(expected * 1.5);
    } finally {
      await engine.close();
    }
  });
});
