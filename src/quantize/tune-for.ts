import { TUNING_RUNTIMES } from '../core/manifest.js';
import type { PlanOptions } from './plan.js';

/**
 * The runtime an int8 variant is tuned for (`netlens quantize --tune-for`). The QDQ file runs on every
 * onnxruntime; what differs is which integer kernels are fast there, so this only moves the float32/int8
 * boundary (plan.ts):
 *
 * - `cpu` (default): onnxruntime's native CPU kernels (onnxruntime-node). Every supported op is integer.
 * - `wasm`: onnxruntime-web's WebAssembly build (the Worker, browsers without WebGPU). There, MLAS has no
 *   SIMD depthwise kernel for 8-bit data (`MlasConvDepthwiseKernel` in mlas/lib/qdwconv.cpp vectorises
 *   for SSE2, NEON and LSX only; wasm32 runs its scalar loop), and an 8-bit GEMM (qgemm_kernel_wasmsimd.cpp)
 *   pays per output for requantizing, which short dot products do not earn back. So Convs with dot
 *   products shorter than WASM_MIN_INTEGER_DEPTH (every depthwise Conv, 1×1 Convs on few channels) stay
 *   float32, and the integer Convs around them still write uint8 (quantizeConvOutputs) so that they stay
 *   QLinearConv: a float32 Conv between them reads a DequantizeLinear and writes a QuantizeLinear.
 *   See docs/quantize.md for the measurements.
 */
export { TUNING_RUNTIMES };
export type TuningRuntime = (typeof TUNING_RUNTIMES)[number];

/**
 * onnxruntime-web WASM: the shortest dot product (input channels per group × kernel size) worth an 8-bit
 * kernel. Measured per layer on nsfw-mobilenet-v2 (onnxruntime-web 1.30, 1 thread, profiler): 1×1 Convs on
 * 16–32 channels ran 0.66–0.91× float32 as QLinearConv, on 64 channels 1.16–1.35×, on 96 or more 1.4–3×;
 * depthwise 3×3 (9) 0.19–0.98×. Thresholds 10, 64 and 100 measured 1.20×, 1.29× and 1.23× float32's
 * speed for the whole model (33 and 64 give the same file).
 */
export const WASM_MIN_INTEGER_DEPTH = 64;

export function planOptionsFor(
  runtime: TuningRuntime,
): Pick<PlanOptions, 'minIntegerDepth' | 'quantizeConvOutputs'> {
  return runtime === 'wasm' ? { minIntegerDepth: WASM_MIN_INTEGER_DEPTH, quantizeConvOutputs: true } : {};
}
