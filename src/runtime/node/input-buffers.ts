/**
 * Model-input buffers, recycled. On a virtual machine the first write to a fresh 4 KiB page costs
 * ~15–20 µs, and a fresh 299²×3 float32 input is 263 pages (~4.7 ms of the prepare thread's ~8 ms per
 * image; docs/performance.md). So the inference worker hands each input's buffer back with its result
 * (worker-engine.ts), the HTTP thread keeps it here, and the prepare pool sends it with the next task of
 * that size for core preprocessing to write into (prepare-pool.ts): pages already touched, no faults.
 *
 * Bounded: at most `capacity` idle buffers in all, so the buffers alive are the images in flight plus
 * `capacity`. A buffer is kept only when its size is one `take` was asked for (a batch of several images
 * comes back as one bigger buffer, which no prepare task wants: dropped) and it is not detached. A buffer
 * that never comes back (a failed request, a client gone) is only garbage: nothing waits for it.
 */
export class InputBuffers {
  /** Idle buffers by byte length; a key exists once `take` asked for that length. */
  private readonly free = new Map<number, ArrayBuffer[]>();
  private idleCount = 0;
  private reusedCount = 0;

  constructor(readonly capacity = 8) {
    if (!Number.isInteger(capacity) || capacity < 0)
      throw new Error(`capacity must be an integer ≥ 0, got ${capacity}`);
  }

  /** An idle buffer of exactly `length` float32 values, or undefined (the caller allocates one). */
  take(length: number): Float32Array | undefined {
    const bytes = length * Float32Array.BYTES_PER_ELEMENT;
    const list = this.free.get(bytes);
    if (list === undefined) {
      this.free.set(bytes, []);
      return undefined;
    }
    const buffer = list.pop();
    if (buffer === undefined) return undefined;
    this.idleCount--;
    this.reusedCount++;
    return new Float32Array(buffer);
  }

  /** Hands a used buffer back; kept for the next `take` of its size, or dropped (see above). */
  give(buffer: ArrayBuffer): void {
    if (this.idleCount >= this.capacity || buffer.byteLength === 0) return; // full, or detached
    const list = this.free.get(buffer.byteLength);
    if (list === undefined) return;
    list.push(buffer);
    this.idleCount++;
  }

  /** Buffers kept and not taken yet. */
  get idle(): number {
    return this.idleCount;
  }

  /** How many `take`s were answered with a recycled buffer. */
  get reused(): number {
    return this.reusedCount;
  }
}
