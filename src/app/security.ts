import { NetlensError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import type { ApiKeyConfig, RateLimit } from './config.js';

/**
 * API keys: kept only as sha256 hashes; a presented key is hashed and compared with every stored hash
 * in constant time (no early exit on the first differing byte or on the first matching key).
 */
export class ApiKeys {
  private readonly hashes: { name: string; digest: Uint8Array; rateLimit?: RateLimit }[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.hashes = keys.map((k) => ({ name: k.name, digest: hexBytes(k.sha256), rateLimit: k.rateLimit }));
  }

  get enabled(): boolean {
    return this.hashes.length > 0;
  }

  /** The matching key's name and rate limit, or undefined. */
  async verify(presented: string): Promise<{ name: string; rateLimit?: RateLimit } | undefined> {
    const digest = hexBytes(await sha256Hex(new TextEncoder().encode(presented)));
    let found = -1;
    for (let i = 0; i < this.hashes.length; i++) {
      // Every stored hash is compared whole, match or not.
      const equal = constantTimeEqual(digest, this.hashes[i]!.digest);
      found = equal && found < 0 ? i : found;
    }
    const key = found >= 0 ? this.hashes[found] : undefined;
    return key && { name: key.name, ...(key.rateLimit && { rateLimit: key.rateLimit }) };
  }
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: Headers): string | undefined {
  const auth = headers.get('authorization');
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match) return match[1]!.trim();
  }
  return headers.get('x-api-key')?.trim() || undefined;
}

/** Token buckets per key: `burst` requests at once, refilled at `perMinute`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly defaults: RateLimit,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Takes one token or throws rate_limited with the seconds until one is available. */
  take(key: string, limit: RateLimit = this.defaults): void {
    const now = this.now();
    const perMs = limit.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    throw new NetlensError(
      'rate_limited',
      `rate limit of ${limit.perMinute} requests per minute (burst ${limit.burst}) exceeded; retry in ${retryAfterSeconds} s`,
      { details: { retryAfterSeconds, limit: { perMinute: limit.perMinute, burst: limit.burst } } },
    );
  }
}
