import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

const SCRIPT = path.resolve(import.meta.dirname, '../scripts/convert/make-test-files.py');

/**
 * Generates (once per script version) the small Keras HDF5 fixtures into test/.cache; returns the folder.
 * Written to a private folder and renamed into place, so parallel test files never see half a set.
 */
export function convertFixtures(): string {
  const hash = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex').slice(0, 12);
  const dir = path.resolve(import.meta.dirname, `.cache/convert-fixtures-${hash}`);
  if (existsSync(dir)) return dir;
  const temp = `${dir}.tmp-${process.pid}`;
  mkdirSync(path.dirname(dir), { recursive: true });
  execFileSync('/usr/bin/python3', [SCRIPT, temp], { stdio: 'inherit' });
  try {
    renameSync(temp, dir);
  } catch (error) {
    // Another test process finished first: use its copy.
    rmSync(temp, { recursive: true, force: true });
    if (!existsSync(dir)) throw error;
  }
  return dir;
}
