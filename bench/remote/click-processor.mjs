// The bench server's processor (bench/remote-round-trip.ts), on its engine's thread: a click on
// every channel of sent stream 0 every `intervalFrames`, click n at level (n % 8 + 1) / 16 (exact
// in every sample type), so its echo on received stream 0 names the click it echoes however late
// it comes back; each click's first echo is timed by the device's own frame count:
// results[0] echoes so far, results[1 + e] the round trip of echo e, frames.
const LABELS = 8;

export default function createClickProcessor({ outputs, options }) {
  const results = new Int32Array(options.results);
  const channels = outputs[0].channels;
  const clickedAt = new Float64Array(LABELS).fill(-1);
  let clicks = 0;
  return {
    process(inputs, outputs, info) {
      const input = inputs[0];
      const output = outputs[0];
      const frames = output.length / channels;
      for (let i = 0; i < frames; i++) {
        const frame = info.frameIndex + i;
        const label = Math.round(input[i * channels] * 16) - 1;
        if (label >= 0 && label < LABELS && clickedAt[label] >= 0) {
          const n = results[0];
          if (1 + n < results.length) results[1 + n] = frame - clickedAt[label];
          Atomics.store(results, 0, n + 1);
          clickedAt[label] = -1;
        }
        if (frame % options.intervalFrames === 0) {
          const label = clicks++ % LABELS;
          for (let c = 0; c < channels; c++) output[i * channels + c] = (label + 1) / 16;
          clickedAt[label] = frame;
        }
      }
    },
  };
}
