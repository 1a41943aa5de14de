import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel } from '../../../test/node-engine-tiny-model.js';
import { createNodeEngine } from './engine.js';
import { type WorkerEngine, createWorkerEngine } from './worker-engine.js';

describe('the worker-thread engine', () => {
  let engine: WorkerEngine;
  beforeAll(async () => {
    engine = await createWorkerEngine({ providers: ['cpu'] });
  });
  afterAll(() => engine.close());

  it('is named after the engine it runs', () => {
    expect(engine.name).toMatch(/^onnxruntime-node 1\.\d+\.\d+ \(worker thread\)$/);
  });

  it('gives the in-process Node engine’s outputs, provider and output names', async () => {
    const tiny = buildTinyModel(8, 3);
    const input = {
      data: Float32Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.sin(i)),
      dims: [2, 8, 8, 3],
    };
    const local = await createNodeEngine({ providers: ['cpu'] }).createSession(tiny.bytes);
    const expected = await local.run(input);
    const session = await engine.createSession(tiny.bytes, { providers: ['cpu'] });
    expect(session.provider).toBe('cpu');
    expect(session.outputNames).toEqual(local.outputNames);
    const actual = await session.run({ data: input.data.slice(), dims: input.dims }, ['output']);
    expect(actual.output!.dims).toEqual([2, 3]);
    expect(Array.from(actual.output!.data)).toEqual(Array.from(expected.output!.data));
    // A view into a larger buffer is copied, not transferred away from the caller.
    const big = new Float32Array(input.data.length + 10);
    big.set(input.data, 10);
    const view = big.subarray(10);
    await session.run({ data: view, dims: input.dims });
    expect(view.length).toBe(input.data.length);
    await session.dispose();
    await local.dispose();
    await expect(session.run(input)).rejects.toThrow(/disposed/);
  });

  it('keeps NetlensError codes from the worker, and the fallbacks it recorded', async () => {
    await expect(
      engine.createSession(new Uint8Array([1, 2, 3]), { providers: ['cpu'] }),
    ).rejects.toMatchObject({
      name: 'NetlensError',
      code: 'invalid_model_file',
    });
    const session = await engine.createSession(buildTinyModel(4, 2).bytes, {
      providers: ['nonexistent', 'cpu'],
    });
    expect(session.provider).toBe('cpu');
    expect(session.fallbacks.map((f) => f.provider)).toEqual(['nonexistent']);
    await session.dispose();
  });
});

describe('the worker-thread engine handing inputs back (recycle)', () => {
  const returned: ArrayBuffer[] = [];
  let engine: WorkerEngine;
  beforeAll(async () => {
    engine = await createWorkerEngine({ providers: ['cpu'], recycle: (b) => returned.push(b) });
  });
  afterAll(() => engine.close());

  it('gives back each run’s input buffer, with its values, after an answer or a failure', async () => {
    const session = await engine.createSession(buildTinyModel(8, 3).bytes, { providers: ['cpu'] });
    const data = Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => i);
    const outputs = await session.run({ data, dims: [1, 8, 8, 3] });
    expect(outputs.output!.dims).toEqual([1, 3]);
    expect(data.byteLength).toBe(0); // transferred to the worker
    expect(returned).toHaveLength(1);
    expect(Array.from(new Float32Array(returned[0]!).subarray(0, 4))).toEqual([0, 1, 2, 3]);
    // A run that onnxruntime refuses (wrong dims) still hands its buffer back.
    const wrong = new Float32Array(7 * 7 * 3);
    await expect(session.run({ data: wrong, dims: [1, 7, 7, 3] })).rejects.toThrow();
    expect(returned.map((b) => b.byteLength)).toEqual([8 * 8 * 3 * 4, 7 * 7 * 3 * 4]);
    await session.dispose();
  });
});

describe('the worker-thread engine with sessions side by side (workers: 2)', () => {
  let engine: WorkerEngine;
  beforeAll(async () => {
    engine = await createWorkerEngine({ providers: ['cpu'], threads: 1, workers: 2 });
  });
  afterAll(() => engine.close());

  it('says how many copies of each model it keeps (what the registry charges)', () => {
    expect(engine.name).toMatch(/^onnxruntime-node 1\.\d+\.\d+ \(2 worker threads\)$/);
    expect(engine.replicas).toBe(2);
  });

  it('answers every concurrent call with its own input’s outputs, then disposes every copy', async () => {
    const tiny = buildTinyModel(8, 3);
    const local = await createNodeEngine({ providers: ['cpu'] }).createSession(tiny.bytes);
    const session = await engine.createSession(tiny.bytes, { providers: ['cpu'] });
    const inputs = Array.from({ length: 12 }, (_, k) => ({
      data: Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => Math.sin(i * (k + 1))),
      dims: [1, 8, 8, 3],
    }));
    const expected = await Promise.all(inputs.map((input) => local.run(input)));
    // All in flight at once: the calls spread over both threads (the least busy takes the next one).
    const actual = await Promise.all(
      inputs.map((input) => session.run({ data: input.data.slice(), dims: input.dims })),
    );
    actual.forEach((outputs, k) =>
      expect(Array.from(outputs.output!.data)).toEqual(Array.from(expected[k]!.output!.data)),
    );
    await session.dispose();
    await local.dispose();
    // Two calls at once go to both threads: each copy must be gone.
    const after = await Promise.allSettled([session.run(inputs[0]!), session.run(inputs[1]!)]);
    expect(after.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('refuses a worker count that is not a positive integer', async () => {
    await expect(createWorkerEngine({ workers: 0 })).rejects.toThrow(/workers must be ≥ 1/);
  });
});
