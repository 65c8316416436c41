import { describe, expect, it } from 'vitest';
import { describeValue, mustBe } from '../src/index.js';

describe('mustBe, the one "expected X, got Y" sentence', () => {
  it('names the value, what it must be and what it was', () => {
    expect(mustBe('--udp-port', 'an integer from 0 to 65535', '70000')).toBe(
      '--udp-port must be an integer from 0 to 65535, got "70000"',
    );
  });

  it.each([
    ['', '""'],
    [' 1', '" 1"'],
    ['a "quoted" word', '"a \\"quoted\\" word"'],
    [new Uint8Array(31), '31 bytes'],
    [[1, 2], 'an array'],
    [{ port: 1 }, 'an object'],
    [() => 1, 'a function'],
    [null, 'null'],
    [undefined, 'undefined'],
    [-1, '-1'],
    [Number.NaN, 'NaN'],
    [true, 'true'],
    [2n ** 64n, '18446744073709551616'],
  ])('shows %o as %s', (value, shown) => {
    expect(describeValue(value)).toBe(shown);
  });
});
