import { describe, expect, it } from 'vitest';
import { createClassifier } from './classify.js';
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
    data: new Uint8Array(Array.from({ length: 16 }, () => [r, g, b]).flat()),
  },
});

describe('createClassifier', () => {
  it('preprocesses, batches, runs once, softmaxes logits and decodes top-k', async () => {
    const session = fakeSession();
    const c = createClassifier({ manifest: manifest('logits'), session });
    const out = await c.classifyImages([solid(1, 0, 0), solid(0, 0, 2)], 2);
    expect(session.calls).toHaveLength(1);
    expect(session.calls[0]!.dims).toEqual([2, 2, 2, 3]);
    expect(out[0]![0]!.label).toBe('red');
    // logits [4, 0, 0] → softmax by hand
    const e4 = Math.exp(4);
    expect(out[0]![0]!.score).toBeCloseTo(e4 / (e4 + 2), 6);
    expect(out[0]![1]).toMatchObject({ index: 1, label: 'green' }); // tie with blue → lower index
    expect(out[1]![0]!.label).toBe('blue');
  });

  it('does not softmax a probabilities output', async () => {
    const c = createClassifier({ manifest: manifest('probabilities'), session: fakeSession() });
    const t = { data: new Float32Array(12).fill(0.25), dims: [1, 2, 2, 3] };
    const p = await c.predictProbabilities(t);
    expect(Array.from(p.data)).toEqual([1, 1, 1]);
  });

  it('rejects wrong batch shapes, bad top and feature models', async () => {
    const c = createClassifier({ manifest: manifest(), session: fakeSession() });
    await expect(c.classifyTensor({ data: new Float32Array(12), dims: [1, 3, 2, 2] })).rejects.toThrow(
      /\[n, 2, 2, 3\]/,
    );
    await expect(c.classifyImages([solid(1, 1, 1)], 4)).rejects.toThrow(/from 1 to 3/);
    expect(await c.classifyImages([])).toEqual([]);
    expect(() => createClassifier({ manifest: manifest('features'), session: fakeSession() })).toThrow(
      NetlensError,
    );
  });

  it('names the missing output', async () => {
    const session = { ...fakeSession(), run: async () => ({}) };
    const c = createClassifier({ manifest: manifest(), session });
    await expect(c.classifyImages([solid(1, 1, 1)])).rejects.toThrow(/no output 'y'/);
  });
});
