import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  RingStatus,
  blockAlign,
  walkToData,
  wavSampleType,
  wavStreamHeader,
  type ByteSource,
  type VirtualSink,
  type VirtualSource,
  type WavFormat,
} from '@syfala/audio';
import { describeFormat, type Format } from '@syfala/proto';
import { SpscRing, decodeSamples, encodeSamples } from '@syfala/dataplane';
import { CliError, describeError } from './cli-error.js';

/** The file name that means stdout for --record and stdin for --play. */
export const STDIO = '-';

/**
 * Audio the ring between the engine's audio thread and the main thread holds at least, seconds
 * (rounded up to a power of two of samples): how long
 * a pipe's other end may stall before frames are dropped (stdout) or silence plays (stdin).
 */
const RING_SECONDS = 2;
/** How often the main thread looks for audio to move when there was none (or no room). */
const POLL_MS = 10;
/** Frames moved per pipe write or read. */
const BLOCK_FRAMES = 4096;

/**
 * The PCM a pipe carries for a stream: its rate and channels, samples of the stream's wire type
 * or the closest a WAV holds (wavSampleType: i16 for i16, f32 for f32, i32 for u32 …).
 */
export function pipeFormat(stream: Format): WavFormat {
  const { sampleRate, channels, sampleType } = stream;
  return { sampleRate, channels, sampleType: wavSampleType(sampleType) };
}

/** The sox flags that read raw PCM of `format` (u8, i16, i24, i32, f32 or f64), little-endian. */
export function soxRawFlags(format: WavFormat): string {
  const { sampleType } = format;
  const encoding =
    sampleType === 'u8'
      ? 'unsigned-integer'
      : sampleType[0] === 'f'
        ? 'floating-point'
        : 'signed-integer';
  const bits = Number(sampleType.slice(1));
  return `-t raw -e ${encoding} -b ${bits} -r ${format.sampleRate} -c ${format.channels}`;
}

function ringFor(format: WavFormat): SpscRing {
  const samples = format.sampleRate * format.channels * RING_SECONDS;
  return SpscRing.create(2 ** Math.ceil(Math.log2(samples)));
}

/** `--record -`: stream 1 of what the server sends, written to stdout as it plays. */
export interface StdoutRecording {
  /** The client card's sink for the stream. */
  readonly sink: VirtualSink;
  /** Resolves with stdout's error when writing to it failed: EPIPE once its reader has gone. */
  readonly broken: Promise<NodeJS.ErrnoException>;
  /** Frames dropped because stdout's reader fell RING_SECONDS behind. */
  droppedFrames(): number;
  /** Stdout's error, once writing to it failed. */
  failure(): NodeJS.ErrnoException | undefined;
  /** Writes the rest of the ring out, once the card is closed; resolves when stdout took it. */
  finish(): Promise<void>;
}

/**
 * Records to `out`: a WAV header with the sizes sox writes to a pipe (it cannot be rewound to
 * patch them; sox reads to the end: wavStreamHeader), or nothing with `raw`, then the samples
 * the card puts in a ring, moved by the main thread at the pace `out` drains. The audio thread
 * never waits for `out`: what does not fit in the ring is dropped and counted.
 */
export function recordToStdout(
  format: WavFormat,
  raw: boolean,
  out: Writable = process.stdout,
): StdoutRecording {
  const ring = ringFor(format);
  const status = new RingStatus();
  const sampleBytes = blockAlign(format) / format.channels;
  const samples = new Float32Array(BLOCK_FRAMES * format.channels);
  let finishing = false;
  let failed: NodeJS.ErrnoException | undefined;
  const broken = new Promise<NodeJS.ErrnoException>((resolve) =>
    out.on('error', (error: NodeJS.ErrnoException) => resolve((failed ??= error))),
  );
  // What `out` cannot take is left in the ring; the pump stops on the first error.
  const write = async (bytes: Uint8Array): Promise<void> => {
    if (!out.write(bytes)) await Promise.race([once(out, 'drain'), broken]);
  };
  const pump = (async (): Promise<void> => {
    if (!raw) await write(wavStreamHeader(format, '--record -'));
    while (failed === undefined) {
      const count = ring.read(samples);
      if (count > 0) {
        const bytes = Buffer.allocUnsafe(count * sampleBytes);
        encodeSamples(format.sampleType, samples, 0, bytes, 0, count);
        await write(bytes);
      } else if (finishing) {
        return;
      } else {
        await sleep(POLL_MS);
      }
    }
  })();
  return {
    sink: { kind: 'ring', buffer: ring.buffer, status: status.buffer },
    broken,
    droppedFrames: () => status.shortfallFrames,
    failure: () => failed,
    finish: async () => {
      finishing = true;
      await pump;
      if (failed === undefined) await new Promise((resolve) => out.write('', resolve));
    },
  };
}

