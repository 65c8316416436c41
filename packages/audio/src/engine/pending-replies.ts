/** A request sent, waiting for its reply. */
interface Waiting<Context> {
  readonly context: Context;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Requests to another thread or process, numbered so each reply finds its caller. Every request
 * is answered, or rejected when the other side dies; after that, new requests reject at once.
 * `Context` is what the caller keeps per request to make sense of a failure (e.g. its type).
 */
export class PendingReplies<Context> {
  readonly #waiting = new Map<number, Waiting<Context>>();
  #nextId = 0;
  #dead: Error | undefined;

  /** Why the other side is gone, once it is. */
  get dead(): Error | undefined {
    return this.#dead;
  }

  /** Requests not answered yet. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Numbers a request, hands the number to `send`, and settles with the reply to it. */
  ask<Result>(context: Context, send: (id: number) => void): Promise<Result> {
    return new Promise((resolve, reject) => {
      if (this.#dead !== undefined) {
        reject(this.#dead);
        return;
      }
      const id = this.#nextId++;
      this.#waiting.set(id, { context, resolve: resolve as (result: unknown) => void, reject });
      send(id);
    });
  }

  /** Request `id` succeeded; a reply to no request is ignored. */
  resolve(id: number, result: unknown): void {
    this.#take(id)?.resolve(result);
  }

  /** Request `id` failed, with the error `failure` makes of it. */
  reject(id: number, failure: (context: Context) => Error): void {
    const waiting = this.#take(id);
    if (waiting !== undefined) waiting.reject(failure(waiting.context));
  }

  /** The other side is gone: every request, pending or later, rejects with `error`. False if it already was. */
  die(error: Error): boolean {
    if (this.#dead !== undefined) return false;
    this.#dead = error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
    return true;
  }

  #take(id: number): Waiting<Context> | undefined {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    return waiting;
  }
}
