import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NetlensError } from '../core/errors.js';

export interface ExpandedInputs {
  files: string[];
  /** True when a directory or several files were given: run as a batch with a progress bar. */
  batch: boolean;
}

/**
 * Files to classify from the command line: files as given, directories walked recursively in name order
 * (hidden entries skipped). Formats are sniffed from the bytes later, not from names, so every file in a
 * directory is tried and a non-image is reported as such.
 */
export async function expandInputs(paths: readonly string[]): Promise<ExpandedInputs> {
  const files: string[] = [];
  let sawDirectory = false;
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      // Reported per file later (not_found), so the rest of the batch still runs.
      files.push(path);
      continue;
    }
    if (info.isDirectory()) {
      sawDirectory = true;
      files.push(...(await walk(path)));
    } else {
      files.push(path);
    }
  }
  if (files.length === 0) {
    throw new NetlensError('invalid_argument', `no files to classify in ${paths.join(', ')}`);
  }
  return { files, batch: sawDirectory || files.length > 1 };
}

async function walk(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