/** `--play -`: stdin played to the server's output stream 1, once. */
export interface StdinPlayback {
  /** The client card's source for the stream. */
  readonly source: VirtualSource;
  /** The PCM format read: the WAV header's, or the stream's (pipeFormat) with --raw. */
  readonly format: WavFormat;
  /** Frames played as silence because stdin had not delivered them yet (before it ended). */
  underrunFrames(): number;
  /** Stops reading stdin (the session is over). */
  stop(): void;
}

/**
 * Reads stdin's WAV header (or takes the stream's format with `raw`) and checks it fits the
 * stream before anything connects, then moves its samples into a ring the card plays from,
 * reading only as fast as the ring empties: the producer is held back, never the audio thread.
 * When stdin ends the stream plays silence, as after a --play FILE.
 */
export async function playFromStdin(
  stream: Format,
  raw: boolean,
  input: Readable = process.stdin,
): Promise<StdinPlayback> {
  const bytes = new StreamBytes(input);
  let format = pipeFormat(stream);
  let dataBytes: number | undefined;
  if (!raw) {
    let header;
    try {
      header = await walkToData(bytes, 'stdin');
    } catch (error) {
      bytes.stop();
      throw new CliError(
        `--play -: ${describeError(error)} (with --raw, stdin is read as raw PCM: sox ${soxRawFlags(format)})`,
      );
    }
    format = header.format;
    dataBytes = header.dataBytes;
    if (format.sampleRate !== stream.sampleRate || format.channels !== stream.channels) {
      bytes.stop();
      throw new CliError(
        `--play -: stdin is ${format.sampleRate} Hz, ${format.channels} channel(s), but output ` +
          `stream 1 is ${describeFormat(stream)} (convert it on the way, e.g. sox … -r ` +
          `${stream.sampleRate} -c ${stream.channels} -t wav -)`,
      );
    }
  }
  const ring = ringFor(format);
  const status = new RingStatus();
  const align = blockAlign(format);
  const samples = new Float32Array(BLOCK_FRAMES * format.channels);
  let left = dataBytes ?? Infinity;
  let stopped = false;
  void (async (): Promise<void> => {
    while (!stopped && left > 0) {
      const block = await bytes.read(Math.min(BLOCK_FRAMES * align, left));
      const frames = Math.floor(block.length / align);
      if (frames === 0) break;
      left -= block.length;
      const count = frames * format.channels;
      decodeSamples(format.sampleType, block, 0, samples, 0, count);
      for (let done = 0; !stopped;) {
        done += ring.write(samples, done, count - done);
        if (done === count) break;
        await sleep(POLL_MS);
      }
    }
    status.end();
    bytes.stop();
  })().catch(() => {
    // A read error (stdin closed under us) ends the input like its end does.
    status.end();
  });
  return {
    source: { kind: 'ring', buffer: ring.buffer, status: status.buffer },
    format,
    underrunFrames: () => status.shortfallFrames,
    stop: () => {
      stopped = true;
      bytes.stop();
    },
  };
}

/** A Readable as a ByteSource: exact-length reads over its chunks, pulled only when asked. */
class StreamBytes implements ByteSource {
  readonly #chunks: AsyncIterator<Buffer>;
  #pending: Buffer = Buffer.alloc(0);
  #ended = false;

  constructor(input: Readable) {
    this.#chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async read(length: number): Promise<Uint8Array> {
    while (this.#pending.length < length && !this.#ended) {
      const next = await this.#chunks.next();
      if (next.done === true) this.#ended = true;
      else this.#pending = Buffer.concat([this.#pending, next.value]);
    }
    const taken = this.#pending.subarray(0, length);
    this.#pending = this.#pending.subarray(taken.length);
    return taken;
  }

