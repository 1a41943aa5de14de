import * as ort from 'onnxruntime-node';
import { version as tfVersion } from '@tensorflow/tfjs';
import { NetlensError } from '../../core/errors.js';
import type { Float32Tensor } from '../../core/engine.js';
import type { KerasModelSpec } from '../keras/types.js';
import { tfjsBackend } from './tfjs-backend.js';
import { buildTfjsReference, runTfjs } from './tfjs-reference.js';

export const DEFAULT_TOLERANCE = 1e-4;

export interface VerificationResult {
  reference: string;
  maxAbsDiff: number;
  /** Fraction of samples whose argmax agrees (1 = all). */
  top1Agreement: number;
  /** Fraction of samples whose top-5 index sets agree, in order. */
  top5Agreement: number;
  samples: number;
  tolerance: number;
  passed: boolean;
}

export interface VerifyOptions {
  /** The Keras layer whose output the ONNX model produces (cut models). */
  outputLayer?: string;
  /** The ONNX model is the Keras model without its final softmax (logits): softmax it before comparing. */
  softmaxStripped?: boolean;
  /** The ONNX model appends a softmax the Keras model lacks: softmax the reference before comparing. */
  softmaxAdded?: boolean;
  tolerance?: number;
  /** Throw NetlensError when maxAbsDiff exceeds the tolerance (default true). */
  failAboveTolerance?: boolean;
}

function topK(values: Float32Array, offset: number, size: number, k: number): number[] {
  const idx = Array.from({ length: size }, (_, i) => i);
  idx.sort((a, b) => (values[offset + b] as number) - (values[offset + a] as number) || a - b);
  return idx.slice(0, k);
}

function softmaxRows(values: Float32Array, size: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < values.length / size; r++) {
    let max = -Infinity;
    for (let i = 0; i < size; i++) max = Math.max(max, values[r * size + i] as number);
    let sum = 0;
    for (let i = 0; i < size; i++) sum += Math.exp((values[r * size + i] as number) - max);
    for (let i = 0; i < size; i++) out[r * size + i] = Math.exp((values[r * size + i] as number) - max) / sum;
  }
  return out;
}

/** Random NHWC inputs in [lo, hi) from a seeded generator (mulberry32), for verification. */
export function randomInputs(
  count: number,
  dims: readonly number[],
  seed = 1,
  lo = -1,
  hi = 1,
): Float32Tensor[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const size = dims.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => ({
    dims: [1, ...dims],
    data: Float32Array.from({ length: size }, () => lo + (hi - lo) * next()),
  }));
}

/**
 * Runs the ONNX model (onnxruntime-node) and the TF.js reference built from the same Keras config and
 * weights on the same inputs, and compares outputs element by element.
 */
export async function verifyAgainstTfjs(
  spec: KerasModelSpec,
  /** The ONNX model: its bytes or a file path. */
  onnx: Uint8Array | string,
  inputs: readonly Float32Tensor[],
  options: VerifyOptions = {},
): Promise<VerificationResult> {
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const backend = await tfjsBackend();
  const reference = await buildTfjsReference(spec, options.outputLayer);
  const session =
    typeof onnx === 'string'
      ? await ort.InferenceSession.create(onnx, { graphOptimizationLevel: 'all' })
      : await ort.InferenceSession.create(onnx, { graphOptimizationLevel: 'all' });
  let maxAbsDiff = 0;
  let top1 = 0;
  let top5 = 0;
  try {
    for (const input of inputs) {
      const feeds = {
        [session.inputNames[0] as string]: new ort.Tensor('float32', input.data, [...input.dims]),
      };
      const result = await session.run(feeds);
      const onnxTensor = result[session.outputNames[0] as string] as ort.Tensor;
      let onnxOut = onnxTensor.data as Float32Array;
      const ref = runTfjs(reference, input.data, input.dims);
      let refOut = ref.data;
      const refShape = ref.dims.slice(1).join(', ');
      const onnxShape = onnxTensor.dims.slice(1).join(', ');
      if (onnxOut.length !== refOut.length || refShape !== onnxShape) {
        throw new NetlensError(
          'internal',
          `verification: the ONNX output has shape [batch, ${onnxShape}], TF.js [batch, ${refShape}]`,
        );
      }
      const rowSize = refOut.length / (input.dims[0] ?? 1);
      if (options.softmaxStripped === true) onnxOut = softmaxRows(onnxOut, rowSize);
      if (options.softmaxAdded === true) refOut = softmaxRows(refOut, rowSize);
      for (let i = 0; i < refOut.length; i++) {
        const d = Math.abs((onnxOut[i] as number) - (refOut[i] as number));
        if (!(d <= maxAbsDiff)) maxAbsDiff = Number.isNaN(d) ? Infinity : d;
      }
      const k = Math.min(5, rowSize);
      const a = topK(onnxOut, 0, rowSize, k);
      const b = topK(refOut, 0, rowSize, k);
      if (a[0] === b[0]) top1 += 1;
      if (a.join() === b.join()) top5 += 1;
    }
  } finally {
    await session.release();
    reference.dispose();
  }
  const verification: VerificationResult = {
    reference: `tfjs-layers ${tfVersion.tfjs} (${backend})`,
    maxAbsDiff,
    top1Agreement: inputs.length ? top1 / inputs.length : 0,
    top5Agreement: inputs.length ? top5 / inputs.length : 0,
    samples: inputs.length,
    tolerance,
    passed: maxAbsDiff <= tolerance,
  };
  if (!verification.passed && options.failAboveTolerance !== false) {
    throw new NetlensError(
      'integrity_error',
      `verification failed for ${spec.source}: the ONNX output differs from the TF.js reference by up to ` +
        `${maxAbsDiff.toExponential(3)} (tolerance ${tolerance}); top-1 agreement ${(verification.top1Agreement * 100).toFixed(1)}% ` +
        `over ${inputs.length} inputs`,
      { details: { ...verification } },
    );
  }
  return verification;
}
