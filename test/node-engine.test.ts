import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';
import { buildTinyModel } from './node-engine-tiny-model.js';

// No Vulkan driver in this process: the WebGPU provider must fail here (it is tested for real, with
// SwiftShader, in node-engine-webgpu.test.ts). Set before onnxruntime initialises Dawn.
process.env.VK_ICD_FILENAMES = '/nonexistent/netlens-no-vulkan.json';

const model = buildTinyModel(8, 3);
const input = (n: number): Float32Array =>
  Float32Array.from({ length: n * 8 * 8 * 3 }, (_, i) => Math.sin(i * 0.37) * 0.8 + 0.2);

function expectClose(actual: Float32Array, expected: number[][], tolerance: number): void {
  const flat = expected.flat();
  expect(actual.length).toBe(flat.length);
  const maxDiff = Math.max(...flat.map((v, i) => Math.abs(v - actual[i]!)));
  expect(maxDiff).toBeLessThan(tolerance);
}

describe('createNodeEngine (onnxruntime-node, CPU)', () => {
  const engine = createNodeEngine({ providers: ['cpu'] });

  it('runs the tiny model with the numbers of the hand computation, batch 1 and 3', async () => {
    const session = await engine.createSession(model.bytes);
    try {
      expect(session.provider).toBe('cpu');
      expect(session.fallbacks).toEqual([]);
      expect(session.inputNames).toEqual(['input']);
      expect(session.outputNames).toEqual(['output']);
      expect(session.warmUpMs).toBeGreaterThanOrEqual(0);
      for (const n of [1, 3]) {
        const data = input(n);
        const out = await session.run({ data, dims: [n, 8, 8, 3] });
        expect(out.output!.dims).toEqual([n, 3]);
        expectClose(out.output!.data, model.reference(data, n), 1e-6);
      }
      // A view into a larger buffer (as a batcher may pass) gives the same numbers.
      const padded = new Float32Array(7 + 192);
      padded.set(input(1), 7);
      const viewed = await session.run({ data: padded.subarray(7), dims: [1, 8, 8, 3] });
      expectClose(viewed.output!.data, model.reference(input(1), 1), 1e-6);
      // The reference is not trivially uniform: the classes really differ.
      const probs = model.reference(input(1), 1)[0]!;
      expect(Math.max(...probs) - Math.min(...probs)).toBeGreaterThan(0.05);
    } finally {
      await session.dispose();
    }
  });

  it('reports the engine name and rejects unknown output names', async () => {
    expect(engine.name).toMatch(/^onnxruntime-node 1\.30/);
    const session = await engine.createSession(model.bytes, { warmUp: false });
    expect(session.warmUpMs).toBeUndefined();
    await expect(session.run({ data: input(1), dims: [1, 8, 8, 3] }, ['nope'])).rejects.toThrow(
      /unknown 'nope'; the model has output/,
    );
    await session.dispose();
  });

  it('falls back from a provider that fails and records why (never silently)', async () => {
    const session = await engine.createSession(model.bytes, { providers: ['nonexistent', 'cpu'] });
    expect(session.provider).toBe('cpu');
    expect(session.fallbacks).toHaveLength(1);
    expect(session.fallbacks[0]!.provider).toBe('nonexistent');
    expect(session.fallbacks[0]!.error).toMatch(/nonexistent/);
    await session.dispose();
  });

  it('falls back from WebGPU without a usable adapter to the CPU and says so', async () => {
    const session = await engine.createSession(model.bytes, { providers: ['webgpu', 'cpu'] });
    expect(session.provider).toBe('cpu');
    expect(session.fallbacks.map((f) => f.provider)).toEqual(['webgpu']);
    await session.dispose();
  });

  it('requireGpu without a GPU fails loudly, listing every provider it tried', async () => {
    const error = await engine
      .createSession(model.bytes, { providers: ['cuda', 'webgpu', 'cpu'], requireGpu: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlensError);
    const e = error as NetlensError;
    expect(e.code).toBe('provider_unavailable');
    expect(e.message).toMatch(/requireGpu/);
    expect(e.message).toMatch(/cuda: /);
    expect(e.message).toMatch(/webgpu: /);
    expect((e.details.tried as { provider: string }[]).map((t) => t.provider)).toEqual(['cuda', 'webgpu']);
    // NETLENS_REQUIRE_GPU=1 with only 'cpu' configured tries the default GPU providers instead.
    const { settings } = readNodeSettings({ NETLENS_REQUIRE_GPU: '1', NETLENS_PROVIDERS: 'cpu' });
    const fromSettings = createNodeEngine(settings);
    await expect(fromSettings.createSession(model.bytes)).rejects.toThrow(/cuda: .*webgpu: /);
  });

  it('tries the providers NETLENS_PROVIDERS names, in order', async () => {
    const { settings } = readNodeSettings({ NETLENS_PROVIDERS: ' bogus , CPU ' });
    const fromSettings = createNodeEngine(settings);
    expect(fromSettings.defaultProviders).toEqual(['bogus', 'cpu']);
    const session = await fromSettings.createSession(model.bytes);
    expect(session.provider).toBe('cpu');
    expect(session.fallbacks[0]!.provider).toBe('bogus');
    await session.dispose();
    expect(() => readNodeSettings({ NETLENS_PROVIDERS: ' , ' })).toThrow(/NETLENS_PROVIDERS must be/);
  });

  it('verifies node placement from the profiled warm-up run', async () => {
    const session = await engine.createSession(model.bytes, { verifyPlacement: true });
    expect(session.placement).toBeDefined();
    expect(Object.keys(session.placement!)).toEqual(['CPUExecutionProvider']);
    expect(session.placement!.CPUExecutionProvider).toBeGreaterThanOrEqual(4);
    await session.dispose();
  });

  it('rejects bytes that are not an ONNX model as invalid_model_file', async () => {
    const error = await engine.createSession(new Uint8Array([1, 2, 3, 4])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlensError);
    expect((error as NetlensError).code).toBe('invalid_model_file');
  });
});
