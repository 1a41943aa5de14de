import { NetlensError } from '../../core/errors.js';
import { mib } from '../../core/units.js';

/**
 * Memory facts for Cloudflare Workers. An isolate may use 128 MB (V8 heap + WebAssembly memories +
 * buffers); we keep a margin and budget 100 MiB. onnxruntime-web's WASM memory only grows, so the model
 * must fit with its session copy, activations and the WASM runtime itself.
 *
 * The estimate is calibrated by bench/edge.ts (numbers in docs/edge.md): ORT-web WASM memory after
 * loading and running a model ≈ ORT_FACTOR × model bytes + ORT_BASE, plus the codecs and the JS heap.
 */
export const WORKER_ISOLATE_LIMIT_BYTES = 128 * 1024 * 1024;
export const EDGE_MEMORY_BUDGET_BYTES = 100 * 1024 * 1024;
/** Workers static assets: one file may be at most 25 MiB. */
export const WORKER_ASSET_FILE_LIMIT_BYTES = 25 * 1024 * 1024;
/** Workers Paid plan: compressed Worker bundle at most 10 MB (Free: 3 MB). */
export const WORKER_GZIP_LIMIT_BYTES = 10 * 1000 * 1000;

/** Measured (bench/edge.ts): 48.0 MiB of ORT WASM memory for the 10.0 MiB MobileNetV2 = 16 MiB + 3.2 × model. */
export const ORT_FACTOR = 3.2;
export const ORT_BASE_BYTES = 16 * 1024 * 1024;
/**
 * The codecs' WASM memories (MozJPEG 16.1 MiB, libwebp 16.0 MiB, png 4.4 MiB, each only once that format
 * arrives), the JS heap and request buffers while classifying a photo within the pixel limit.
 */
export const OTHER_BYTES = 44 * 1024 * 1024;

export function estimateIsolateBytes(modelBytes: number): number {
  return ORT_BASE_BYTES + ORT_FACTOR * modelBytes + OTHER_BYTES;
}

/** The largest model file whose estimate fits the budget. */
export function maxEdgeModelBytes(budget = EDGE_MEMORY_BUDGET_BYTES): number {
  return Math.max(0, Math.floor((budget - ORT_BASE_BYTES - OTHER_BYTES) / ORT_FACTOR));
}

/** Throws a clear error (at build or start-up time) when a model cannot fit an isolate. */
export function assertFitsIsolate(name: string, modelBytes: number, budget = EDGE_MEMORY_BUDGET_BYTES): void {
  const estimate = estimateIsolateBytes(modelBytes);
  if (estimate > budget) {
    throw new NetlensError(
      'model_not_ready',
      `model '${name}' (${mib(modelBytes)}) needs about ${mib(estimate)} of isolate memory, over the ${mib(budget)} budget (Workers allow 128 MB); the largest model that fits is ${mib(maxEdgeModelBytes(budget))} — use a smaller or int8-quantized model`,
      { details: { model: name, modelBytes, estimatedBytes: estimate, budgetBytes: budget } },
    );
  }
}
