import type { MessagePort } from 'node:worker_threads';
import {
  loadProcessor,
  type PeriodInfo,
  type ProcessorSetup,
  type ProcessorSpec,
} from '@syfala/audio';
import { jackAddon } from './addon.js';

/** What the duplex worker is started with (structured-cloned). */
export interface DuplexWorkerData {
  readonly id: number;
  readonly spec: ProcessorSpec;
  readonly setup: Omit<ProcessorSetup, 'options'>;
}

/** What it tells the main thread: loaded and waiting for periods, or failed (then it ends). */
export type DuplexWorkerEvent =
  { readonly type: 'ready' } | { readonly type: 'failed'; readonly message: string };

/** How long one wait for a period lasts before the loop checks again (the client is slow to start). */
const TAKE_TIMEOUT_MS = 200;

type MutablePeriodInfo = { -readonly [K in keyof PeriodInfo]: PeriodInfo[K] };

/** Views, one per stream, onto a block holding the streams one after another. */
function streamViews(
  block: Float32Array,
  channels: readonly number[],
  frames: number,
): Float32Array[] {
  let offset = 0;
  return channels.map((count) => block.subarray(offset, (offset += count * frames)));
}

/**
 * The duplex stream's worker: loads the processor, then runs it once per period JACK captured,
 * as soon as the period is there, until the stream closes. Every buffer and the `info` object
 * are made once and reused. A throwing processor ends the loop: the JACK client then plays
 * silence (counted as output underflows) until closed.
 */
export async function runDuplexWorker(port: MessagePort, data: DuplexWorkerData): Promise<void> {
  const post = (event: DuplexWorkerEvent): void => port.postMessage(event);
  const { id, spec, setup } = data;
  const addon = jackAddon();
  let processor;
  try {
    processor = await loadProcessor(spec, { ...setup, options: spec.options });
  } catch (error) {
    post({ type: 'failed', message: (error as Error).message });
    return;
  }
  const frames = setup.periodFrames;
  const inChannels = setup.inputs.map((format) => format.channels);
  const outChannels = setup.outputs.map((format) => format.channels);
  const inputBlock = new Float32Array(inChannels.reduce((a, b) => a + b, 0) * frames);
  const outputBlock = new Float32Array(outChannels.reduce((a, b) => a + b, 0) * frames);
  const inputs = streamViews(inputBlock, inChannels, frames);
  const outputs = streamViews(outputBlock, outChannels, frames);
  const stamp = new Float64Array(5);
  const info: MutablePeriodInfo = {
    frameIndex: 0,
    sampleRate: setup.sampleRate,
    inputTimeNs: 0,
    outputTimeNs: 0,
    lateNs: 0,
  };
  post({ type: 'ready' });
  for (;;) {
    const taken = addon.jackDuplexTake(id, inputBlock, stamp, TAKE_TIMEOUT_MS);
    if (taken < 0) return;
    if (taken === 0) continue;
    // stamp: index, frame index, cycle start, period, now (read one by one: no iterator).
    const cycleStartNs = stamp[2]!;
    const periodNs = stamp[3]!;
    info.frameIndex = stamp[1]!;
    // The period was captured during the JACK cycle before the one starting at cycleStartNs;
    // its output enters the graph a cycle later (the worker's period) and is played the next.
    info.inputTimeNs = cycleStartNs - periodNs;
    info.outputTimeNs = cycleStartNs + 2 * periodNs;
    info.lateNs = stamp[4]! - cycleStartNs;
    outputBlock.fill(0);
    try {
      processor.process(inputs, outputs, info);
    } catch (error) {
      post({
        type: 'failed',
        message: `processor ${spec.module}: process() threw: ${(error as Error).message}`,
      });
      return;
    }
    addon.jackDuplexGive(id, stamp[0]!, outputBlock);
  }
}
