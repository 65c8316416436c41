/** Something to send at `due` (ms, the relay's clock); `order` breaks ties first come, first out. */
export interface Scheduled {
  readonly due: number;
  readonly order: number;
}

/** A binary min-heap by (due, order): the relay's schedule, served by one timer per direction. */
export class DeliveryQueue<T extends Scheduled> {
  readonly #heap: T[] = [];

  get size(): number {
    return this.#heap.length;
  }

  peek(): T | undefined {
    return this.#heap[0];
  }

  push(item: T): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  }

  pop(): T | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  /** Empties the queue, in no particular order. */
  drain(): T[] {
    return this.#heap.splice(0);
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.due < b.due || (a.due === b.due && a.order < b.order);
}
