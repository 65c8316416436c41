// A duplex processor that throws on its tenth period.
export default function makeThrower() {
  let periods = 0;
  return {
    process() {
      if (++periods === 10) throw new Error('boom on period 10');
    },
  };
}
