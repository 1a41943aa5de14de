import { describe, expect, it } from 'vitest';
import { runOnSwiftShader } from './support/swiftshader.js';
import { buildSmallCnn, runModel, smallCnnInputs } from './support/quantize-graphs.js';

/**
 * A float16 variant on the WebGPU provider (what fp16 is for), on this CPU-only host's SwiftShader adapter:
 * it either runs within 1e-2 of float32, or — SwiftShader has no shader-f16 — netlens says exactly that
 * (provider_unavailable naming the missing feature) instead of falling back silently.
 */
describe('fp16 variant on onnxruntime-node WebGPU (SwiftShader)', () => {
  it('runs within 1e-2 of float32, or fails with the adapter lacking float16 named', async () => {
    const result = await runOnSwiftShader<{
      provider?: string;
      output?: number[];
      error?: { code: string; message: string };
    }>('quantize-fp16-webgpu.child.ts', 180_000);
    if (result.error) {
      expect(result.error.code).toBe('provider_unavailable');
      expect(result.error.message).toMatch(/webgpu: .*requires f16 but the device does not support it/);
      return;
    }
    expect(result.provider).toBe('webgpu');
    const [expected] = await runModel(buildSmallCnn(), smallCnnInputs(1, 21));
    expect(
      Math.max(...(result.output ?? []).map((v, i) => Math.abs(v - (expected?.[i] ?? NaN)))),
    ).toBeLessThan(1e-2);
  }, 200_000);
});
