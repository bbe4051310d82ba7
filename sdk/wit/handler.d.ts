/// <reference path="./interfaces/spindle-app-key-value.d.ts" />
/// <reference path="./interfaces/spindle-app-log.d.ts" />
/// <reference path="./interfaces/spindle-app-pubsub.d.ts" />
/// <reference path="./interfaces/spindle-app-queue.d.ts" />
/// <reference path="./interfaces/spindle-app-types.d.ts" />
/// <reference path="./interfaces/spindle-app-variables.d.ts" />
declare module 'spindle:app/handler@0.1.0' {
  export type Event = import('spindle:app/types@0.1.0').Event;
  export type Reply = import('spindle:app/types@0.1.0').Reply;
  export type HandlerError = import('spindle:app/types@0.1.0').HandlerError;
  export type * as SpindleAppKeyValue010 from 'spindle:app/key-value@0.1.0'; // import spindle:app/key-value@0.1.0
  export type * as SpindleAppLog010 from 'spindle:app/log@0.1.0'; // import spindle:app/log@0.1.0
  export type * as SpindleAppPubsub010 from 'spindle:app/pubsub@0.1.0'; // import spindle:app/pubsub@0.1.0
  export type * as SpindleAppQueue010 from 'spindle:app/queue@0.1.0'; // import spindle:app/queue@0.1.0
  export type * as SpindleAppTypes010 from 'spindle:app/types@0.1.0'; // import spindle:app/types@0.1.0
  export type * as SpindleAppVariables010 from 'spindle:app/variables@0.1.0'; // import spindle:app/variables@0.1.0
  export function handle(event: Event): Reply;
  export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };
}
