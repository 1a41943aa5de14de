import { messageOf } from '../core/errors.js';
import type { JobRunner } from './runner.js';
import type { JobQueue } from './service.js';
import type { JobStore } from './types.js';

export interface PollerOptions {
  store: JobStore;
  runner: JobRunner;
  owner: string;
  leaseMs: number;
  /** Jobs worked on at once. */
  concurrency: number;
  /** How long an idle slot sleeps before looking again (a push in this process wakes it at once). */
  idleMs?: number;
  onError?: (error: unknown) => void;
  now?: () => number;
}

/**
 * The worker loop of stores that are their own queue (SQLite): `concurrency` slots each lease the job
 * due the longest, run it, and look again; idle slots sleep until `idleMs` passes or a job is pushed in
 * this process. Jobs pushed by other processes are found by the next look.
 */
export class JobPoller implements JobQueue {
  private stopped = false;
  private wakers = new Set<() => void>();
  private readonly slots: Promise<void>[] = [];
  private readonly now: () => number;

  constructor(private readonly options: PollerOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.slots.push(this.loop());
  }

  /** JobQueue: the job is in the store already; wake the sleeping slots. */
  async push(): Promise<void> {
    for (const wake of this.wakers) wake();
  }

  /** Stops taking jobs and waits for the ones running (their leases are given back on save). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.push();
    await Promise.all(this.slots);
  }

  private async loop(): Promise<void> {
    const { store, runner, owner, leaseMs, onError } = this.options;
    while (!this.stopped) {
      let worked = false;
      try {
        const job = await store.leaseNext(owner, this.now(), leaseMs);
        if (job) {
          worked = true;
          await runner.run(job);
        }
      } catch (error) {
        onError?.(new Error(`job worker: ${messageOf(error)}`, { cause: error }));
      }
      if (!worked && !this.stopped) await this.sleep(this.options.idleMs ?? 250);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}
