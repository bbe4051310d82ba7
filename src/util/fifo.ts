/**
 * A first-in, first-out queue with O(1) `push` and `shift` however long it grows. An array
 * emptied with `shift()` copies what is left on every call once it is large enough to live in
 * V8's large-object space, which turns a flood of waiting events into quadratic work.
 */
export class Fifo<T> {
  #head: T[] = [];
  #headAt = 0;
  #tail: T[] = [];

  get length(): number {
    return this.#head.length - this.#headAt + this.#tail.length;
  }

  push(item: T): void {
    this.#tail.push(item);
  }

  /** Puts `items` back at the front, in their order: they go before everything waiting. */
  unshiftAll(items: T[]): void {
    if (items.length === 0) return;
    this.#head = [...items, ...this.#head.slice(this.#headAt)];
    this.#headAt = 0;
  }

  shift(): T | undefined {
    if (this.#headAt === this.#head.length) {
      if (this.#tail.length === 0) return undefined;
      this.#head = this.#tail;
      this.#headAt = 0;
      this.#tail = [];
    }
    const item = this.#head[this.#headAt]!;
    this.#head[this.#headAt++] = undefined as T;
    return item;
  }

  /** The newest `count` items, newest first, left in place. */
  newest(count: number): T[] {
    const all = [...this.#head.slice(this.#headAt), ...this.#tail];
    return all.slice(Math.max(0, all.length - count)).reverse();
  }

  /** The oldest item that satisfies `test`; O(n), for inspection rather than the event path. */
  find(test: (item: T) => boolean): T | undefined {
    return [...this.#head.slice(this.#headAt), ...this.#tail].find(test);
  }

  /** Takes out the oldest item that satisfies `test`; O(n), for acting on one job by hand. */
  remove(test: (item: T) => boolean): T | undefined {
    const all = this.drain();
    const at = all.findIndex(test);
    const [removed] = at >= 0 ? all.splice(at, 1) : [];
    this.#head = all;
    return removed;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const all = [...this.#head.slice(this.#headAt), ...this.#tail];
    this.#head = [];
    this.#headAt = 0;
    this.#tail = [];
    return all;
  }
}
