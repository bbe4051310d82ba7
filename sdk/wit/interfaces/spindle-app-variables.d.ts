/// <reference path="./spindle-app-types.d.ts" />
declare module 'spindle:app/variables@0.1.0' {
  export function get(name: string): string;
  export type CapabilityError = import('spindle:app/types@0.1.0').CapabilityError;
}
