import type { Observable, Subscription } from 'rxjs';
import type { EndpointEvent } from '../../src/index.js';

/** Subscribes to a discovery stream and keeps every event, so tests can wait for one and count. */
export class EventLog {
  readonly events: EndpointEvent[] = [];
  readonly #subscription: Subscription;
  readonly #waiters = new Set<{
    matches: (event: EndpointEvent) => boolean;
    resolve: (event: EndpointEvent) => void;
    reject: (error: unknown) => void;
  }>();
  error: unknown;
  completed = false;

  constructor(events$: Observable<EndpointEvent>) {
    this.#subscription = events$.subscribe({
      next: (event) => {
        this.events.push(event);
        for (const waiter of this.#waiters) if (waiter.matches(event)) waiter.resolve(event);
      },
      error: (error: unknown) => {
        this.error = error;
        for (const waiter of this.#waiters) waiter.reject(error);
      },
      complete: () => {
        this.completed = true;
      },
    });
  }

  /** Events about one endpoint id. */
  about(id: string): EndpointEvent[] {
    return this.events.filter((event) => event.endpoint.id === id);
  }

  /** The first event (already logged or still to come) that matches, or a rejection after timeoutMs. */
  waitFor(
    matches: (event: EndpointEvent) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<EndpointEvent> {
    const logged = this.events.find(matches);
    if (logged !== undefined) return Promise.resolve(logged);
    if (this.error !== undefined) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const waiter = {
        matches,
        resolve: (event: EndpointEvent) => {
          done();
          resolve(event);
        },
        reject: (error: unknown) => {
          done();
          reject(error);
        },
      };
      const timer = setTimeout(
        () => waiter.reject(new Error(`no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
    });
  }

  unsubscribe(): void {
    this.#subscription.unsubscribe();
  }
}

/** Resolves once `condition` holds, polling every 20 ms; rejects after timeoutMs. */
export async function until(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const NETNS = process.env['SYFALA_NETNS'] === '1';
export const NETNS_REASON = '(skipped: needs a private network namespace, run via npm test)';
