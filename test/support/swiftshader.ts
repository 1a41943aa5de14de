import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';

/** The Vulkan driver Debian's chromium package ships: WebGPU on a CPU-only host (CI installs it). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const root = join(import.meta.dirname, '../..');

/**
 * Runs `test/<child>` in its own Node process on SwiftShader (VK_ICD_FILENAMES must not leak into other
 * tests) and returns the JSON object on the last line of its output. A missing driver fails the test.
 */
export async function runOnSwiftShader<T>(child: string, timeoutMs: number): Promise<T> {
  expect(existsSync(SWIFTSHADER_ICD), `${SWIFTSHADER_ICD} missing: apt-get install chromium libvulkan1`).toBe(
    true,
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(root, 'test', child)],
    { cwd: root, env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD }, timeout: timeoutMs },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
}
