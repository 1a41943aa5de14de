import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildSmallCnn, runModel, smallCnnInputs } from './support/quantize-graphs.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const root = join(import.meta.dirname, '..');

/**
 * A float16 variant on the WebGPU provider (what fp16 is for), on this CPU-only host's SwiftShader adapter:
 * it either runs within 1e-2 of float32, or — SwiftShader has no shader-f16 — netlens says exactly that
 * (provider_unavailable naming the missing feature) instead of falling back silently.
 */
describe('fp16 variant on onnxruntime-node WebGPU (SwiftShader)', () => {
  it('runs within 1e-2 of float32, or fails with the adapter lacking float16 named', async () => {
    expect(
      existsSync(SWIFTSHADER_ICD),
      `${SWIFTSHADER_ICD} missing: apt-get install chromium libvulkan1`,
    ).toBe(true);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(root, 'test/quantize-fp16-webgpu.child.ts')],
      { cwd: root, env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD }, timeout: 180_000 },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      provider?: string;
      output?: number[];
      error?: { code: string; message: string };
    };
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
