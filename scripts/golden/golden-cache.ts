/**
 * Test support for src/core/image: runs the committed Pillow scripts in this folder with Debian's
 * /usr/bin/python3 and caches their arrays under test/.cache/golden, keyed by script + input hash.
 * A missing Pillow or numpy makes the script (and so the test) fail — never skip.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(HERE, '..', '..');
export const SHARED_IMAGES = join(REPO_ROOT, '..', 'shared', 'data', 'images');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'image');
const CACHE = join(REPO_ROOT, 'test', '.cache', 'golden');
const PYTHON = '/usr/bin/python3';

export interface GoldenArray {
  case: string;
  width: number;
  height: number;
  channels: number;
  dtype: 'uint8' | 'float32';
  data: Uint8Array | Float32Array;
}

export interface GoldenSet {
  info: Record<string, unknown>;
  arrays: Map<string, GoldenArray>;
  get(name: string): GoldenArray;
}

export type GoldenScript = 'pil_reference.py' | 'pil_decode.py';

/**
 * Runs `script` for every input not cached yet (one Python process for all of them) and loads the results.
 * Returns one GoldenSet per input, in order.
 */
export function goldenFor(script: GoldenScript, inputs: readonly string[]): GoldenSet[] {
  const scriptPath = join(HERE, script);
  const scriptBytes = readFileSync(scriptPath);
  const dirs = inputs.map((input) => {
    const hash = createHash('sha256').update(scriptBytes).update(readFileSync(input)).digest('hex');
    return join(CACHE, script.replace(/\.py$/, ''), `${basename(input)}-${hash.slice(0, 16)}`);
  });
  const missing = dirs.flatMap((dir, i) => (existsSync(join(dir, 'index.json')) ? [] : [i]));
  if (missing.length > 0) {
    // Parallel test workers may generate the same entry: each writes a private folder, then renames it.
    const tmp = (i: number): string => `${dirs[i] as string}.tmp-${process.pid}`;
    const args = missing.flatMap((i) => [inputs[i] as string, tmp(i)]);
    try {
      execFileSync(PYTHON, [scriptPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      missing.forEach((i) => rmSync(tmp(i), { recursive: true, force: true }));
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(
        `${PYTHON} ${script} failed (Debian python3-pil and python3-numpy are required):\n${stderr}`,
        {
          cause: error,
        },
      );
    }
    for (const i of missing) {
      try {
        renameSync(tmp(i), dirs[i] as string);
      } catch {
        rmSync(tmp(i), { recursive: true, force: true }); // another worker got there first: same content
      }
    }
  }
  dirs.forEach((dir) => pruneStale(dir));
  return dirs.map((dir) => loadSet(dir));
}

/** Removes cache entries of the same input made by older versions of the script (or older inputs). */
function pruneStale(dir: string): void {
  const parent = dirname(dir);
  const name = basename(dir);
  const prefix = name.slice(0, name.lastIndexOf('-') + 1);
  for (const entry of readdirSync(parent)) {
    if (entry !== name && entry.startsWith(prefix) && /^[0-9a-f]{16}$/.test(entry.slice(prefix.length))) {
      rmSync(join(parent, entry), { recursive: true, force: true });
    }
  }
}

function loadSet(dir: string): GoldenSet {
  const info = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Record<string, unknown> & {
    cases: Omit<GoldenArray, 'data'>[];
  };
  const arrays = new Map<string, GoldenArray>();
  for (const entry of info.cases) {
    const bytes = readFileSync(join(dir, `${entry.case}.bin`));
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const data = entry.dtype === 'float32' ? new Float32Array(buffer) : new Uint8Array(buffer);
    arrays.set(entry.case, { ...entry, data });
  }
  return {
    info,
    arrays,
    get(name) {
      const found = arrays.get(name);
      if (!found) throw new Error(`golden case '${name}' missing in ${dir}`);
      return found;
    },
  };
}

export interface Difference {
  /** Values that differ. */
  count: number;
  maxAbsDiff: number;
  /** First differing index, -1 when equal. */
  first: number;
  summary: string;
}

/** Exact comparison with a summary for failure messages. Lengths must match. */
export function compareExact(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  label: string,
): Difference {
  if (actual.length !== expected.length) {
    return {
      count: Math.max(actual.length, expected.length),
      maxAbsDiff: Infinity,
      first: 0,
      summary: `${label}: length ${actual.length} ≠ expected ${expected.length}`,
    };
  }
  let count = 0;
  let maxAbsDiff = 0;
  let first = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!Object.is(a, e) && a !== e) {
      count++;
      if (first < 0) first = i;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a - e));
    }
  }
  const at = first < 0 ? '' : ` (first at ${first}: ${actual[first]} vs ${expected[first]})`;
  return {
    count,
    maxAbsDiff,
    first,
    summary: `${label}: ${count} of ${actual.length} values differ, max |diff| ${maxAbsDiff}${at}`,
  };
}
