/**
 * Requests in flight and the draining state: the entry point's graceful shutdown stops new /v1 work
 * (`draining`), then waits for the requests already running.
 */
export class Lifecycle {
  private active = 0;
  private stopping = false;
  private readonly waiters = new Set<() => void>();

  get inFlight(): number {
    return this.active;
  }

  get draining(): boolean {
    return this.stopping;
  }

  begin(): void {
    this.active++;
  }

  end(): void {
    this.active--;
    if (this.active === 0) for (const wake of this.waiters) wake();
  }

  /** Stops taking work; resolves once no request is in flight or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<{ drained: boolean; inFlight: number }> {
    this.stopping = true;
    if (this.active === 0) return Promise.resolve({ drained: true, inFlight: 0 });
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve({ drained: this.active === 0, inFlight: this.active });
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** Marks the app as stopping without waiting (close()). */
  stop(): void {
    this.stopping = true;
  }
}
