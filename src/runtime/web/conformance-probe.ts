import { probabilities, topK } from '../../core/decode.js';
import type { EngineSession } from '../../core/engine.js';
import { toRgb } from '../../core/image/index.js';
import type { ImageDecoder } from '../../core/image-types.js';
import type { Manifest } from '../../core/manifest.js';
import { type PreprocessKernels, preprocess, runRows } from '../../core/pipeline.js';
import { sha256Hex } from '../../core/hash.js';

/**
 * What one runtime made of one image, for the cross-runtime conformance test: the decoded RGB (hash),
 * the model input tensor (hash), every class probability and the top 5. The same function runs in
 * Node (both engines), in workerd and in Chromium, so differences can only come from the decoder
 * or the engine.
 */
export interface ProbeResult {
  width: number;
  height: number;
  /** sha256 of the decoded image converted to RGB (PIL convert('RGB') semantics), before orientation. */
  rgbSha256: string;
  /** sha256 of the float32 input tensor fed to the model. */
  inputSha256: string;
  probabilities: number[];
  top5: { index: number; score: number }[];
  provider: string;
  decodeMs: number;
  inferenceMs: number;
}

export async function probeImage(
  bytes: Uint8Array,
  decodeImage: ImageDecoder,
  manifest: Manifest,
  session: EngineSession,
  kernels: PreprocessKernels = {},
): Promise<ProbeResult> {
  const t0 = performance.now();
  const decoded = await decodeImage(bytes);
  const decodeMs = performance.now() - t0;
  const rgb = toRgb(decoded);
  const input = preprocess({ decoded, bytes }, manifest, kernels);
  const t1 = performance.now();
  const [row] = await runRows(session, [input], manifest.output.name);
  const inferenceMs = performance.now() - t1;
  const scores = Array.from(probabilities(row!, manifest));
  const inputBytes = new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength);
  return {
    width: decoded.width,
    height: decoded.height,
    rgbSha256: await sha256Hex(new Uint8Array(rgb.data.buffer, rgb.data.byteOffset, rgb.data.byteLength)),
    inputSha256: await sha256Hex(inputBytes),
    probabilities: scores,
    top5: topK(scores, Math.min(5, scores.length)),
    provider: session.provider,
    decodeMs,
    inferenceMs,
  };
}
