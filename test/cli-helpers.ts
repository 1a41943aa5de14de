import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
export const PHOTOS = join(ROOT, '../shared/data/images');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/netlens.js …` as a user would, on the sources under test (NETLENS_FROM_SOURCE=1: bin
 * runs src/ through tsx; test/package.test.ts runs the built, packed package).
 */
export function netlens(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/netlens.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NETLENS_FROM_SOURCE: '1', NETLENS_PROVIDERS: '', NETLENS_MODEL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