  async skip(length: number): Promise<void> {
    for (let left = length; left > 0 && !this.#ended;) {
      left -= (await this.read(Math.min(left, 64 * 1024))).length;
    }
  }

  /** Lets the stream go: it is destroyed, so a pending stdin no longer holds the process. */
  stop(): void {
    this.#ended = true;
    void this.#chunks.return?.();
  }
}

/** The flags of `connect` that can name a pipe. */
export interface PipeFlags {
  readonly record?: string;
  readonly play?: string;
  readonly raw?: boolean;
}

/** `connect`'s pipes: stdout for --record -, stdin for --play -. */
export interface ConnectPipes {
  /** Where status, stats and the summary go: stderr while stdout carries audio. */
  readonly text: NodeJS.WriteStream;
  readonly recording: StdoutRecording | undefined;
  readonly playback: StdinPlayback | undefined;
  /**
   * After the session (the card closed): writes the rest to stdout and stops reading stdin.
   * Returns the sentences to say on stderr (drops, underruns, a closed stdout), and throws
   * CliError when stdout failed otherwise than by its reader going away.
   */
  close(): Promise<string[]>;
}

/** Refuses --raw where no pipe is named, and audio to or from a terminal. */
export function checkPipeFlags(flags: PipeFlags): void {
  if (flags.raw === true && flags.record !== STDIO && flags.play !== STDIO) {
    throw new CliError('--raw needs --record - or --play - (it sets the PCM a pipe carries)');
  }
  if (flags.record === STDIO && process.stdout.isTTY) {
    throw new CliError(
      '--record - writes audio to stdout, which is a terminal: pipe it (| sox -t wav - take.flac) or redirect it (> take.wav)',
    );
  }
  if (flags.play === STDIO && process.stdin.isTTY) {
    throw new CliError(
      '--play - reads audio from stdin, which is a terminal: pipe it in (sox in.flac -t wav - | syfala connect …)',
    );
  }
}

/**
 * Opens the pipes `flags` name for an endpoint's streams (`inputs` and `outputs` at the card's
 * rate): stdout records input stream 1 alone, stdin plays to output stream 1. The streams a
 * pipe needs are there (connect checked, as for files).
 */
export async function openPipes(
  flags: PipeFlags,
  endpointName: string,
  streams: { readonly inputs: readonly Format[]; readonly outputs: readonly Format[] },
): Promise<ConnectPipes> {
  const raw = flags.raw === true;
  const { inputs, outputs } = streams;
  if (flags.record === STDIO && inputs.length > 1) {
    throw new CliError(
      `--record - writes one stream to stdout, but ${endpointName} has ${inputs.length} ` +
        'input streams (record them to files with --record FILE.wav)',
    );
  }
  const playback = flags.play === STDIO ? await playFromStdin(outputs[0]!, raw) : undefined;
  const recorded = flags.record === STDIO ? pipeFormat(inputs[0]!) : undefined;
  const recording = recorded === undefined ? undefined : recordToStdout(recorded, raw);
  if (recorded !== undefined && raw) {
    const sox = soxRawFlags(recorded);
    process.stderr.write(`syfala: --record - --raw writes raw PCM (sox reads it as ${sox} -)\n`);
  }
  return {
    text: recording === undefined ? process.stdout : process.stderr,
    recording,
    playback,
    close: async () => {
      playback?.stop();
      await recording?.finish();
      return pipeReport(recording, playback);
    },
  };
}

function pipeReport(
  recording: StdoutRecording | undefined,
  playback: StdinPlayback | undefined,
): string[] {
  const sentences: string[] = [];
  const dropped = recording?.droppedFrames() ?? 0;
  if (dropped > 0) {
    sentences.push(`--record -: stdout's reader fell behind: ${dropped} frames dropped`);
  }
  const underrun = playback?.underrunFrames() ?? 0;
  if (underrun > 0) {
    sentences.push(`--play -: stdin fell behind: ${underrun} frames played as silence`);
  }
  const failure = recording?.failure();
  if (failure?.code === 'EPIPE') {
    sentences.push("--record -: stdout's reader closed it (EPIPE), so the session stopped");
  } else if (failure !== undefined) {
    throw new CliError(`--record -: cannot write to stdout: ${failure.message}`);
  }
  return sentences;
}
