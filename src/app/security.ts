import ipaddr from 'ipaddr.js';
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

/**
 * Token buckets per key: `burst` requests at once, refilled at `perMinute`. At most `maxKeys` buckets
 * are kept (keys are client addresses for the failed-authentication limit, which anyone can make up):
 * past that, buckets that have refilled are forgotten, then the oldest.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly defaults: RateLimit,
    private readonly now: () => number = () => Date.now(),
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token or throws rate_limited with the seconds until one is available. */
  take(key: string, limit: RateLimit = this.defaults): void {
    this.check(key, limit);
    this.spend(key, limit);
  }

  /** Throws rate_limited when the bucket is empty; takes nothing. */
  check(key: string, limit: RateLimit = this.defaults): void {
    const bucket = this.bucket(key, limit);
    if (bucket.tokens >= 1) return;
    const perMs = limit.perMinute / 60_000;
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    throw new NetlensError(
      'rate_limited',
      `rate limit of ${limit.perMinute} requests per minute (burst ${limit.burst}) exceeded; retry in ${retryAfterSeconds} s`,
      { details: { retryAfterSeconds, limit: { perMinute: limit.perMinute, burst: limit.burst } } },
    );
  }

  /** Takes one token when there is one. */
  spend(key: string, limit: RateLimit = this.defaults): void {
    const bucket = this.bucket(key, limit);
    bucket.tokens = Math.max(0, bucket.tokens - 1);
  }

  private bucket(key: string, limit: RateLimit): { tokens: number; at: number } {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.forget(now, limit);
      bucket = { tokens: limit.burst, at: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) * limit.perMinute) / 60_000);
    bucket.at = now;
    return bucket;
  }

  private forget(now: number, limit: RateLimit): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) * limit.perMinute) / 60_000 >= limit.burst) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}

/**
 * The client's address for per-client limits: the connection's peer (`connection`, from the runtime),
 * unless that peer is a trusted proxy — then the last X-Forwarded-For address that is not a trusted
 * proxy. Without trusted proxies X-Forwarded-For is never read (anyone can write it).
 */
export function clientAddress(
  connection: string | undefined,
  headers: Headers,
  trustedProxies: readonly string[],
): string {
  const peer = connection ?? 'unknown';
  if (trustedProxies.length === 0 || !isTrusted(peer, trustedProxies)) return peer;
  const forwarded = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (let i = forwarded.length - 1; i >= 0; i--) {
    if (!isTrusted(forwarded[i]!, trustedProxies)) return forwarded[i]!;
  }
  return forwarded[0] ?? peer;
}

/** Parsed trusted-proxy blocks, once per list: a bare address is its own /32 or /128. */
const parsedBlocks = new WeakMap<readonly string[], [ipaddr.IPv4 | ipaddr.IPv6, number][]>();

function blocksOf(trustedProxies: readonly string[]): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  let blocks = parsedBlocks.get(trustedProxies);
  if (!blocks) {
    blocks = trustedProxies.flatMap((block): [ipaddr.IPv4 | ipaddr.IPv6, number][] => {
      if (ipaddr.isValidCIDR(block)) return [ipaddr.parseCIDR(block)];
      if (!ipaddr.isValid(block)) return []; // the settings refuse these; a library caller's typo trusts nothing
      const address = ipaddr.process(block);
      return [[address, address.kind() === 'ipv4' ? 32 : 128]];
    });
    parsedBlocks.set(trustedProxies, blocks);
  }
  return blocks;
}

function isTrusted(address: string, trustedProxies: readonly string[]): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return blocksOf(trustedProxies).some(
    ([range, prefix]) => parsed.kind() === range.kind() && parsed.match(range, prefix),
  );
}

/**
 * The key a per-address limit counts under: an IPv4 address, or the /64 of an IPv6 one (one host
 * usually holds a whole /64, and would otherwise have 2^64 fresh buckets to spend).
 */
export function limitKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}
