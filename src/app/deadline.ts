import type { Context } from 'hono';
import { NetlensError } from '../core/errors.js';
import type { AppEnv } from './env.js';
import { ClientClosedRequest } from './errors.js';

/**
 * Runs `work` under the request deadline and the client's connection: whichever ends first aborts the
 * signal `work` receives (so queued images are dropped) and the request answers at once — 504 timeout
 * for the deadline, 499 (ClientClosedRequest) for a client that went away.
 */
export async function withDeadline<T>(
  c: Context<AppEnv>,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const client = c.get('clientSignal');
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(
        new NetlensError('timeout', `the request took longer than ${timeoutMs} ms`, {
          details: { limitMs: timeoutMs },
        }),
      ),
    timeoutMs,
  );
  const signal = AbortSignal.any([client, deadline.signal]);
  const reason = (): unknown =>
    client.aborted ? new ClientClosedRequest('client closed the request') : signal.reason;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(reason());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const running = work(signal);
  // After an abort nobody awaits `running` any more: its later failure must not go unhandled.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, aborted]);
  } catch (error) {
    if (signal.aborted) throw reason();
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
