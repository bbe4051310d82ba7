/// <reference path="./spindle-app-types.d.ts" />
declare module 'spindle:app/pubsub@0.1.0' {
  export function publish(channel: string, data: Uint8Array): void;
  export type CapabilityError = import('spindle:app/types@0.1.0').CapabilityError;
}
