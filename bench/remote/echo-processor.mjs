// The bench client's processor: sends back what it receives, in the same period.
export default function createEchoProcessor() {
  return {
    process(inputs, outputs) {
      outputs[0].set(inputs[0]);
    },
  };
}
