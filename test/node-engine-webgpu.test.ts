import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { buildTinyModel } from './node-engine-tiny-model.js';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const root = join(import.meta.dirname, '..');

/**
 * The WebGPU execution provider for real, on a CPU-only host: Dawn on the SwiftShader Vulkan driver that
 * Debian's chromium package ships (CI installs chromium + libvulkan1). In a child process so that the
 * driver choice (VK_ICD_FILENAMES) cannot leak into other tests.
 */
describe('onnxruntime-node WebGPU provider (SwiftShader)', () => {
  it('runs the tiny model on WebGPU with the CPU numbers and reports provider webgpu', async () => {
    expect(
      existsSync(SWIFTSHADER_ICD),
      `${SWIFTSHADER_ICD} missing: apt-get install chromium libvulkan1`,
    ).toBe(true);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(root, 'test/node-engine-webgpu.child.ts')],
      { cwd: root, env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD }, timeout: 120_000 },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      provider: string;
      fallbacks: unknown[];
      placement: Record<string, number>;
      input: number[];
      output: number[];
      dims: number[];
    };
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
