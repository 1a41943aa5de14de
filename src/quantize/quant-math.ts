import type { Range } from './calibrate.js';

/**
 * The arithmetic of ONNX QuantizeLinear: q = saturate(round_half_even(x / scale) + zero_point).
 * Activations are uint8 asymmetric (zero point where 0.0 falls); weights int8 symmetric over [−127, 127]
 * (zero point 0, so the u8×s8 dot products onnxruntime's kernels use never need a weight offset).
 */

export interface ActivationParams {
  scale: number;
  /** 0…255 */
  zeroPoint: number;
}

/** round-half-to-even, as ONNX QuantizeLinear rounds. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** uint8 parameters for a range that includes 0 (widened to include it when it does not). */
export function activationParams(range: Range): ActivationParams {
  const min = Math.min(0, range.min);
  const max = Math.max(0, range.max);
  if (max - min <= 0) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((max - min) / 255);
  const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(-min / scale)));
  return { scale, zeroPoint };
}

/** x → q → x', the value a float tensor takes after a QuantizeLinear/DequantizeLinear pair. */
export function fakeQuantize(x: number, p: ActivationParams): number {
  const q = Math.min(255, Math.max(0, roundHalfEven(x / p.scale) + p.zeroPoint));
  return (q - p.zeroPoint) * p.scale;
}

export interface QuantizedWeight {
  values: Int8Array;
  /** One scale per channel along `axis` (length 1 when per-tensor). */
  scales: Float32Array;
}

/**
 * Symmetric int8 quantization of a weight tensor, per channel along `axis` of `dims` or per tensor.
 * `minScales` (per channel) raises a scale where a bias would not fit int32 otherwise.
 */
export function quantizeWeight(
  data: Float32Array,
  dims: readonly number[],
  axis: number | undefined,
  minScales?: Float32Array,
): QuantizedWeight {
  const channels = axis === undefined ? 1 : (dims[axis] as number);
  const inner = axis === undefined ? 1 : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => (axis === undefined ? 0 : Math.floor(i / inner) % channels);
  const absMax = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) {
    const c = channelOf(i);
    absMax[c] = Math.max(absMax[c] as number, Math.abs(data[i] as number));
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = (absMax[c] as number) > 0 ? (absMax[c] as number) / 127 : 1;
    scales[c] = Math.max(s, minScales?.[c] ?? 0);
  }
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const q = roundHalfEven((data[i] as number) / (scales[channelOf(i)] as number));
    values[i] = Math.min(127, Math.max(-127, q));
  }
  return { values, scales };
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Weight scales below which `bias[c] / (inputScale × weightScale[c])` would overflow int32 (onnxruntime's
 * int8 kernels add the bias as int32): one per channel, or one for the whole tensor when `perTensor`.
 */
export function minWeightScalesForBias(
  bias: Float32Array,
  inputScale: number,
  perTensor: boolean,
): Float32Array {
  const need = (b: number): number => ((Math.abs(b) / inputScale) * 1.0001) / INT32_MAX;
  if (perTensor) return Float32Array.of(need(bias.reduce((m, b) => Math.max(m, Math.abs(b)), 0)));
  return Float32Array.from(bias, need);
}

/** int32 bias with scale inputScale × weightScale[c] (zero point 0), as QLinearConv / QGemm expect. */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): { values: Int32Array; scales: Float32Array } {
  const scales = new Float32Array(bias.length);
  const values = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const s = Math.fround(inputScale * (weightScales[weightScales.length === 1 ? 0 : c] as number));
    scales[c] = s;
    values[c] = Math.min(INT32_MAX, Math.max(-INT32_MAX, roundHalfEven((bias[c] as number) / s)));
  }
  return { values, scales };
}
