/**
 * Decode admission by estimated memory (issue 15): each image declares what its header says decoding
 * will cost (core decodeCost) to the decoding gate, whose capacity is config.decodeBudgetBytes.
 */
import { describe, expect, it } from 'vitest';
import type { PrepareImage } from '../core/prepare.js';
import { FakeEngine, FakeSource, fakeDecoder, fakeManifest } from '../../test/support/fakes.js';
import { createApp } from './app.js';
import type { AppConfigInput } from './config.js';
import { ModelRegistry } from './registry.js';

/** A PNG signature and IHDR chunk (what the header reader needs) for width × height, colour type, depth. */
function pngHeader(width: number, height: number, colourType: 2 | 6, depth: 8 | 16): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(33);
  const view = new DataView(bytes.buffer);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  view.setUint32(8, 13);
  bytes.set([0x49, 0x48, 0x44, 0x52], 12); // IHDR
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes[24] = depth;
  bytes[25] = colourType;
  return bytes;
}

/** prepareImage that waits until told, recording how many images (and which) are inside at once. */
function gatedPrepare() {
  const inside = new Set<number>();
  const seen: number[][] = [];
  const waiting: (() => void)[] = [];
  const prepare: PrepareImage = async (bytes, spec) => {
    const id = bytes.length;
    inside.add(id);
    seen.push([...inside].sort((a, b) => a - b));
    await new Promise<void>((resolve) => waiting.push(resolve));
    inside.delete(id);
    const size = spec.input.width * spec.input.height * spec.input.channels;
    return {
      tensor: { data: new Float32Array(size), dims: [1, spec.input.height, spec.input.width, 3] },
      format: 'png',
      width: 1,
      height: 1,
      decoder: 'fake',
      decodeMs: 0,
      preprocessMs: 0,
    };
  };
  return { prepare, seen, waiting };
}

async function setup(config: AppConfigInput, prepareImage?: PrepareImage) {
  const registry = new ModelRegistry({
    source: new FakeSource().add(fakeManifest('alpha')),
    engine: new FakeEngine(),
    defaultModel: 'alpha',
  });
  await registry.start();
  return createApp({
    registry,
    decodeImage: fakeDecoder,
    ...(prepareImage && { prepareImage }),
    config: { batching: { maxDelayMs: 0 }, ...config },
  });
}

function classify(bytes: Uint8Array<ArrayBuffer>): Request {
  return new Request('http://localhost/v1/models/alpha/classify', {
    method: 'POST',
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('decode admission by estimated bytes', () => {
  it('admits images while their estimated memory fits the budget, in arrival order', async () => {
    const { prepare, seen, waiting } = gatedPrepare();
    // 50×10 RGBA 8-bit: 500 px × (4 + 4 + 4) = 6000 bytes; 10×10 RGB: 100 × 9 = 900 bytes.
    const app = await setup({ maxDecoding: 8, maxPixels: 10_000, decodeBudgetBytes: 10_000 }, prepare);
    const big = (tag: number) => new Uint8Array([...pngHeader(50, 10, 6, 8), ...new Uint8Array(tag)]);
    const answers = [
      app.request(classify(big(1))),
      app.request(classify(big(2))),
      app.request(classify(big(3))),
    ];
    for (let i = 0; i < 10; i++) await tick();
    // Only the first is inside: a second 6000 bytes would make 12 000 > 10 000.
    expect(seen).toEqual([[34]]);
    for (let round = 0; round < 3; round++) {
      waiting.shift()!();
      for (let i = 0; i < 10; i++) await tick();
    }
    expect(seen).toEqual([[34], [35], [36]]);
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('lets a small image in beside a large one when both fit', async () => {
    const { prepare, seen, waiting } = gatedPrepare();
    const app = await setup({ maxDecoding: 8, maxPixels: 10_000, decodeBudgetBytes: 10_000 }, prepare);
    const answers = [
      app.request(classify(pngHeader(50, 10, 6, 8))),
      app.request(classify(new Uint8Array([...pngHeader(10, 10, 2, 8), 0]))),
    ];
    for (let i = 0; i < 10; i++) await tick();
    expect(seen).toEqual([[33], [33, 34]]);
    waiting.splice(0).forEach((go) => go());
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200]);
  });

  it('refuses an image whose estimate alone exceeds the budget (422 image_too_large), before decoding', async () => {
    const { prepare, seen } = gatedPrepare();
    const app = await setup({ maxPixels: 1_000_000, decodeBudgetBytes: 100_000 }, prepare);
    // 100×100 RGBA 16-bit: 10 000 px × (8 + 4 + 4) = 160 000 bytes.
    const response = await app.request(classify(pngHeader(100, 100, 6, 16)));
    expect(response.status).toBe(422);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({
      type: '/problems/image-too-large',
      width: 100,
      height: 100,
      channels: 4,
      bitsPerSample: 16,
      estimatedBytes: 160_000,
      decodeBudgetBytes: 100_000,
    });
    expect(problem.detail).toMatch(
      /100×100 image \(4 channels, 16-bit\) needs about 0\.2 MiB, more than the decode budget of 0\.1 MiB/,
    );
    expect(seen).toEqual([]);
  });

  it('counts an unreadable header as the worst case at the pixel limit', async () => {
    const { prepare, seen } = gatedPrepare();
    const app = await setup({ maxPixels: 10_000, decodeBudgetBytes: 100_000 }, prepare);
    const truncated = pngHeader(10, 10, 2, 8).subarray(0, 20);
    const response = await app.request(classify(truncated));
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ estimatedBytes: 160_000 });
    expect(seen).toEqual([]);
  });
});
