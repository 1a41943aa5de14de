import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { convertKerasModel } from '../src/convert/keras/convert.js';
import type { ConversionResult, ConvertOptions, KerasModelSpec } from '../src/convert/keras/types.js';

const CONVERTER_DIR = path.resolve(import.meta.dirname, '../src/convert');
const CACHE_DIR = path.resolve(import.meta.dirname, '.cache/converted');

function converterHash(dir = CONVERTER_DIR, hash = createHash('sha256')): ReturnType<typeof createHash> {
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) converterHash(full, hash);
    else if (/\.(ts|mjs)$/.test(entry) && !entry.endsWith('.test.ts'))
      hash.update(entry).update(readFileSync(full));
  }
  return hash;
}

let codeHash: string | undefined;

/**
 * convertKerasModel with a cache in test/.cache/converted, keyed by the source file's sha256, the
 * options and a hash of the converter's own source (so a converter change never reuses stale output).
 * `spec` is read lazily: a cache hit does not read the Keras file at all.
 */
export async function convertCached(
  sourceSha256: string,
  readSpec: () => Promise<KerasModelSpec>,
  options: Omit<ConvertOptions, 'onProgress'>,
): Promise<Omit<ConversionResult, 'onnx'> & { onnxPath: string }> {
  codeHash ??= converterHash().digest('hex');
  const key = createHash('sha256')
    .update(sourceSha256)
    .update(JSON.stringify(options))
    .update(codeHash)
    .digest('hex')
    .slice(0, 24);
  const onnxPath = path.join(CACHE_DIR, `${key}.onnx`);
  const metaPath = path.join(CACHE_DIR, `${key}.json`);
  if (existsSync(onnxPath) && existsSync(metaPath)) {
    return { ...(JSON.parse(readFileSync(metaPath, 'utf8')) as Omit<ConversionResult, 'onnx'>), onnxPath };
  }
  const result = await convertKerasModel(await readSpec(), options);
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(`${onnxPath}.tmp-${process.pid}`, result.onnx);
  writeFileSync(
    `${metaPath}.tmp-${process.pid}`,
    JSON.stringify({ manifest: result.manifest, summary: result.summary }),
  );
  renameSync(`${onnxPath}.tmp-${process.pid}`, onnxPath);
  renameSync(`${metaPath}.tmp-${process.pid}`, metaPath);
  return { manifest: result.manifest, summary: result.summary, onnxPath };
}
