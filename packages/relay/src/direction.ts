import { performance } from 'node:perf_hooks';
import type { Endpoint } from './addresses.js';
import { deliversAfterDamage, readAudioRange, type AudioRange } from './audio-range.js';
import { flipBits, truncate } from './damage.js';
import { DeliveryQueue, type Scheduled } from './delivery-queue.js';
import { JitterModel } from './jitter.js';
import { Ledger } from './ledger.js';
import { LossModel } from './loss.js';
import type { Impairments } from './options.js';
import { SeededRandom } from '@syfala/proto';
import type { DirectionReport } from './report.js';

export type DirectionName = 'toTarget' | 'toSource';

/** Sends one datagram; `done` gets the socket's error, if any. */
export type Send = (datagram: Buffer, to: Endpoint, done: (error: Error | null) => void) => void;

/** One audio datagram's bytes, and how many of its copies can still deliver them. */
interface Delivery {
  readonly range: AudioRange;
  intactCopies: number;
}

interface Copy {
  readonly datagram: Buffer;
  readonly to: Endpoint;
  readonly arrivedAt: number;
  /** Undefined for datagrams that are not audio. */
  readonly delivery: Delivery | undefined;
  /** Still reads as its own stream and bytes (untouched, or flipped in the payload only). */
  readonly intact: boolean;
}

interface Entry extends Scheduled {
  readonly copy: Copy;
}

interface Held {
  readonly copy: Copy;
  remaining: number;
}

/**
 * The impairments of one direction: loss, duplication, then per copy truncation, corruption,
 * reordering and delay, each stage drawing from its own generator so that turning one on does not
 * change the fates the stages before it deal. Copies leave in the order of a schedule served by
 * one timer.
 */
export class ImpairedDirection {
  readonly #impairments: Impairments;
  readonly #send: Send;
  readonly #ledger = new Ledger();
  readonly #loss: LossModel | undefined;
  readonly #jitter: JitterModel | undefined;
  readonly #duplicateRandom: SeededRandom;
  readonly #truncateRandom: SeededRandom;
  readonly #corruptRandom: SeededRandom;
  readonly #reorderRandom: SeededRandom;
  readonly #queue = new DeliveryQueue<Entry>();
  readonly #held: Held[] = [];
  #order = 0;
  /** With keepOrder, no copy is due before this: the due time of the last copy scheduled in order. */
  #lastDue = -Infinity;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = 0;
  #closed = false;

  constructor(name: DirectionName, impairments: Impairments, seed: number, send: Send) {
    this.#impairments = impairments;
    this.#send = send;
    const random = (stage: string): SeededRandom => new SeededRandom(seed, name, stage);
    const { loss = 0, burstLoss, jitter } = impairments;
    this.#loss =
      loss > 0 || burstLoss !== undefined
        ? new LossModel(loss, burstLoss, random('loss'), random('burst-loss'))
        : undefined;
    this.#jitter = jitter === undefined ? undefined : new JitterModel(jitter, random('jitter'));
    this.#duplicateRandom = random('duplicate');
    this.#truncateRandom = random('truncate');
    this.#corruptRandom = random('corrupt');
    this.#reorderRandom = random('reorder');
  }

