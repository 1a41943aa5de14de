import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_IMAGES } from '../../../scripts/golden/golden-cache.js';
import { buildTinyModel } from '../../../test/node-engine-tiny-model.js';
import { prepareInThread } from '../../core/prepare.js';
import { createSharpImageDecoder } from './decode-image.js';
import { createNodeEngine } from './engine.js';
import { InputBuffers } from './input-buffers.js';
import { type PreparePool, createPreparePool } from './prepare-pool.js';
import { type WorkerEngine, createWorkerEngine } from './worker-engine.js';

describe('InputBuffers (recycled model inputs)', () => {
  it('hands a given buffer back to the next take of its size, and says so', () => {
    const inputs = new InputBuffers(4);
    expect(inputs.take(12)).toBeUndefined(); // nothing yet: the caller allocates; 12 values now wanted
    const used = new Float32Array(12).fill(3);
    inputs.give(used.buffer);
    expect(inputs.idle).toBe(1);
    const again = inputs.take(12);
    expect(again?.buffer).toBe(used.buffer);
    expect(again?.length).toBe(12);
    expect([inputs.idle, inputs.reused]).toEqual([0, 1]);
    expect(inputs.take(12)).toBeUndefined();
  });

  it('drops buffers of a size nobody asked for (a batch of several images, another model)', () => {
    const inputs = new InputBuffers(4);
    inputs.take(12);
    inputs.give(new Float32Array(24).buffer); // a batch of two
    inputs.give(new Float32Array(7).buffer);
    expect(inputs.idle).toBe(0);
    expect(inputs.take(24)).toBeUndefined(); // asked for now, but the earlier one was not kept
    expect(inputs.take(12)).toBeUndefined();
  });

  it('keeps at most `capacity` idle buffers over every size', () => {
    const inputs = new InputBuffers(3);
    inputs.take(12);
    inputs.take(6);
    const given = Array.from({ length: 5 }, (_, i) => new Float32Array(i % 2 === 0 ? 12 : 6).buffer);
    for (const b of given) inputs.give(b);
    expect(inputs.idle).toBe(3);
    const back = [inputs.take(12), inputs.take(12), inputs.take(6), inputs.take(12), inputs.take(6)];
    expect(back.map((b) => b?.length)).toEqual([12, 12, 6, undefined, undefined]);
    expect(inputs.idle).toBe(0);
    // capacity 0: recycling off.
    const off = new InputBuffers(0);
    off.take(12);
    off.give(new Float32Array(12).buffer);
    expect(off.take(12)).toBeUndefined();
  });

  it('drops a detached buffer (one that was transferred away)', () => {
    const inputs = new InputBuffers();
    inputs.take(12);
    const buffer = new Float32Array(12).buffer;
    structuredClone(buffer, { transfer: [buffer] });
    inputs.give(buffer);
    expect(inputs.idle).toBe(0);
  });

  it('refuses a capacity that is not an integer ≥ 0', () => {
    expect(() => new InputBuffers(-1)).toThrow(/capacity must be an integer ≥ 0, got -1/);
    expect(() => new InputBuffers(1.5)).toThrow(/got 1\.5/);
  });
});

describe('a model input going round: prepare pool → inference worker → the next image', () => {
  const inputs = new InputBuffers();
  let pool: PreparePool;
  let engine: WorkerEngine;
  beforeAll(async () => {
    pool = createPreparePool({ threads: 1, inputs });
    engine = await createWorkerEngine({ providers: ['cpu'], recycle: (b) => inputs.give(b) });
  });
  afterAll(async () => {
    await Promise.all([pool.close(), engine.close()]);
  });

  it('writes each image after the first into the buffer the previous run handed back', async () => {
    const tiny = buildTinyModel(8, 3);
    const session = await engine.createSession(tiny.bytes, { providers: ['cpu'] });
    const local = await createNodeEngine({ providers: ['cpu'] }).createSession(tiny.bytes);
    const spec = {
      input: {
        name: 'x',
        layout: 'NHWC' as const,
        width: 8,
        height: 8,
        channels: 3,
        dtype: 'float32' as const,
      },
      preprocessing: {
        mode: 'tf' as const,
        resize: 'area' as const,
        channelOrder: 'rgb' as const,
        color: 'rgb' as const,
      },
    };
    const inThread = prepareInThread(createSharpImageDecoder());
    const names = ['bmw.png', 'boat.png', 'clint_eastwood.jpg', 'tv.png'];
    for (const [i, name] of names.entries()) {
      const bytes = new Uint8Array(readFileSync(join(SHARED_IMAGES, name)));
      const prepared = await pool.prepareImage(bytes.slice(), spec);
      expect(inputs.reused).toBe(i); // every image but the first got the previous one's buffer
      const expected = await inThread(bytes, spec);
      expect(Array.from(prepared.tensor.data)).toEqual(Array.from(expected.tensor.data));
      const got = await session.run(prepared.tensor);
      const want = await local.run(expected.tensor);
      expect(Array.from(got.output!.data)).toEqual(Array.from(want.output!.data));
      expect(inputs.idle).toBe(1);
    }
    await session.dispose();
    await local.dispose();
  });
});
