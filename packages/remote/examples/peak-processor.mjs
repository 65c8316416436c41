// A processor for openRemoteStream: it keeps the peak of what arrives in shared memory for the
// main thread, and sends what arrives back at half its level. Runs on the engine's thread.
export default function createPeakProcessor({ options }) {
  const peak = new Float32Array(options.peak); // allocated once, here, not in process()
  return {
    process(inputs, outputs) {
      const input = inputs[0];
      const output = outputs[0];
      for (let i = 0; i < input.length; i++) {
        peak[0] = Math.max(peak[0], Math.abs(input[i]));
        output[i] = input[i] * 0.5;
      }
    },
  };
}
