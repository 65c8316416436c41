import { describe, expect, it } from 'vitest';
import { JackXrunLog, xrunsBetween } from '../src/index.js';

// Captured from jackd2 1.9.21 (dummy driver, -R) on a loaded machine.
const CAPTURED = [
  'JACK server starting in realtime mode with priority 70',
  'JackTimedDriver::Process XRun = 12 usec',
  'JackEngine::XRun: client = syfala-rig-a was not finished, state = Triggered',
  'JackEngine::XRun: client = jackrec was not finished, state = Triggered',
  'JackAudioDriver::ProcessGraphAsyncMaster: Process error',
  'JackEngine::XRun: client jack_delay finished after current callback',
  'JackAudioDriver::ProcessGraphAsyncMaster: Process error',
  'JackTimedDriver::Process XRun = 8 usec',
  'no message buffer overruns',
];

describe('JackXrunLog', () => {
  it('counts a late graph once a cycle however many clients it names, and a late driver', () => {
    const log = new JackXrunLog();
    for (const line of CAPTURED) log.line(line);
    expect(log.counts).toEqual({ graphLate: 2, driverLate: 2 });
  });

  it('gives what happened between two readings', () => {
    const log = new JackXrunLog();
    log.line(CAPTURED[1]!);
    const start = log.counts;
    for (const line of CAPTURED.slice(2)) log.line(line);
    expect(xrunsBetween(start, log.counts)).toEqual({ graphLate: 2, driverLate: 1 });
  });
});
