// A pass-through duplex processor that, once the test sets `options.stall[0]` to 1, blocks for
// 30 ms (about 22 periods of 64 frames) in one period, then sets it to 2: a late worker, on purpose.
export default function makeStaller(setup) {
  const stall = new Int32Array(setup.options.stall);
  return {
    process(inputs, outputs) {
      outputs[0].set(inputs[0]);
      if (Atomics.load(stall, 0) === 1) {
        const until = Date.now() + 30;
        while (Date.now() < until);
        Atomics.store(stall, 0, 2);
      }
    },
  };
}
