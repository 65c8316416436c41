// A duplex processor for the tests: stereo in, stereo out, channels swapped at half gain. With
// `options.log` (a SharedArrayBuffer of Float64), it also records each period's PeriodInfo:
// [count, then frameIndex, inputTimeNs, outputTimeNs, lateNs per period].
export default function makeGainSwap(setup) {
  const log = setup.options?.log ? new Float64Array(setup.options.log) : undefined;
  const periods = log ? Math.floor((log.length - 1) / 4) : 0;
  return {
    process(inputs, outputs, info) {
      const input = inputs[0];
      const output = outputs[0];
      for (let i = 0; i < input.length; i += 2) {
        output[i] = 0.5 * input[i + 1];
        output[i + 1] = 0.5 * input[i];
      }
      if (log !== undefined && log[0] < periods) {
        const at = 1 + 4 * log[0];
        log[at] = info.frameIndex;
        log[at + 1] = info.inputTimeNs;
        log[at + 2] = info.outputTimeNs;
        log[at + 3] = info.lateNs;
        log[0] += 1;
      }
    },
  };
}
