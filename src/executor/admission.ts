/**
 * Admission: whether a component has room for one more event. Each component holds at most
 * `max_concurrency` events queued or running; an event that finds it full waits in line, in
 * order, for as long as its trigger allows, and then fails as `overloaded` without having run.
 * This is the only place in Spindle that decides "full": triggers state how long their events
 * may wait, and keep nothing but their own source's bounds.
 */
import { Fifo } from '../util/fifo.js';

interface Waiter {
  wake(admitted: boolean): void;
  /** Left the line (its wait ran out); skipped when its turn comes. */
  gone: boolean;
}

export class Admission {
  readonly #limit: number;
  #inFlight = 0;
  readonly #waiting = new Fifo<Waiter>();
  /** Waiters still in line; the queue also holds those that gave up, until their turn comes. */
  #waitingCount = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get waiting(): number {
    return this.#waitingCount;
  }

  /** Takes a place, waiting up to `waitMs`; false when none came in time. */
  enter(waitMs: number): Promise<boolean> | boolean {
    if (this.#inFlight < this.#limit) {
      this.#inFlight++;
      return true;
    }
    if (!(waitMs > 0)) return false;
    this.#waitingCount++;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        wake: (admitted) => {
          this.#waitingCount--;
          resolve(admitted);
        },
        gone: false,
      };
      if (waitMs !== Infinity) {
        const timer = setTimeout(() => {
          waiter.gone = true;
          this.#waitingCount--;
          resolve(false);
        }, waitMs);
        waiter.wake = (admitted) => {
          clearTimeout(timer);
          this.#waitingCount--;
          resolve(admitted);
        };
      }
      this.#waiting.push(waiter);
    });
  }

  /** Gives a place back: straight to the first waiter still in line, so none is overtaken. */
  leave(): void {
    for (let next = this.#waiting.shift(); next; next = this.#waiting.shift()) {
      if (next.gone) continue;
      next.wake(true);
      return;
    }
    this.#inFlight--;
  }

  /** Sends every waiter away unadmitted: the executor is closing. */
  close(): void {
    for (const waiter of this.#waiting.drain()) if (!waiter.gone) waiter.wake(false);
  }
}
