/**
 * A first-in first-out semaphore counted twice: at most `limit` holders, whose declared bytes add up to
 * at most `capacity`. The app passes every image through one before decoding, declaring the memory its
 * decoding may take (core decodeCost, from the header): under a burst the rest wait as compressed bytes
 * (not as decoded pixels and tensors), large images get in only when the memory they need is free, and
 * all are served in arrival order (a large image at the head is never overtaken, so it cannot starve).
 */
export class Gate {
  private active = 0;
  private bytes = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly limit: number,
    readonly capacity = Number.POSITIVE_INFINITY,
  ) {}

  get inUse(): number {
    return this.active;
  }

  /** Bytes declared by the holders. */
  get bytesInUse(): number {
    return this.bytes;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Waits for a place for `bytes` (at most `capacity`: the caller refuses larger work); an abort while
   * waiting leaves the line with the signal's reason.
   */
  async acquire(signal?: AbortSignal, bytes = 0): Promise<() => void> {
    signal?.throwIfAborted();
    if (!(bytes >= 0 && bytes <= this.capacity)) {
      throw new RangeError(`Gate.acquire: ${bytes} bytes is outside 0…${this.capacity}`);
    }
    if (this.waiting.length === 0 && this.fits(bytes)) this.take(bytes);
    else await this.wait(bytes, signal);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.bytes -= bytes;
      this.admit();
    };
  }

  private fits(bytes: number): boolean {
    return this.active < this.limit && this.bytes + bytes <= this.capacity;
  }

  private take(bytes: number): void {
    this.active++;
    this.bytes += bytes;
  }

  /** Lets waiters in from the head while they fit. */
  private admit(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.take(next.bytes);
      next.resolve();
    }
  }

  private wait(bytes: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        // The head left: those behind it may fit now.
        if (at === 0) this.admit();
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        bytes,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }
}

interface Waiter {
  readonly bytes: number;
  resolve(): void;
}