  /** Takes a datagram that arrived for `to` and deals its fate. */
  accept(datagram: Buffer, to: Endpoint): void {
    if (this.#closed) return;
    const arrivedAt = performance.now();
    const range = readAudioRange(datagram);
    this.#ledger.arrived(range);
    const copy = { datagram, to, arrivedAt, delivery: undefined, intact: true };
    if (range === undefined && this.#impairments.audioOnly === true) {
      this.#enqueue(copy, arrivedAt);
      return;
    }
    const verdict = this.#loss?.next() ?? 'kept';
    if (verdict !== 'kept') {
      this.#ledger.count('dropped');
      if (verdict === 'burst-dropped') this.#ledger.count('burstDropped');
      if (range !== undefined) {
        this.#ledger.note('dropped', range);
        this.#ledger.note('undelivered', range);
      }
      return;
    }
    const copies = [datagram];
    const { duplicate = 0 } = this.#impairments;
    if (duplicate > 0 && this.#duplicateRandom.chance(duplicate)) {
      copies.push(Buffer.from(datagram));
      this.#ledger.count('duplicated');
      if (range !== undefined) this.#ledger.note('duplicated', range);
    }
    const delivery = range === undefined ? undefined : { range, intactCopies: 0 };
    for (const each of copies) this.#impair(each, to, arrivedAt, delivery);
    if (delivery?.intactCopies === 0) this.#ledger.note('undelivered', delivery.range);
  }

  /** Counts a reply that arrived before anyone it could go to: its audio bytes are undelivered. */
  unroutable(datagram: Buffer): void {
    if (this.#closed) return;
    const range = readAudioRange(datagram);
    this.#ledger.arrived(range);
    this.#ledger.count('unroutable');
    if (range === undefined) return;
    this.#ledger.note('unroutable', range);
    this.#ledger.note('undelivered', range);
  }

  report(): DirectionReport {
    return this.#ledger.snapshot(this.#queue.size, this.#held.length);
  }

  /** Stops the timer; copies not yet sent are discarded and counted. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const { copy } of this.#queue.drain()) this.#discard(copy);
    for (const { copy } of this.#held.splice(0)) this.#discard(copy);
  }

  #impair(original: Buffer, to: Endpoint, arrivedAt: number, delivery: Delivery | undefined): void {
    const range = delivery?.range;
    const { truncate: truncateP = 0, corrupt, reorder } = this.#impairments;
    let datagram = original;
    let intact = true;
    if (truncateP > 0 && datagram.length > 0 && this.#truncateRandom.chance(truncateP)) {
      datagram = truncate(datagram, this.#truncateRandom);
      intact = false;
      this.#ledger.count('truncated');
      if (range !== undefined) this.#ledger.note('truncated', range);
    }
    if (
      corrupt !== undefined &&
      datagram.length > 0 &&
      this.#corruptRandom.chance(corrupt.probability)
    ) {
      const bits = 1 + this.#corruptRandom.below(corrupt.maxBits ?? 1);
      this.#ledger.count('flippedBits', flipBits(datagram, bits, this.#corruptRandom));
      this.#ledger.count('corrupted');
      if (range !== undefined) {
        this.#ledger.note('corrupted', range);
        intact &&= deliversAfterDamage(datagram, range);
      }
    }
    const copy: Copy = { datagram, to, arrivedAt, delivery, intact };
    if (delivery !== undefined && intact) delivery.intactCopies++;

    let reorderMs = 0;
    if (reorder !== undefined && this.#reorderRandom.chance(reorder.probability)) {
      this.#ledger.count('reordered');
      if (range !== undefined) this.#ledger.note('reordered', range);
      if ('positions' in reorder) {
        this.#held.push({ copy, remaining: reorder.positions });
        return;
      }
      reorderMs = reorder.delayMs;
    }
    const draw = this.#jitter?.draw() ?? { ms: 0, spiked: false };
    if (draw.spiked) this.#ledger.count('spiked');
    this.#ledger.delay.add(draw.ms + reorderMs);
    let due = arrivedAt + draw.ms;
    if (this.#impairments.jitter?.keepOrder === true) due = Math.max(due, this.#lastDue);
    // A copy sent late on purpose is out of order by design: the ones behind it do not wait.
    if (reorderMs === 0) this.#lastDue = due;
    this.#enqueue(copy, due + reorderMs);
    this.#releaseHeld(due);
  }

  /** A copy scheduled in order is one position more for each held copy; those due go right after it. */
  #releaseHeld(due: number): void {
    for (let i = 0; i < this.#held.length;) {
      const held = this.#held[i]!;
      if (--held.remaining > 0) {
        i++;
        continue;
      }
      this.#held.splice(i, 1);
      this.#enqueue(held.copy, due);
    }
  }

  #enqueue(copy: Copy, due: number): void {
    this.#queue.push({ due, order: this.#order++, copy });
    this.#service();
  }

  /** Sends every copy that is due, then sets the timer for the next; never sends early. */
  #service(): void {
    for (;;) {
      const next = this.#queue.peek();
      if (next === undefined) return;
      const now = performance.now();
      const wait = next.due - now;
      if (wait > 0) {
        this.#arm(next.due, wait);
        return;
      }
      this.#queue.pop();
      this.#transmit(next, now);
    }
  }

  #arm(due: number, wait: number): void {
    if (this.#timer !== undefined) {
      if (this.#timerDue <= due) return;
      clearTimeout(this.#timer);
    }
    this.#timerDue = due;
    // Node's timers have 1 ms resolution and may fire early: #service re-arms until it is due.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#service();
    }, Math.ceil(wait));
  }

  #transmit({ copy, due }: Entry, now: number): void {
    this.#ledger.count('sent');
    this.#ledger.transit.add(now - copy.arrivedAt);
    this.#ledger.lateness.add(now - due);
    this.#send(copy.datagram, copy.to, (error) => {
      if (error !== null) this.#ledger.count('sendErrors');
    });
  }

  #discard(copy: Copy): void {
    this.#ledger.count('discarded');
    const { delivery } = copy;
    if (delivery === undefined) return;
    this.#ledger.note('discarded', delivery.range);
    if (copy.intact && --delivery.intactCopies === 0)
      this.#ledger.note('undelivered', delivery.range);
  }
}
