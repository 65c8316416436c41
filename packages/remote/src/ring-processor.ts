import type { Processor, ProcessorSetup } from '@syfala/audio';
import { SpscRing } from '@syfala/dataplane';
import { OVERRUN_SLOT, SENDING_SLOT, UNDERRUN_SLOT, type RingSetup } from './ring-layout.js';

/**
 * Streams mode's processor, on the engine's thread: each period's received streams go into the
 * rings the main thread reads, and what it wrote into the send rings goes out. A period goes into
 * every receive ring or none (then it is counted as overrun), so the streams stay aligned.
 */
export default function createRingProcessor(setup: ProcessorSetup): Processor {
  const rings = setup.options as RingSetup;
  const received = rings.received.map((buffer) => SpscRing.attach(buffer));
  const sent = rings.sent.map((buffer) => SpscRing.attach(buffer));
  const receivedChannels = setup.inputs.map((format) => format.channels);
  const sentChannels = setup.outputs.map((format) => format.channels);
  const counters = new Int32Array(rings.counters);
  return {
    process(inputs, outputs) {
      let room = true;
      for (let i = 0; i < received.length; i++) {
        room &&= received[i]!.availableToWrite() >= inputs[i]!.length;
      }
      if (room) for (let i = 0; i < received.length; i++) received[i]!.write(inputs[i]!);
      else if (inputs.length > 0) {
        Atomics.add(counters, OVERRUN_SLOT, inputs[0]!.length / receivedChannels[0]!);
      }
      // The main thread writes every sent stream the same frames, so they hold the same.
      let missing = 0;
      for (let i = 0; i < sent.length; i++) {
        const channels = sentChannels[i]!;
        const output = outputs[i]!;
        const frames = Math.min(
          output.length / channels,
          Math.floor(sent[i]!.availableToRead() / channels),
        );
        sent[i]!.read(output, 0, frames * channels);
        missing = output.length / channels - frames;
      }
      if (missing > 0 && Atomics.load(counters, SENDING_SLOT) === 1) {
        Atomics.add(counters, UNDERRUN_SLOT, missing);
      }
    },
  };
}
