/**
 * Telling a trap caused by the memory cap (`load/memory-cap.ts`) from any other. Wasm gives no
 * signal when `memory.grow` fails: the guest sees -1 and, being out of memory, usually traps
 * (Rust and C allocators abort with `unreachable`). So the host keeps the memories of every
 * instance it creates and, after a trap, looks at how close they came to the cap.
 */
import { GLOBAL_EXPORT_PREFIX, WASM_PAGE } from '../guest-spec.js';

/** jco's hook for instantiating each core module of a component. */
export type CoreInstantiate = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => Promise<WebAssembly.Instance>;

const memoriesOf = new WeakMap<object, WebAssembly.Memory[]>();
const globalsOf = new WeakMap<object, WebAssembly.Global[]>();

/**
 * An `instantiateCore` for jco's glue that notes every memory (and every rewritten mutable
 * global) the core instances export, and `attach` to bind them to the guest instance they make
 * up.
 */
export function recordMemories(): { instantiateCore: CoreInstantiate; attach(instance: object): void } {
  const found = new Set<WebAssembly.Memory>();
  const globals: WebAssembly.Global[] = [];
  return {
    async instantiateCore(module, imports) {
      const instance = await WebAssembly.instantiate(module, imports);
      for (const [name, value] of Object.entries(instance.exports)) {
        if (value instanceof WebAssembly.Memory) found.add(value);
        else if (value instanceof WebAssembly.Global && name.startsWith(GLOBAL_EXPORT_PREFIX)) globals.push(value);
      }
      return instance;
    },
    attach(instance) {
      memoriesOf.set(instance, [...found]);
      globalsOf.set(instance, globals);
    },
  };
}

/** The mutable globals of `instance` that its modules were rewritten to export. */
export function globalsOfInstance(instance: object): WebAssembly.Global[] {
  return globalsOf.get(instance) ?? [];
}

/** The memories `instance`'s core instances export. */
export function memoriesOfInstance(instance: object): WebAssembly.Memory[] {
  return memoriesOf.get(instance) ?? [];
}

/** The size in bytes of each memory of `instance`, to compare with after a call. */
export function memorySizes(instance: object): number[] {
  return (memoriesOf.get(instance) ?? []).map((m) => m.buffer.byteLength);
}

/**
 * Whether `instance`, which trapped, had run into a cap of `capBytes`, and how much memory it
 * then held. A memory counts as exhausted when it cannot grow by one more page, or when it grew
 * during the call (from `sizesBefore`) by more than the room it had left: a guest growing in
 * steps fails its next step before it reaches the cap exactly.
 */
export function exhaustedMemory(instance: object, sizesBefore: number[], capBytes: number): number | undefined {
  const memories = memoriesOf.get(instance) ?? [];
  for (const [i, memory] of memories.entries()) {
    const size = memory.buffer.byteLength;
    const room = capBytes - size;
    const grown = size - (sizesBefore[i] ?? size);
    if (room < WASM_PAGE || (grown > 0 && room < grown)) return size;
  }
  return undefined;
}
