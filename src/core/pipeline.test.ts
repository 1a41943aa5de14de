import { describe, expect, it } from 'vitest';
import { classify, postprocess, preprocess, runRows } from './pipeline.js';
import type { EngineSession, Float32Tensor } from './engine.js';
import { NetlensError } from './errors.js';
import { parseManifest, type Manifest } from './manifest.js';

function manifest(kind: 'logits' | 'probabilities' | 'features' = 'logits'): Manifest {
  return parseManifest({
    manifestVersion: 1,
    name: 'fake',
    architecture: 'test',
    file: 'fake.onnx',
    input: { name: 'x', layout: 'NHWC', height: 2, width: 2, channels: 3, dtype: 'float32' },
    output: { name: 'y', kind, size: 3 },
    preprocessing: { mode: 'scale', factor: 1, resize: 'nearest' },
    labels: ['red', 'green', 'blue'],
    sha256: { model: '0'.repeat(64) },
    provenance: { source: 't', format: 't', converter: 't', convertedAt: 't', opset: 17, parameters: 0 },
  });
}

/** A fake session whose logits are each image's per-channel sums (so the brightest channel wins). */
function fakeSession(): EngineSession & { calls: Float32Tensor[] } {
  const calls: Float32Tensor[] = [];
  return {
    provider: 'fake',
    fallbacks: [],
    inputNames: ['x'],
    outputNames: ['y'],
    calls,
    async run(input) {
      calls.push(input);
      const n = input.dims[0]!;
      const per = input.data.length / n;
      const out = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < per; j++) out[i * 3 + (j % 3)]! += input.data[i * per + j]!;
      }
      return { y: { data: out, dims: [n, 3] } };
    },
    async dispose() {},
  };
}

const solid = (r: number, g: number, b: number) => ({
  decoded: {
    width: 4,
    height: 4,
    channels: 3 as const,
    format: 'png' as const,
    decoder: 'test',
    data: new Uint8Array(Array.from({ length: 16 }, () => [r, g, b]).flat()),
  },
});

describe('the pipeline halves', () => {
  it('classify preprocesses, batches, runs once, softmaxes logits and decodes top-k', async () => {
    const session = fakeSession();
    const out = await classify(session, manifest('logits'), [solid(1, 0, 0), solid(0, 0, 2)], 2);
    expect(session.calls).toHaveLength(1);
    expect(session.calls[0]!.dims).toEqual([2, 2, 2, 3]);
    expect(out[0]![0]!.label).toBe('red');
    // logits [4, 0, 0] → softmax by hand
    const e4 = Math.exp(4);
    expect(out[0]![0]!.score).toBeCloseTo(e4 / (e4 + 2), 6);
    expect(out[0]![1]).toMatchObject({ index: 1, label: 'green' }); // tie with blue → lower index
    expect(out[1]![0]!.label).toBe('blue');
  });

  it('runRows gives one row per image, in order, from one engine call', async () => {
    const session = fakeSession();
    const m = manifest('probabilities');
    const inputs = [solid(3, 0, 0), solid(0, 3, 0), solid(0, 0, 3)].map((image) => preprocess(image, m));
    expect(inputs[0]!.dims).toEqual([1, 2, 2, 3]);
    const rows = await runRows(session, inputs, 'y');
    expect(session.calls).toHaveLength(1);
    expect(rows.map((r) => Array.from(r))).toEqual([
      [12, 0, 0],
      [0, 12, 0],
      [0, 0, 12],
    ]);
    expect(await runRows(session, [], 'y')).toEqual([]);
  });

  it('postprocess does not softmax a probabilities output', () => {
    const row = new Float32Array([0.5, 0.2, 0.3]);
    expect(postprocess(row, manifest('probabilities'), 3).map((p) => p.score)).toEqual(
      [0.5, 0.3, 0.2].map(Math.fround),
    );
    expect(postprocess(row, manifest('probabilities'))).toHaveLength(3); // default top: min(5, classes)
  });

  it('rejects bad top and feature models', async () => {
    await expect(classify(fakeSession(), manifest(), [solid(1, 1, 1)], 4)).rejects.toThrow(/from 1 to 3/);
    expect(await classify(fakeSession(), manifest(), [])).toEqual([]);
    await expect(classify(fakeSession(), manifest('features'), [solid(1, 1, 1)])).rejects.toThrow(
      NetlensError,
    );
  });

  it('a missing or misshapen output is invalid_model_file, naming it', async () => {
    const missing = { ...fakeSession(), run: async () => ({}) };
    await expect(classify(missing, manifest(), [solid(1, 1, 1)])).rejects.toMatchObject({
      code: 'invalid_model_file',
      message: expect.stringMatching(/no output 'y'/),
    });
    const flat = {
      ...fakeSession(),
      run: async () => ({ y: { data: new Float32Array(3), dims: [3] } }),
    };
    await expect(classify(flat, manifest(), [solid(1, 1, 1), solid(2, 2, 2)])).rejects.toMatchObject({
      code: 'invalid_model_file',
    });
  });
});
