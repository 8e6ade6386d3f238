import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * V8's heap once a full collection frees nothing more (what the last one left
 * to weak callbacks runs between them), in bytes: what a cache's entries hold,
 * measured by its growth. Buffers' memory off the heap is freed in the
 * background, so it is left out. gc() without starting node with --expose-gc.
 */
export function heldHeap(): () => Promise<number> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return async () => {
    let last = Infinity;
    for (;;) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      const now = process.memoryUsage().heapUsed;
      if (now >= last) return now;
      last = now;
    }
  };
}
