import { NetlensError } from '../core/errors.js';

/** Seconds a client is told to wait (Retry-After) after the shutdown 503: another instance takes it. */
export const SHUTDOWN_RETRY_AFTER_SECONDS = 1;

/** The 503 of a request refused or cut because the server is shutting down (Retry-After, Connection: close). */
export function shuttingDown(): NetlensError {
  return new NetlensError('model_not_ready', 'the server is shutting down; retry on another instance', {
    details: { retryAfterSeconds: SHUTDOWN_RETRY_AFTER_SECONDS },
  });
}

/**
 * Requests in flight, the work they started, and the draining state. The entry point's graceful
 * shutdown stops new /v1 work (`draining`), then waits for the requests already running and for their
 * work (a decode or a batch whose request already answered, e.g. its client went away, still runs in a
 * thread the shutdown is about to end). Requests still running at the drain timeout are cut (`onCut`):
 * they answer the shutdown 503 with Retry-After instead of losing their connection. (Callbacks, not a
 * shared AbortSignal: a Worker isolate must not use an object made during one request in another.)
 */
export class Lifecycle {
  private active = 0;
  private working = 0;
  private stopping = false;
  private readonly cutters = new Set<() => void>();
  private readonly waiters = new Set<() => void>();

  /** Requests being answered now. */
  get inFlight(): number {
    return this.active;
  }

  get draining(): boolean {
    return this.stopping;
  }

  /** Calls `cut` if the drain timeout passes while the request runs; returns the unregistration. */
  onCut(cut: () => void): () => void {
    this.cutters.add(cut);
    return () => this.cutters.delete(cut);
  }

  begin(): void {
    this.active++;
  }

  end(): void {
    this.active--;
    this.wake();
  }

  /** Counts `work` as in flight until it settles, whether or not its request still waits for it. */
  track(work: Promise<unknown>): void {
    this.working++;
    const done = (): void => {
      this.working--;
      this.wake();
    };
    work.then(done, done);
  }

  /**
   * Stops taking work; resolves once no request or work is in flight, or after `timeoutMs`: then the
   * requests still running are cut (the shutdown 503) and given `graceMs` to answer.
   */
  async drain(timeoutMs: number, graceMs = 2000): Promise<{ drained: boolean; inFlight: number }> {
    this.stopping = true;
    if (await this.idle(timeoutMs)) return { drained: true, inFlight: 0 };
    const inFlight = this.active;
    for (const cut of this.cutters) cut();
    await this.idle(graceMs);
    return { drained: false, inFlight };
  }

  /** Marks the app as stopping without waiting (close()). */
  stop(): void {
    this.stopping = true;
  }

  private get busy(): boolean {
    return this.active > 0 || this.working > 0;
  }

  private wake(): void {
    if (!this.busy) for (const wake of this.waiters) wake();
  }

  private idle(timeoutMs: number): Promise<boolean> {
    if (!this.busy) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(!this.busy);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }
}
