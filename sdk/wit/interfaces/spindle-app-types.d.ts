declare module 'spindle:app/types@0.1.0' {
  /**
   * A CloudEvents 1.0 event plus the attributes of the trigger that produced it.
   */
  export interface Event {
    /**
     * Unique per event; the same id names the event in every log line.
     */
    id: string,
    /**
     * The trigger that produced it, e.g. `/spindle/http` or `/spindle/redis/orders.created`.
     */
    source: string,
    /**
     * `spindle.http.request`, `spindle.redis.message`, `spindle.queue.job`, `spindle.cron.tick`.
     */
    type: string,
    subject?: string,
    /**
     * RFC 3339 time the event happened.
     */
    time?: string,
    datacontenttype?: string,
    data: Uint8Array,
    /**
     * Trigger attributes as name/value pairs, e.g. `http.method`, `http.path`, `redis.channel`,
     * `queue.job-id`, `queue.attempt`, `cron.schedule`, plus `http.header.<name>` per header.
     */
    attributes: Array<[string, string]>,
  }
  /**
   * What a handler returns. HTTP uses every field; a queue job stores the body as its return
   * value; pub/sub and cron ignore it.
   */
  export interface Reply {
    status?: number,
    headers: Array<[string, string]>,
    body?: Uint8Array,
  }
  /**
   * Why a handler failed, and whether trying again may help.
   */
  export type HandlerError = HandlerErrorRetryLater | HandlerErrorGiveUp;
  /**
   * A passing failure: a queue job is retried with its backoff.
   */
  export interface HandlerErrorRetryLater {
    tag: 'retry-later',
    val: string,
  }
  /**
   * A permanent failure: a queue job fails at once without further attempts.
   */
  export interface HandlerErrorGiveUp {
    tag: 'give-up',
    val: string,
  }
  /**
   * Why a host capability refused or failed a call. The string says what and where.
   */
  export type CapabilityError = CapabilityErrorDenied | CapabilityErrorInvalid | CapabilityErrorUnavailable;
  /**
   * The manifest does not grant this component the store, channel, queue or variable.
   */
  export interface CapabilityErrorDenied {
    tag: 'denied',
    val: string,
  }
  /**
   * The arguments cannot be served, e.g. incrementing a value that is not an integer.
   */
  export interface CapabilityErrorInvalid {
    tag: 'invalid',
    val: string,
  }
  /**
   * The service behind the capability failed or did not answer (e.g. Redis is away).
   */
  export interface CapabilityErrorUnavailable {
    tag: 'unavailable',
    val: string,
  }
}
