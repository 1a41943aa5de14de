import { describe, expect, it } from 'vitest';
import { runOnSwiftShader } from './support/swiftshader.js';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { buildTinyModel } from './node-engine-tiny-model.js';

/**
 * The WebGPU execution provider for real, on a CPU-only host: Dawn on the SwiftShader Vulkan driver that
 * Debian's chromium package ships (CI installs chromium + libvulkan1). In a child process so that the
 * driver choice (VK_ICD_FILENAMES) cannot leak into other tests.
 */
describe('onnxruntime-node WebGPU provider (SwiftShader)', () => {
  it('runs the tiny model on WebGPU with the CPU numbers and reports provider webgpu', async () => {
    const result = await runOnSwiftShader<{
      provider: string;
      fallbacks: unknown[];
      placement: Record<string, number>;
      input: number[];
      output: number[];
      dims: number[];
    }>('node-engine-webgpu.child.ts', 120_000);
    expect(result.provider).toBe('webgpu');
    expect(result.fallbacks).toEqual([]);
    // Node placement from the profiled warm-up: the compute nodes ran on WebGPU.
    expect(result.placement.WebGpuExecutionProvider).toBeGreaterThanOrEqual(4);
    expect(result.dims).toEqual([2, 3]);

    const model = buildTinyModel(8, 3);
    const cpu = await createNodeEngine({ providers: ['cpu'] }).createSession(model.bytes);
    const data = Float32Array.from(result.input);
    const expected = (await cpu.run({ data, dims: [2, 8, 8, 3] })).output!.data;
    await cpu.dispose();
    const maxDiff = Math.max(...result.output.map((v, i) => Math.abs(v - expected[i]!)));
    expect(maxDiff).toBeLessThanOrEqual(1e-5);
    const reference = model.reference(data, 2).flat();
    expect(Math.max(...result.output.map((v, i) => Math.abs(v - reference[i]!)))).toBeLessThanOrEqual(1e-5);
  });
});
