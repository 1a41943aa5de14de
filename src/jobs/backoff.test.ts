import { describe, expect, it } from 'vitest';
import { MAX_DELAY_MS, backoffDelay, nextDeliveryDelay, retryAfterMs } from './backoff.js';

describe('callback backoff', () => {
  it('doubles per try with half of each delay random, capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 1000, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 1000, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(40, 1000, () => 1)).toBe(MAX_DELAY_MS);
  });

  it('honours Retry-After in seconds or as an HTTP date, else backs off', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Mon, 30 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(nextDeliveryDelay(3, 1000, '2', now, () => 0)).toBe(2000);
    expect(nextDeliveryDelay(3, 1000, null, now, () => 0)).toBe(2000);
    expect(nextDeliveryDelay(1, 1000, '999999', now)).toBe(MAX_DELAY_MS);
  });
});
