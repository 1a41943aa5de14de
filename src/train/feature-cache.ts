import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Feature rows on disk, keyed by the image's sha256 and variant, in one folder per extractor key (the
 * features model's sha256 and its preprocessing), so a second `netlens train` on the same images skips
 * decoding and inference.
 *
 * Rows are kept in pack files, `<root>/<extractor key>/<id>.pack`: a header ('NLF1', uint32 row size)
 * then records of [32-byte sha256][uint32 variant][size × float32], little-endian. A run writes the
 * rows it computed as a new pack (every `flushRows` rows and at the end), under a temporary name renamed
 * into place, so concurrent and interrupted runs never leave a partial pack; opening reads every pack
 * once (reading thousands of small files was most of a cached run's time). When a run knows more than
 * MAX_PACKS packs (those it read and wrote), it merges them into one and removes them; packs other runs
 * wrote meanwhile are left alone.
 */
export interface FeatureCache {
  readonly dir: string;
  get(imageSha256: string, variant: string): Float32Array | undefined;
  put(imageSha256: string, variant: string, row: Float32Array): Promise<void>;
  /** Writes the rows put since the last flush as a new pack. */
  flush(): Promise<void>;
}

const MAGIC = 0x3146_4c4e; // 'NLF1'
const HEADER = 8;
const MAX_PACKS = 16;
const VARIANTS = ['plain', 'flip'];

function recordBytes(size: number): number {
  return 36 + size * 4;
}

function readPack(file: string, size: number, into: Map<string, Float32Array>): void {
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const record = recordBytes(size);
  if (bytes.byteLength < HEADER || view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== size)
    return;
  if ((bytes.byteLength - HEADER) % record !== 0) return;
  // A copy aligned for Float32Array views (Buffer pools may start at any offset).
  const aligned = new Uint8Array(bytes.byteLength);
  aligned.set(bytes);
  for (let at = HEADER; at < aligned.byteLength; at += record) {
    const sha = Buffer.from(aligned.buffer, at, 32).toString('hex');
    const variant = VARIANTS[view.getUint32(at + 32, true)] ?? 'unknown';
    into.set(`${sha}-${variant}`, new Float32Array(aligned.buffer, at + 36, size));
  }
}

interface PackRecord {
  sha: string;
  variant: string;
  row: Float32Array;
}

function packBytes(rows: readonly PackRecord[], size: number): Uint8Array {
  const out = new Uint8Array(HEADER + rows.length * recordBytes(size));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, size, true);
  rows.forEach(({ sha, variant, row }, i) => {
    const at = HEADER + i * recordBytes(size);
    out.set(Buffer.from(sha, 'hex'), at);
    view.setUint32(at + 32, Math.max(0, VARIANTS.indexOf(variant)), true);
    out.set(new Uint8Array(row.buffer, row.byteOffset, row.byteLength), at + 36);
  });
  return out;
}

function packsIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.pack'))
      .sort();
  } catch {
    return [];
  }
}

export function openFeatureCache(
  root: string,
  extractorKey: string,
  size: number,
  flushRows = 2048,
): FeatureCache {
  const dir = join(root, extractorKey);
  const rows = new Map<string, Float32Array>();
  const known = packsIn(dir);
  for (const pack of known) {
    try {
      readPack(join(dir, pack), size, rows);
    } catch {
      // removed by a concurrent merge: its rows are in the merged pack, or recomputed
    }
  }
  let pending: PackRecord[] = [];
  let written = 0;

  async function writePack(records: readonly PackRecord[]): Promise<void> {
    const name = `${Date.now()}-${process.pid}-${written++}.pack`;
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `${name}.tmp`);
    await writeFile(temp, packBytes(records, size));
    await rename(temp, join(dir, name));
    known.push(name);
  }

  async function flush(): Promise<void> {
    if (pending.length === 0) return;
    const records = pending;
    pending = [];
    await writePack(records);
    if (known.length <= MAX_PACKS) return;
    const merged = known.splice(0);
    await writePack([...rows].map(([key, row]) => ({ sha: key.slice(0, 64), variant: key.slice(65), row })));
    await Promise.all(merged.map((f) => rm(join(dir, f), { force: true })));
  }

  return {
    dir,
    get: (sha, variant) => rows.get(`${sha}-${variant}`),
    async put(sha, variant, row) {
      rows.set(`${sha}-${variant}`, row);
      pending.push({ sha, variant, row });
      if (pending.length >= flushRows) await flush();
    },
    flush,
  };
}
