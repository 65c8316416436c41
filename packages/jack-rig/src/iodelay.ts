import { ManagedProcess, sleep } from './process.js';
import type { JackServer } from './server.js';

/** jack_iodelay's fixed client ports. */
export const IODELAY_OUT = 'jack_delay:out';
export const IODELAY_IN = 'jack_delay:in';

export interface RoundTripOptions {
  /** The port jack_delay:out feeds: the send side of the path under test. */
  sendPort: string;
  /** The port that feeds jack_delay:in: where the signal comes back. */
  receivePort: string;
  /** How long to collect readings, after the warm-up. */
  seconds: number;
  /** Readings in the first seconds after connecting are dropped (buffers filling); default 1. */
  warmupSeconds?: number;
  /** max − min (frames) that still counts as steady; default 1. */
  toleranceFrames?: number;
  /** Called when the readings start to count and when they stop (a bench's counter window). */
  onWindow?: (edge: 'start' | 'end') => void;
}

/** jack_iodelay's readings over the run, in frames (fractions kept). */
export interface RoundTrip {
  readings: number[];
  median: number;
  min: number;
  max: number;
  /**
   * Every reading within toleranceFrames of the others, none flagged unreliable or inverted,
   * and the signal never lost after the first reading.
   */
  steady: boolean;
  /** "Signal below threshold..." lines after the first reading (the path dropped the tone). */
  signalLost: number;
  /** Readings jack_iodelay marked unreliable ("??") or phase-inverted ("Inv"). */
  flagged: number;
  /** Output lines that were neither readings nor known chatter (all lines if none parsed). */
  unparsed: string[];
}

// "    64.000 frames      1.333 ms total roundtrip latency" (jack2 example-clients/iodelay.cpp);
// the trailing " ??" / " Inv" marks a doubtful or inverted measurement.
const READING = /(-?\d+(?:\.\d+)?)\s+frames\s+(-?\d+(?:\.\d+)?)\s+ms total roundtrip latency(.*)$/;
const CHATTER =
  /^(\s*extra loopback latency|\s*use \d+ for the backend|new (capture|playback) latency|Signal below threshold)/;

/** One parsed jack_iodelay line: a reading in frames, or null. */
export function parseIodelayLine(
  line: string,
): { frames: number; ms: number; flagged: boolean } | null {
  const m = READING.exec(line);
  if (!m) return null;
  return { frames: Number(m[1]), ms: Number(m[2]), flagged: /\?\?|Inv/.test(m[3] ?? '') };
}

/** Summarizes readings; exported for tests and for benches that collect lines themselves. */
export function summarizeIodelay(lines: readonly string[], toleranceFrames = 1): RoundTrip {
  const readings: number[] = [];
  const unparsed: string[] = [];
  let signalLost = 0;
  let flagged = 0;
  for (const line of lines) {
    const reading = parseIodelayLine(line);
    if (reading) {
      readings.push(reading.frames);
      if (reading.flagged) flagged++;
    } else if (/Signal below threshold/.test(line)) {
      if (readings.length > 0) signalLost++;
    } else if (line.trim() && !CHATTER.test(line)) {
      unparsed.push(line);
    }
  }
  const sorted = [...readings].sort((a, b) => a - b);
  const min = sorted[0] ?? Number.NaN;
  const max = sorted[sorted.length - 1] ?? Number.NaN;
  const median =
    sorted.length === 0
      ? Number.NaN
      : sorted.length % 2
        ? sorted[(sorted.length - 1) / 2]!
        : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return {
    readings,
    median,
    min,
    max,
    steady: readings.length > 0 && max - min <= toleranceFrames && signalLost === 0 && !flagged,
    signalLost,
    flagged,
    unparsed: readings.length === 0 ? lines.filter((l) => l.trim()) : unparsed,
  };
}

/**
 * Measures a round trip with jack_iodelay on `server` (DESIGN §7): jack_delay:out → sendPort,
 * receivePort → jack_delay:in, readings for `seconds` after a warm-up. A path that never carries
 * the tone back gives no readings (NaN median, steady false, the raw lines in `unparsed`).
 */
export async function measureRoundTrip(
  server: JackServer,
  options: RoundTripOptions,
): Promise<RoundTrip> {
  const warmupMs = (options.warmupSeconds ?? 1) * 1000;
  const lines: string[] = [];
  let collecting = false;
  // stdbuf -o0: jack_iodelay writes with printf to a pipe, which would otherwise be
  // block-buffered and arrive only at exit.
  const iodelay = new ManagedProcess('stdbuf', ['-o0', 'jack_iodelay'], {
    env: server.env(),
    onLine: (line) => {
      if (collecting) lines.push(line);
    },
  });
  try {
    await server.waitForPorts([IODELAY_OUT, IODELAY_IN], undefined, iodelay);
    await server.connect(IODELAY_OUT, options.sendPort);
    // sendPort jack_delay:in with receivePort jack_delay:out is the direct loop: one connection.
    if (options.sendPort !== IODELAY_IN || options.receivePort !== IODELAY_OUT) {
      await server.connect(options.receivePort, IODELAY_IN);
    }
    await sleep(warmupMs);
    collecting = true;
    options.onWindow?.('start');
    await sleep(options.seconds * 1000);
    collecting = false;
    options.onWindow?.('end');
  } finally {
    await iodelay.stop();
  }
  return summarizeIodelay(lines, options.toleranceFrames);
}
