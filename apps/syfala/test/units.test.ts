import { describe, expect, it } from 'vitest';
import { framesValue, timeValue } from '../src/option-values.js';
import { latencyValue } from '../src/playout.js';
import { expectOneSentence, syfala } from './cli-process.js';

describe('units on every time and frame option, plain numbers as before', () => {
  it.each([
    ['1500ms', 'ms', 1500],
    ['2s', 'ms', 2000],
    ['0.5 s', 'ms', 500],
    ['1min', 's', 60_000],
    ['1500', 'ms', 1500],
    ['4', 's', 4000],
    [4, 's', 4000],
    ['2.5', 's', 2500],
  ] as const)('time %j (plain %s) is %d ms', (value, plain, ms) => {
    expect(timeValue(value, '--timeout', plain)).toBe(ms);
  });

  it.each(['0', '0ms', '-1s', '2h', 'soon', '1e3', '', '5 fr'])('time %j is refused', (value) => {
    expect(() => timeValue(value, '--timeout', 'ms')).toThrow(
      `--timeout must be a positive time such as 1500ms, 2s or 1min (a plain number is ms), got ${JSON.stringify(value)}`,
    );
  });

  it.each([
    ['64', 64],
    ['64fr', 64],
    ['64 frames', 64],
    [480, 480],
  ] as const)('frames %j are %d', (value, frames) => {
    expect(framesValue(value, '--period', 1, 8192)).toBe(frames);
    expect(latencyValue(value, '--latency')).toBe(frames);
  });

  it.each(['64.5', '10ms', '0fr', 'x'])('frames %j are refused, naming the value', (value) => {
    expect(() => latencyValue(value, '--latency')).toThrow(
      `--latency must be auto or a whole number of frames from 1 to 1048576 (64 or 64fr), got ${JSON.stringify(value)}`,
    );
  });

  it('connect reads --timeout 300ms and 0.3s alike, and says so in the time it waited', async () => {
    for (const timeout of ['300ms', '0.3s', '300']) {
      const cli = syfala(['connect', '127.0.0.1:1', '--timeout', timeout]);
      const { code } = await cli.exited;
      expectOneSentence(
        { code, stderr: cli.stderr },
        /no Syfala server answered at 127\.0\.0\.1:1 within 300 ms/,
      );
    }
  });

  it('connect refuses --duration 2h in one sentence naming the value', async () => {
    const cli = syfala(['connect', '127.0.0.1:1', '--duration', '2h']);
    const { code } = await cli.exited;
    expectOneSentence(
      { code, stderr: cli.stderr },
      /--duration must be a positive time .*got "2h"/,
    );
  });
});
