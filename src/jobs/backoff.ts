/**
 * Callback retry delays: exponential from `baseMs` (doubling per try, at most `capMs`) with "equal
 * jitter" (half fixed, half random) so receivers coming back are not hit by every sender at once. A
 * Retry-After header (seconds or an HTTP date) from the receiver wins, within the same cap.
 */
export const MAX_DELAY_MS = 60 * 60 * 1000;

export function backoffDelay(
  attempt: number,
  baseMs: number,
  random: () => number = Math.random,
  capMs = MAX_DELAY_MS,
): number {
  const exponential = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

/** Milliseconds a Retry-After value asks for, or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function nextDeliveryDelay(
  attempt: number,
  baseMs: number,
  retryAfter: string | null | undefined,
  now: number,
  random: () => number = Math.random,
): number {
  const asked = retryAfterMs(retryAfter, now);
  return asked !== undefined ? Math.min(MAX_DELAY_MS, asked) : backoffDelay(attempt, baseMs, random);
}
