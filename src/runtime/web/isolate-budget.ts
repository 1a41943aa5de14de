import { NetlensError } from '../../core/errors.js';
import { mib } from '../../core/units.js';

/**
 * Memory facts for Cloudflare Workers. An isolate may use 128 MB (V8 heap + WebAssembly memories +
 * buffers); we keep a margin and budget 100 MiB. onnxruntime-web's WASM memory only grows, so the model
 * must fit with its session copy, activations and the WASM runtime itself.
 *
 * The isolate needs onnxruntime-web's WASM memory for the model plus OTHER_BYTES (codecs, JS heap).
 * build:worker measures the first exactly for each edge model (measure-ort-memory.ts: the Worker's own
 * low-memory loading and one run, in a fresh process) and the Worker uses that figure; without a
 * measurement, ORT_BASE + ORT_FACTOR × model bytes is the estimate (docs/edge.md).
 */
export const WORKER_ISOLATE_LIMIT_BYTES = 128 * 1024 * 1024;
export const EDGE_MEMORY_BUDGET_BYTES = 100 * 1024 * 1024;
/** Workers static assets: one file may be at most 25 MiB. */
export const WORKER_ASSET_FILE_LIMIT_BYTES = 25 * 1024 * 1024;
/** Workers Paid plan: compressed Worker bundle at most 10 MB (Free: 3 MB). */
export const WORKER_GZIP_LIMIT_BYTES = 10 * 1000 * 1000;

/**
 * ORT WASM memory with low-memory loading (low-memory.ts), measured in the Worker and in Node:
 * nsfw-mobilenet-v2 10.0 MiB → 40.0 MiB (2.4 × model + 16), its int8 variant 2.8 → 23.1 (2.5×),
 * nsfw-inception-v3-int8 21.6 → 48.0 (quantizer 0.4.0; 0.3.0: 57.6), ResNet50 int8 24.9 → 48.0 (1.3×), Xception int8 22.7 → 57.6
 * (1.8×). Memory grows in ~20% steps, so each figure is the step reached. The fallback factor is the
 * largest seen. (Before low-memory loading: 48.0 MiB for MobileNetV2, 3.2×; 76.5 for InceptionV3 int8.)
 */
export const ORT_FACTOR = 2.5;
export const ORT_BASE_BYTES = 16 * 1024 * 1024;
/**
 * The codecs' WASM memories (MozJPEG 16.1 MiB, libwebp 16.0 MiB, png 4.4 MiB, each only once that format
 * arrives), the JS heap and request buffers while classifying a photo within the pixel limit.
 */
export const OTHER_BYTES = 44 * 1024 * 1024;

/** Isolate memory for a model: its measured ORT WASM memory when known, else the size-based estimate. */
export function estimateIsolateBytes(modelBytes: number, measuredOrtBytes?: number): number {
  return (measuredOrtBytes ?? ORT_BASE_BYTES + ORT_FACTOR * modelBytes) + OTHER_BYTES;
}

/** The largest model file whose estimate fits the budget. */
export function maxEdgeModelBytes(budget = EDGE_MEMORY_BUDGET_BYTES): number {
  return Math.max(0, Math.floor((budget - ORT_BASE_BYTES - OTHER_BYTES) / ORT_FACTOR));
}

/** Throws a clear error (at build or start-up time) when a model cannot fit an isolate. */
export function assertFitsIsolate(
  name: string,
  modelBytes: number,
  budget = EDGE_MEMORY_BUDGET_BYTES,
  measuredOrtBytes?: number,
): void {
  const estimate = estimateIsolateBytes(modelBytes, measuredOrtBytes);
  if (estimate > budget) {
    throw new NetlensError(
      'model_not_ready',
      `model '${name}' (${mib(modelBytes)}) needs about ${mib(estimate)} of isolate memory, over the ${mib(budget)} budget (Workers allow 128 MB${measuredOrtBytes === undefined ? '' : `; onnxruntime-web measured at ${mib(measuredOrtBytes)} of it`}); the largest model that fits is ${mib(maxEdgeModelBytes(budget))} — use a smaller or int8-quantized model`,
      {
        details: {
          model: name,
          modelBytes,
          estimatedBytes: estimate,
          budgetBytes: budget,
          ...(measuredOrtBytes === undefined ? {} : { measuredOrtBytes }),
        },
      },
    );
  }
}
