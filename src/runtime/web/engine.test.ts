import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web/wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from '../../convert/onnx/index.js';
import { NetlensError } from '../../core/errors.js';
import { createWebEngine } from './engine.js';
import { compileOrtWasm } from './node-wasm-modules.js';
import { precompiledInstantiations, usePrecompiledOrtWasm } from './precompiled-wasm.js';

/** NHWC [N,4,4,3] → 1×1 conv (3→5 channels) → global average pool → softmax over 5 classes. */
function tinyClassifier(): Uint8Array {
  const b = new OnnxGraphBuilder({ name: 'tiny-web', opset: 17 });
  b.addInput('input', ['N', 4, 4, 3]);
  const weights = new Float32Array(15).map((_, i) => ((i * 7) % 11) / 10 - 0.5);
  b.addInitializer('w', weights, [5, 3, 1, 1]);
  b.addInitializer('bias', new Float32Array([0.1, -0.2, 0.3, 0, 0.05]), [5]);
  b.addNode('Transpose', ['input'], ['nchw'], { perm: [0, 3, 1, 2] });
  b.addNode('Conv', ['nchw', 'w', 'bias'], ['conv']);
  b.addNode('GlobalAveragePool', ['conv'], ['pooled']);
  b.addNode('Flatten', ['pooled'], ['flat']);
  b.addNode('Softmax', ['flat'], ['probs'], { axis: 1 });
  b.addOutput('probs', ['N', 5]);
  return b.toBytes();
}

const input = {
  data: Float32Array.from({ length: 2 * 4 * 4 * 3 }, (_, i) => Math.sin(i) * 2),
  dims: [2, 4, 4, 3],
};

describe('createWebEngine (onnxruntime-web WASM in Node, precompiled module as in Workers)', () => {
  beforeAll(async () => {
    usePrecompiledOrtWasm(ortWeb, await compileOrtWasm());
  });

  it('is pinned to onnxruntime-web 1.30.0 and instantiates the precompiled module through the marker', async () => {
    // If an upgrade changes how ORT-web loads its WASM, this test fails: re-check precompiled-wasm.ts.
    expect(ortWeb.env.versions.web).toBe('1.30.0');
    const engine = createWebEngine({ ort: ortWeb });
    const session = await engine.createSession(tinyClassifier());
    expect(precompiledInstantiations()).toBe(1);
    expect(session.provider).toBe('wasm');
    expect(session.inputNames).toEqual(['input']);
    await session.dispose();
  });

  it('computes the same probabilities as onnxruntime-node (within 1e-6)', async () => {
    const model = tinyClassifier();
    const session = await createWebEngine({ ort: ortWeb }).createSession(model);
    const out = await session.run(input);
    const web = out.probs!;
    expect(web.dims).toEqual([2, 5]);

    const reference = await ortNode.InferenceSession.create(model);
    const ref = await reference.run({ input: new ortNode.Tensor('float32', input.data, input.dims) });
    const expected = ref.probs!.data as Float32Array;
    await reference.release();
    for (let i = 0; i < expected.length; i++) {
      expect(Math.abs(web.data[i]! - expected[i]!)).toBeLessThan(1e-6);
    }
    // Rows are probability distributions.
    expect(web.data.slice(0, 5).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    await session.dispose();
  });

  it('reports every provider that failed and never falls back silently', async () => {
    const engine = createWebEngine({ ort: ortWeb });
    // The WASM-only build has no WebGPU backend: 'webgpu' must fail and be recorded.
    const session = await engine.createSession(tinyClassifier(), { providers: ['webgpu', 'wasm'] });
    expect(session.provider).toBe('wasm');
    expect(session.fallbacks.map((f) => f.provider)).toEqual(['webgpu']);
    expect(session.fallbacks[0]!.error).toMatch(/webgpu/i);
    await session.dispose();

    const gpuOnly = engine.createSession(tinyClassifier(), {
      providers: ['webgpu', 'wasm'],
      requireGpu: true,
    });
    await expect(gpuOnly).rejects.toThrow(/no GPU execution provider could be created \(webgpu: /);
  });

  it('with requireGpu tries every GPU provider listed, never wasm, and webgpu when none is listed', async () => {
    const engine = createWebEngine({ ort: ortWeb });
    for (const providers of [['wasm', 'webgpu'], ['wasm']]) {
      const error = await engine
        .createSession(tinyClassifier(), { providers, requireGpu: true })
        .catch((e: unknown) => e);
      expect(error, providers.join(',')).toBeInstanceOf(NetlensError);
      const e = error as NetlensError;
      expect(e.code).toBe('provider_unavailable');
      expect(e.details).toMatchObject({ requireGpu: true });
      expect((e.details.tried as { provider: string }[]).map((t) => t.provider)).toEqual(['webgpu']);
    }
  });

  it('rejects unknown providers and outputs with the valid values', async () => {
    const engine = createWebEngine({ ort: ortWeb });
    await expect(engine.createSession(tinyClassifier(), { providers: ['cuda'] })).rejects.toThrow(
      /unknown 'cuda'; onnxruntime-web supports webgpu, wasm/,
    );
    const session = await engine.createSession(tinyClassifier());
    await expect(session.run(input, ['nope'])).rejects.toThrow(NetlensError);
    await expect(session.run(input, ['nope'])).rejects.toThrow(
      /outputs: unknown 'nope'; the model has probs/,
    );
    await session.dispose();
  });
});
