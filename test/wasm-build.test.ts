/**
 * The committed src/core/image/wasm/resample.wasm is what its C source builds to: rebuilt here with
 * scripts/build-wasm.sh (Debian's clang + lld, installed by scripts/install-system-deps.sh) and compared
 * byte for byte, so the binary every runtime loads never drifts from the reviewed source.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

it('resample.wasm is reproducibly built from resample.c', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlens-wasm-'));
  try {
    const out = join(dir, 'resample.wasm');
    execFileSync('bash', [join(ROOT, 'scripts/build-wasm.sh'), out], { cwd: ROOT, stdio: 'pipe' });
    const rebuilt = readFileSync(out);
    const committed = readFileSync(join(ROOT, 'src/core/image/wasm/resample.wasm'));
    expect(
      rebuilt.equals(committed),
      'resample.wasm differs from a fresh build of resample.c: run bash scripts/build-wasm.sh and commit',
    ).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
