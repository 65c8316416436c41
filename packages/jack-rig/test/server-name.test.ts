import { afterEach, describe, expect, it } from 'vitest';
import { uniqueServerName } from '../src/index.js';

describe('uniqueServerName', () => {
  afterEach(() => {
    delete process.env['SYFALA_JACK_SERVER_PREFIX'];
  });

  it('names a server after the prefix, this process and a counter', () => {
    const first = uniqueServerName('rig');
    expect(first).toMatch(new RegExp(`^rig-${process.pid}-\\d+$`));
    expect(uniqueServerName('rig')).not.toBe(first);
  });

  it('puts $SYFALA_JACK_SERVER_PREFIX first, so people sharing a machine keep apart', () => {
    process.env['SYFALA_JACK_SERVER_PREFIX'] = 'he-';
    expect(uniqueServerName('rig')).toMatch(new RegExp(`^he-rig-${process.pid}-\\d+$`));
  });
});
