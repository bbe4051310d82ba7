/**
 * Writes a core module's data (`load/data-split.ts`) into a fresh instance's memory, as
 * instantiating the module whole would have: before anything calls into the instance.
 */
import type { DataImage } from '../guest-spec.js';
import type { CoreInstantiate } from './memory-watch.js';

/** `instantiateCore` that fills the memory of each instance of a module in `images` with its data. */
export function withDataImages(instantiateCore: CoreInstantiate, images: ReadonlyMap<WebAssembly.Module, DataImage>): CoreInstantiate {
  if (images.size === 0) return instantiateCore;
  return async (module, imports) => {
    const instance = await instantiateCore(module, imports);
    const image = images.get(module);
    if (image) {
      const memory = new Uint8Array((instance.exports[image.memory] as WebAssembly.Memory).buffer);
      let at = 0;
      for (const [offset, length] of image.runs) {
        if (offset + length > memory.length) throw new RangeError(`data segment at ${offset} (${length} bytes) is past the end of memory "${image.memory}"`);
        memory.set(image.data.subarray(at, at + length), offset);
        at += length;
      }
    }
    return instance;
  };
}
