import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHARED_IMAGES } from '../../../scripts/golden/golden-cache.js';
import { NetlensError } from '../../core/errors.js';
import type { Manifest } from '../../core/manifest.js';
import { prepareInThread } from '../../core/prepare.js';
import { createSharpImageDecoder } from './decode-image.js';
import { InputBuffers } from './input-buffers.js';
import { createPreparePool } from './prepare-pool.js';
import { readJsonImages } from '../../app/body.js';

type Spec = Pick<Manifest, 'input' | 'preprocessing'>;
const spec = (size: number, preprocessing: Manifest['preprocessing']): Spec => ({
  input: { name: 'x', layout: 'NHWC', width: size, height: size, channels: 3, dtype: 'float32' },
  preprocessing,
});
const SPECS: Spec[] = [
  spec(224, {
    mode: 'scale',
    factor: 1 / 255,
    resize: 'bilinear-align-corners',
    channelOrder: 'rgb',
    color: 'rgb',
  }),
  spec(299, { mode: 'caffe', resize: 'bilinear', channelOrder: 'bgr', color: 'rgb' }),
  spec(224, { mode: 'torch', resize: 'area', channelOrder: 'rgb', color: 'rgb' }),
];
const photo = (name: string) => new Uint8Array(readFileSync(join(SHARED_IMAGES, name)));

async function errorOf(promise: Promise<unknown>): Promise<NetlensError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(NetlensError);
    return error as NetlensError;
  }
  throw new Error('expected an error');
}

describe('the prepare pool (decode + preprocess in worker threads)', () => {
  const pool = createPreparePool({ threads: 1 });
  const inThread = prepareInThread(createSharpImageDecoder());
  afterAll(() => pool.close());

  it('gives the same model input and facts as decoding and preprocessing on this thread', async () => {
    for (const name of ['clint_eastwood.jpg', 'tv.png']) {
      for (const s of SPECS) {
        const expected = await inThread(photo(name), s);
        const got = await pool.prepareImage(photo(name), s, {
          maxPixels: 1_000_000,
          format: name.endsWith('png') ? 'png' : 'jpeg',
        });
        expect(got.tensor.dims).toEqual(expected.tensor.dims);
        expect(Buffer.from(got.tensor.data.buffer).equals(Buffer.from(expected.tensor.data.buffer))).toBe(
          true,
        );
        expect([got.format, got.width, got.height]).toEqual([
          expected.format,
          expected.width,
          expected.height,
        ]);
        expect(got.decodeMs).toBeGreaterThan(0);
        expect(got.preprocessMs).toBeGreaterThan(0);
      }
    }
  });

  it('runs many images at once, each getting its own answer', async () => {
    const names = ['bmw.png', 'boat.png', 'clint_eastwood.jpg', 'jemma.png', 'soccer_ball.jpg', 'tv.png'];
    const results = await Promise.all(names.map((n) => pool.prepareImage(photo(n), SPECS[0]!)));
    const expected = await Promise.all(names.map((n) => inThread(photo(n), SPECS[0]!)));
    results.forEach((r, i) => {
      expect([r.width, r.height]).toEqual([expected[i]!.width, expected[i]!.height]);
      expect(Buffer.from(r.tensor.data.buffer).equals(Buffer.from(expected[i]!.tensor.data.buffer))).toBe(
        true,
      );
    });
  });

  it('takes over a buffer that holds only the image, and copies a view into a larger one', async () => {
    const own = photo('soccer_ball.jpg');
    await pool.prepareImage(own, SPECS[0]!);
    expect(own.byteLength).toBe(0); // transferred to the pool's thread
    const bytes = photo('soccer_ball.jpg');
    const inside = new Uint8Array(bytes.length + 10);
    inside.set(bytes, 5);
    const view = inside.subarray(5, 5 + bytes.length);
    await pool.prepareImage(view, SPECS[0]!);
    expect(view.byteLength).toBe(bytes.length);
  });

  it('brings decoder errors back as the same typed NetlensError', async () => {
    const large = await errorOf(pool.prepareImage(photo('tv.png'), SPECS[0]!, { maxPixels: 1000 }));
    expect([large.code, large.details.width, large.details.height]).toEqual(['image_too_large', 600, 441]);
    const png = photo('tv.png');
    const broken = await errorOf(pool.prepareImage(png.slice(0, png.length / 3), SPECS[0]!));
    expect(broken.code).toBe('bad_image');
    expect(broken.message).toMatch(/^cannot decode PNG: \S/);
    const bmp = await errorOf(pool.prepareImage(Uint8Array.from([0x42, 0x4d, 1, 2, 3, 4]), SPECS[0]!));
    expect(bmp.code).toBe('unsupported_media_type');
    const badSpec = await errorOf(
      pool.prepareImage(photo('tv.png'), {
        ...SPECS[0]!,
        preprocessing: { ...SPECS[0]!.preprocessing, mode: 'caffe', color: 'grayscale' },
      }),
    );
    expect(badSpec.code).toBe('invalid_argument');
  });

  it('refuses work once closed', async () => {
    const other = createPreparePool({ threads: 1 });
    await other.prepareImage(photo('soccer_ball.jpg'), SPECS[0]!);
    await other.close();
    const refused = await errorOf(other.prepareImage(photo('soccer_ball.jpg'), SPECS[0]!));
    expect([refused.code, refused.message]).toEqual([
      'model_not_ready',
      'the server is shutting down (its decoding threads are closed)',
    ]);
  });
});

