/// <reference path="./spindle-app-types.d.ts" />
declare module 'spindle:app/queue@0.1.0' {
  /**
   * Adds a job and returns its id.
   */
  export function enqueue(queue: string, data: Uint8Array, options: EnqueueOptions): string;
  export type CapabilityError = import('spindle:app/types@0.1.0').CapabilityError;
  export interface EnqueueOptions {
    /**
     * Wait this long before the job may run.
     */
    delayMs?: bigint,
    /**
     * Tries in total, instead of the queue's own policy.
     */
    attempts?: number,
    /**
     * Makes the enqueue idempotent: a job with an id that exists is not added again.
     */
    jobId?: string,
  }
}
