import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openFeatureCache } from './feature-cache.js';

const sha = (n: number) => n.toString(16).padStart(64, '0');
const row = (n: number) => Float32Array.from({ length: 3 }, (_, i) => n + i / 10);

describe('the feature cache', () => {
  let root: string;
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('gives back what earlier runs put, per image and variant, bit for bit', async () => {
    root = mkdtempSync(join(tmpdir(), 'netlens-cache-'));
    const first = openFeatureCache(root, 'key', 3);
    await first.put(sha(1), 'plain', row(1));
    await first.put(sha(1), 'flip', row(-1));
    expect(first.get(sha(1), 'plain')).toEqual(row(1));
    await first.flush();
    const second = openFeatureCache(root, 'key', 3);
    expect(second.get(sha(1), 'plain')).toEqual(row(1));
    expect(second.get(sha(1), 'flip')).toEqual(row(-1));
    expect(second.get(sha(2), 'plain')).toBeUndefined();
    expect(openFeatureCache(root, 'other-key', 3).get(sha(1), 'plain')).toBeUndefined();
    expect(openFeatureCache(root, 'key', 4).get(sha(1), 'plain')).toBeUndefined(); // another row size
  });

  it('ignores partial and foreign files, and merges many packs into one', async () => {
    root = mkdtempSync(join(tmpdir(), 'netlens-cache-'));
    const cache = openFeatureCache(root, 'key', 3, 1); // one pack per row
    for (let i = 0; i < 20; i++) await cache.put(sha(i), 'plain', row(i));
    const packs = readdirSync(join(root, 'key')).filter((f) => f.endsWith('.pack'));
    expect(packs.length).toBeLessThanOrEqual(17);
    writeFileSync(join(root, 'key', 'torn.pack'), Buffer.from([0x4e, 0x4c, 0x46, 0x31, 3, 0, 0, 0, 1, 2]));
    writeFileSync(join(root, 'key', 'half.pack.tmp'), 'partial');
    const reread = openFeatureCache(root, 'key', 3);
    for (let i = 0; i < 20; i++) expect(reread.get(sha(i), 'plain')).toEqual(row(i));
  });
});
