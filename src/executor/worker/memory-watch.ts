/**
 * What the host knows of a guest instance's linear memories: which they are, how large they were
 * when the instance was made, and how they grow event by event. The instance pools use it to
 * replace an instance that has grown too far, and the worker to tell a trap caused by the memory
 * cap (`load/memory-cap.ts`) from any other. Wasm gives no signal when `memory.grow` fails: the
 * guest sees -1 and, being out of memory, usually traps (Rust and C allocators abort with
 * `unreachable`, StarlingMonkey aborts on a failed allocation). So after a trap the host looks
 * at how close the memories came to the cap.
 */
import { GLOBAL_EXPORT_PREFIX, WASM_PAGE } from '../guest-spec.js';

/** jco's hook for instantiating each core module of a component. */
export type CoreInstantiate = (module: WebAssembly.Module, imports?: WebAssembly.Imports) => Promise<WebAssembly.Instance>;

interface Watched {
  memories: WebAssembly.Memory[];
  /** Mutable globals its modules were rewritten to export. */
  globals: WebAssembly.Global[];
  /** Bytes in all memories when the instance was made. */
  startBytes: number;
  /** Per memory, the most it grew during one event so far. */
  largestGrowth: number[];
}

const watched = new WeakMap<object, Watched>();

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
      const memories = [...found];
      watched.set(instance, { memories, globals, startBytes: total(memories), largestGrowth: memories.map(() => 0) });
    },
  };
}

function total(memories: WebAssembly.Memory[]): number {
  return memories.reduce((sum, m) => sum + m.buffer.byteLength, 0);
}

/** The mutable globals of `instance` that its modules were rewritten to export. */
export function globalsOfInstance(instance: object): WebAssembly.Global[] {
  return watched.get(instance)?.globals ?? [];
}

/** The memories `instance`'s core instances export. */
export function memoriesOfInstance(instance: object): WebAssembly.Memory[] {
  return watched.get(instance)?.memories ?? [];
}

/** The size in bytes of each memory of `instance`. */
export function memorySizes(instance: object): number[] {
  return memoriesOfInstance(instance).map((m) => m.buffer.byteLength);
}

/** Bytes in all memories of `instance` now. */
export function memoryInUse(instance: object): number {
  return total(memoriesOfInstance(instance));
}

/**
 * Bytes in the largest memory of `instance`: what its cap bounds, since each memory of a
 * component and of its dependencies is capped alone.
 */
export function largestMemory(instance: object): number {
  return Math.max(0, ...memorySizes(instance));
}

/** Whether `instance`'s memories are larger than when it was made. */
export function grownSinceMade(instance: object): boolean {
  const w = watched.get(instance);
  return w !== undefined && total(w.memories) > w.startBytes;
}

/** Notes the sizes of `instance`'s memories before an event; `end` records how much they grew. */
export function watchEvent(instance: object): { end(): void } {
  const before = memorySizes(instance);
  return {
    end() {
      const w = watched.get(instance);
      w?.memories.forEach((memory, i) => {
        w.largestGrowth[i] = Math.max(w.largestGrowth[i]!, memory.buffer.byteLength - before[i]!);
      });
    },
  };
}

/**
 * Whether `instance`, which trapped, had run into a cap of `capBytes`, and how much memory it
 * then held. A guest grows in steps and fails the step that would pass the cap, not at the cap
 * exactly, so a memory counts as exhausted when the room it has left is less than a page or
 * than the most it ever grew in one event (this one included): a JavaScript guest holding on to
 * 256 KiB an event traps with 192 KiB still free.
 */
export function exhaustedMemory(instance: object, capBytes: number): number | undefined {
  const w = watched.get(instance);
  for (const [i, memory] of (w?.memories ?? []).entries()) {
    const size = memory.buffer.byteLength;
    if (capBytes - size < Math.max(WASM_PAGE, w!.largestGrowth[i]!)) return size;
  }
  return undefined;
}
