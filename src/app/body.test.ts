import { describe, expect, it } from 'vitest';
import { NetlensError } from '../core/errors.js';
import { readImages } from './body.js';

const json = (body: string): Request =>
  new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

async function failure(request: Request, maxImages = 64): Promise<NetlensError> {
  const error = await readImages(request, maxImages).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetlensError);
  return error as NetlensError;
}

describe('readImages on hostile JSON', () => {
  it('refuses a million-entry images array by its length, before validating the entries', async () => {
    const started = performance.now();
    const error = await failure(json(`{"images":[${Array(1_000_000).fill('null').join(',')}]}`));
    expect(error.code).toBe('payload_too_large');
    expect(error.details).toEqual({ limit: 64, images: 1_000_000 });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('lists at most 20 validation problems and counts the rest', async () => {
    const error = await failure(json(`{"images":[${Array(60).fill('null').join(',')}]}`));
    expect(error.code).toBe('invalid_argument');
    expect(error.details.errors).toHaveLength(20);
    expect(error.details.moreErrors).toBe(40);
    expect(error.message).toMatch(/; and 40 more$/);
  });
});