describe('the prepare pool with recycled model inputs (input-buffers.ts)', () => {
  const inputs = new InputBuffers(2);
  const pool = createPreparePool({ threads: 1, inputs });
  const inThread = prepareInThread(createSharpImageDecoder());
  afterAll(() => pool.close());

  it('writes into a buffer handed back, bit for bit what a fresh buffer gets', async () => {
    for (const s of SPECS) {
      const first = await pool.prepareImage(photo('tv.png'), s);
      const reusedBefore = inputs.reused;
      // What the inference worker does: hand the used input back (here dirtied, as by another image).
      first.tensor.data.fill(Number.NaN);
      inputs.give(first.tensor.data.buffer as ArrayBuffer);
      expect(inputs.idle).toBe(1);
      const second = await pool.prepareImage(photo('clint_eastwood.jpg'), s);
      expect([inputs.idle, inputs.reused]).toEqual([0, reusedBefore + 1]);
      expect(first.tensor.data.byteLength).toBe(0); // it went to the pool's thread again
      const expected = await inThread(photo('clint_eastwood.jpg'), s);
      expect(Buffer.from(second.tensor.data.buffer).equals(Buffer.from(expected.tensor.data.buffer))).toBe(
        true,
      );
    }
  });

  it('gets the buffer back when the image fails, for the next one', async () => {
    const s = SPECS[1]!;
    const used = await pool.prepareImage(photo('tv.png'), s);
    expect(inputs.idle).toBe(0);
    inputs.give(used.tensor.data.buffer as ArrayBuffer);
    const png = photo('tv.png');
    const broken = await errorOf(pool.prepareImage(png.slice(0, png.length / 3), s));
    expect(broken.code).toBe('bad_image');
    expect(inputs.idle).toBe(1); // came back with the error
    const reused = inputs.reused;
    await pool.prepareImage(photo('bmw.png'), s);
    expect([inputs.idle, inputs.reused]).toEqual([0, reused + 1]);
  });
});

describe('the prepare pool reading JSON bodies (parse + base64 off the HTTP thread)', () => {
  const pool = createPreparePool({ threads: 1 });
  afterAll(() => pool.close());
  const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('gives the images and top the calling thread would, the bytes moved back', async () => {
    const bytes = photo('soccer_ball.jpg');
    const json = body({ images: [{ base64: Buffer.from(bytes).toString('base64'), name: 'ball' }], top: 3 });
    const pooled = await pool.readJsonImages(json.slice(), 64);
    expect(pooled).toEqual(await readJsonImages(json, 64));
    expect(pooled.top).toBe(3);
    expect(Array.from(pooled.images[0]!.bytes)).toEqual(Array.from(bytes));
  });

  it('keeps the error codes: invalid JSON, too many images, bad base64', async () => {
    const invalid = await errorOf(pool.readJsonImages(new TextEncoder().encode('{"images": ['), 64));
    expect(invalid.code).toBe('invalid_argument');
    const many = await errorOf(pool.readJsonImages(body({ images: Array(65).fill({ base64: 'AA==' }) }), 64));
    expect(many.code).toBe('payload_too_large');
    expect(many.details).toEqual({ limit: 64, images: 65 });
    const base64 = await errorOf(pool.readJsonImages(body({ images: [{ base64: '!!!' }] }), 64));
    expect(base64.code).toBe('invalid_argument');
  });
});
