import { NetlensError } from '../core/errors.js';

/**
 * Dynamic batching for one model: items queue up and run together, up to `maxBatch` per engine call.
 * When the engine is idle the first item waits at most `maxDelayMs` for company; items that arrive while
 * a batch runs go in the next batch as soon as it ends (they have waited already). The queue is bounded
 * (queue_full with a Retry-After estimate), and items whose request was aborted (client gone, timeout)
 * leave the queue at once; results of items already running are dropped.
 */
export interface BatcherOptions<I, O> {
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  /** Engine calls in flight at once. */
  concurrency: number;
  /** Runs one batch; returns one output per item, in order. */
  run(items: I[]): Promise<O[]>;
  /** Called after each batch (metrics). */
  onBatch?(info: { size: number; runMs: number; failed: boolean }): void;
  now?: () => number;
}

export interface Batched<O> {
  output: O;
  /** Time in the queue before its batch started. */
  queueMs: number;
  /** The engine call's duration (for the whole batch). */
  runMs: number;
  batchSize: number;
}

interface Job<I, O> {
  item: I;
  enqueuedAt: number;
  settled: boolean;
  resolve(value: Batched<O>): void;
  reject(error: unknown): void;
}

export class Batcher<I, O> {
  private readonly queue: Job<I, O>[] = [];
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushNow = false;
  private readonly now: () => number;
  /** Items per second of recent batches (EWMA), for Retry-After. */
  private throughput = 0;

  constructor(private readonly options: BatcherOptions<I, O>) {
    this.now = options.now ?? (() => performance.now());
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.running;
  }

  /** Seconds a client should wait before retrying when the queue is full. */
  retryAfterSeconds(extra = 0): number {
    const pending = this.queue.length + extra;
    if (this.throughput <= 0) return 1;
    return Math.min(60, Math.max(1, Math.ceil(pending / this.throughput)));
  }

  /**
   * Queues every item (all or none: queue_full when they do not all fit) and resolves with their outputs
   * in order. Aborting `signal` removes the queued ones and rejects with the signal's reason.
   */
  async submit(items: readonly I[], signal?: AbortSignal): Promise<Batched<O>[]> {
    signal?.throwIfAborted();
    if (this.queue.length + items.length > this.options.maxQueue) {
      const retryAfterSeconds = this.retryAfterSeconds(items.length);
      throw new NetlensError(
        'queue_full',
        `the queue is full (${this.queue.length} of ${this.options.maxQueue} images waiting); retry in ${retryAfterSeconds} s`,
        { details: { queueDepth: this.queue.length, maxQueue: this.options.maxQueue, retryAfterSeconds } },
      );
    }
    const jobs: Job<I, O>[] = [];
    const promises = items.map(
      (item) =>
        new Promise<Batched<O>>((resolve, reject) => {
          jobs.push({ item, enqueuedAt: this.now(), settled: false, resolve, reject });
        }),
    );
    const cancel = (reason: unknown): void => {
      for (const job of jobs) {
        if (job.settled) continue;
        job.settled = true;
        const at = this.queue.indexOf(job);
        if (at >= 0) this.queue.splice(at, 1);
        job.reject(reason);
      }
    };
    const onAbort = (): void => cancel(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.queue.push(...jobs);
    this.schedule();
    try {
      return await Promise.all(promises);
    } catch (error) {
      cancel(error);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private schedule(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const ready =
        this.flushNow || this.queue.length >= this.options.maxBatch || this.options.maxDelayMs <= 0;
      if (!ready) {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.flushNow = true;
          this.schedule();
        }, this.options.maxDelayMs);
        return;
      }
      this.flushNow = false;
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      const jobs = this.queue.splice(0, this.options.maxBatch);
      this.running++;
      void this.runBatch(jobs);
    }
  }

  private async runBatch(jobs: Job<I, O>[]): Promise<void> {
    const started = this.now();
    let failed = false;
    try {
      const outputs = await this.options.run(jobs.map((j) => j.item));
      if (outputs.length !== jobs.length) {
        throw new Error(`batch run returned ${outputs.length} outputs for ${jobs.length} items`);
      }
      const runMs = this.now() - started;
      if (runMs > 0) {
        const rate = (jobs.length * 1000) / runMs;
        this.throughput = this.throughput === 0 ? rate : 0.8 * this.throughput + 0.2 * rate;
      }
      jobs.forEach((job, i) => {
        if (job.settled) return;
        job.settled = true;
        job.resolve({
          output: outputs[i]!,
          queueMs: started - job.enqueuedAt,
          runMs,
          batchSize: jobs.length,
        });
      });
    } catch (error) {
      failed = true;
      for (const job of jobs) {
        if (job.settled) continue;
        job.settled = true;
        job.reject(error);
      }
    } finally {
      this.running--;
      this.options.onBatch?.({ size: jobs.length, runMs: this.now() - started, failed });
      if (this.queue.length > 0) this.flushNow = true;
      this.schedule();
    }
  }

  /** Rejects everything still queued (shutdown). */
  close(reason: unknown): void {
    for (const job of this.queue.splice(0)) {
      job.settled = true;
      job.reject(reason);
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
