/**
 * Work in flight, counted rather than kept, for a drain to wait on: a flood of a hundred
 * thousand messages then holds no promise per message for the sake of a drain that may never
 * come.
 */
export class InFlightCount {
  #count = 0;
  #onIdle: Array<() => void> = [];

  get size(): number {
    return this.#count;
  }

  add(): void {
    this.#count++;
  }

  done(): void {
    if (--this.#count === 0) for (const wake of this.#onIdle.splice(0)) wake();
  }

  /** Whether none was left in flight within `ms`. */
  settled(ms: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onIdle.splice(this.#onIdle.indexOf(idle), 1);
        resolve(false);
      }, ms);
      const idle = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#onIdle.push(idle);
    });
  }
}

/** What `settleWithin` saw: labels still pending at the deadline, and labels that rejected. */
export interface Settled {
  pending: string[];
  failed: Array<{ label: string; err: unknown }>;
}

/**
 * Waits for every labelled task to settle, or `ms` to pass. Tasks still running at the
 * deadline are left to run; their labels say what did not finish.
 */
export async function settleWithin(tasks: Record<string, Promise<unknown>>, ms: number): Promise<Settled> {
  const pending = new Set(Object.keys(tasks));
  const failed: Settled['failed'] = [];
  const all = Promise.all(
    Object.entries(tasks).map(([label, task]) =>
      task.then(
        () => pending.delete(label),
        (err: unknown) => {
          pending.delete(label);
          failed.push({ label, err });
        },
      ),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
  return { pending: [...pending], failed };
}
