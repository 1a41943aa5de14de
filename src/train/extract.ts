import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Float32Tensor } from '../core/engine.js';
import { messageOf } from '../core/errors.js';
import type { ImageDecoder } from '../core/image-types.js';
import type { PipelineImage } from '../core/pipeline.js';
import type { FeatureCache } from './feature-cache.js';
import type { FeatureExtractor, ImageVariant } from './extractors.js';

/** One image and the variants of it whose rows are wanted. */
export interface ImageRequest {
  readonly file: string;
  readonly variants: readonly ImageVariant[];
}

/** An image's rows: rows[extractor index][variant]. */
export interface ImageRows {
  readonly sha256: string;
  readonly rows: Partial<Record<ImageVariant, Float32Array>>[];
}

export interface Skipped {
  readonly file: string;
  readonly error: string;
}

export interface ExtractProgress {
  done: number;
  total: number;
  /** Images whose rows all came from the cache so far. */
  cached: number;
}

export interface ExtractOptions {
  decodeImage: ImageDecoder;
  /** One cache per extractor, in the same order. */
  caches: readonly FeatureCache[];
  /** Images read and decoded together (default 16). */
  chunk?: number;
  onProgress?: (progress: ExtractProgress) => void;
}

export interface Extracted {
  readonly images: Map<string, ImageRows>;
  /** Unreadable or undecodable images: skipped and listed, never fatal. */
  readonly skipped: Skipped[];
  readonly cached: number;
}

interface Missing {
  extractor: number;
  variant: ImageVariant;
  input: Float32Tensor;
}

interface Prepared {
  request: ImageRequest;
  result?: ImageRows;
  missing: Missing[];
  error?: string;
}

/**
 * Rows for every requested image from every extractor: from the cache when there, otherwise through
 * the shared pipeline (the runtime's decoder → core preprocess → one runRows call per extractor and
 * chunk), cached as they are computed. The next chunk is read and decoded while one runs.
 */
export async function extractFeatures(
  requests: readonly ImageRequest[],
  extractors: readonly FeatureExtractor[],
  options: ExtractOptions,
): Promise<Extracted> {
  const size = options.chunk ?? 16;
  const chunks: ImageRequest[][] = [];
  for (let i = 0; i < requests.length; i += size) chunks.push(requests.slice(i, i + size));
  const out: Extracted = { images: new Map(), skipped: [], cached: 0 };
  const progress = { done: 0, total: requests.length, cached: 0 };
  const prepareChunk = (c: number) =>
    Promise.all((chunks[c] ?? []).map((r) => prepare(r, extractors, options)));
  let next = chunks.length > 0 ? prepareChunk(0) : undefined;
  try {
    for (let c = 0; c < chunks.length; c++) {
      const prepared = await next!;
      next = c + 1 < chunks.length ? prepareChunk(c + 1) : undefined;
      await computeMissing(prepared, extractors, options.caches);
      for (const item of prepared) {
        if (item.error !== undefined || item.result === undefined) {
          out.skipped.push({ file: item.request.file, error: item.error ?? 'no rows' });
        } else out.images.set(item.request.file, item.result);
        if (item.error === undefined && item.missing.length === 0) progress.cached++;
      }
      progress.done += prepared.length;
      options.onProgress?.({ ...progress });
    }
  } finally {
    // What was computed stays cached, also when a run fails or is interrupted part-way.
    for (const cache of options.caches) await cache.flush();
  }
  return { ...out, cached: progress.cached };
}

/** Reads and hashes one image, takes what the caches have, and preprocesses the rest. */
async function prepare(
  request: ImageRequest,
  extractors: readonly FeatureExtractor[],
  options: ExtractOptions,
): Promise<Prepared> {
  try {
    const bytes = new Uint8Array(readFileSync(request.file)); // small files, many: sync is cheaper
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const result: ImageRows = { sha256, rows: extractors.map(() => ({})) };
    const wanted: { extractor: number; variant: ImageVariant }[] = [];
    for (const [e, cache] of options.caches.entries()) {
      for (const variant of request.variants) {
        const row = cache.get(sha256, variant);
        if (row) result.rows[e]![variant] = row;
        else wanted.push({ extractor: e, variant });
      }
    }
    if (wanted.length === 0) return { request, result, missing: [] };
    const image: PipelineImage = { decoded: await options.decodeImage(bytes), bytes };
    const missing = wanted.map((w) => ({ ...w, input: extractors[w.extractor]!.input(image, w.variant) }));
    return { request, result, missing };
  } catch (error) {
    return { request, missing: [], error: messageOf(error) };
  }
}

/** One engine call per extractor for the chunk's missing rows; each row is cached. */
async function computeMissing(
  prepared: readonly Prepared[],
  extractors: readonly FeatureExtractor[],
  caches: readonly FeatureCache[],
): Promise<void> {
  for (const [e, extractor] of extractors.entries()) {
    const jobs = prepared.flatMap((item) =>
      item.missing.filter((m) => m.extractor === e).map((m) => ({ item, m })),
    );
    if (jobs.length === 0) continue;
    const rows = await extractor.run(jobs.map((j) => j.m.input));
    for (const [i, { item, m }] of jobs.entries()) {
      const row = rows[i]!;
      item.result!.rows[e]![m.variant] = row;
      await caches[e]!.put(item.result!.sha256, m.variant, row);
    }
  }
}
