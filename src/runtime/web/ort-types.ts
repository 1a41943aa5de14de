/**
 * The onnxruntime-web module is injected (never imported here as a value): Workers use the WASM-only
 * build `onnxruntime-web/wasm`, browsers the default build with WebGPU, Node either. They share one API.
 */
import type * as OrtWeb from 'onnxruntime-web';

export type OrtWebModule = Pick<typeof OrtWeb, 'InferenceSession' | 'Tensor' | 'env'>;
export type OrtInferenceSession = OrtWeb.InferenceSession;
