// The duplex latency bench's processor: inputs copied to outputs, nothing else.
export default () => ({
  process(inputs, outputs) {
    for (let s = 0; s < inputs.length; s++) outputs[s].set(inputs[s]);
  },
});
