import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SCRIPT = path.resolve(import.meta.dirname, '../scripts/convert/make-test-files.py');

/** Generates (once per script version) the small Keras HDF5 fixtures into test/.cache; returns the folder. */
export function convertFixtures(): string {
  const hash = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex').slice(0, 12);
  const dir = path.resolve(import.meta.dirname, `.cache/convert-fixtures-${hash}`);
  if (!existsSync(path.join(dir, 'keras1.h5')))
    execFileSync('/usr/bin/python3', [SCRIPT, dir], { stdio: 'inherit' });
  return dir;
}
