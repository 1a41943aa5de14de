import { createHash } from 'node:crypto';

/** Lowercase hex sha256 of bytes without copying them (Web Crypto's digest copies its input). */
export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
