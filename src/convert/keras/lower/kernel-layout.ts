import type { DeferredFloat32 } from '../../onnx/index.js';

/** Values per piece of a deferred transpose: 1 Mi floats (4 MB), whatever the kernel's size. */
const PIECE_VALUES = 1 << 20;

/**
 * Yields a transposed kernel in pieces of whole output channels: `fill(out, o0, o1)` writes channels
 * o0…o1-1 (`perChannel` values each) into `out`. One buffer is reused for every piece.
 */
function byOutputChannels(
  channels: number,
  perChannel: number,
  fill: (out: Float32Array, o0: number, o1: number) => void,
  pieceValues: number,
): DeferredFloat32 {
  const step = Math.max(1, Math.floor(pieceValues / Math.max(1, perChannel)));
  return {
    length: channels * perChannel,
    *pieces() {
      const buffer = new Float32Array(Math.min(channels, step) * perChannel);
      for (let o0 = 0; o0 < channels; o0 += step) {
        const o1 = Math.min(channels, o0 + step);
        const out = buffer.subarray(0, (o1 - o0) * perChannel);
        fill(out, o0, o1);
        yield out;
      }
    },
  };
}

/**
 * HWIO (Keras) → OIHW (ONNX), produced while the model is written: the transposed kernel never
 * exists whole, only one piece (≤ 4 MB) at a time.
 */
export function hwioToOihwDeferred(
  k: Float32Array,
  kh: number,
  kw: number,
  ci: number,
  co: number,
  pieceValues = PIECE_VALUES,
): DeferredFloat32 {
  return byOutputChannels(
    co,
    ci * kh * kw,
    (out, o0, o1) => {
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          for (let i = 0; i < ci; i++) {
            const src = ((y * kw + x) * ci + i) * co;
            for (let o = o0; o < o1; o++) out[(((o - o0) * ci + i) * kh + y) * kw + x] = k[src + o] as number;
          }
    },
    pieceValues,
  );
}

/**
 * Keras depthwise kernel [kh, kw, C, M] → ONNX grouped weight [C·M, 1, kh, kw] (output channel c·M + m),
 * produced while the model is written.
 */
export function depthwiseToOnnxDeferred(
  k: Float32Array,
  kh: number,
  kw: number,
  c: number,
  m: number,
  pieceValues = PIECE_VALUES,
): DeferredFloat32 {
  return byOutputChannels(
    c * m,
    kh * kw,
    (out, o0, o1) => {
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          for (let o = o0; o < o1; o++) {
            const ci = Math.floor(o / m);
            const mi = o - ci * m;
            out[((o - o0) * kh + y) * kw + x] = k[((y * kw + x) * c + ci) * m + mi] as number;
          }
    },
    pieceValues,
  );
}

/** All values of a deferred array in one Float32Array (for tests and callers that need the copy). */
export function collectDeferred(d: DeferredFloat32): Float32Array {
  const out = new Float32Array(d.length);
  let pos = 0;
  for (const piece of d.pieces()) {
    out.set(piece, pos);
    pos += piece.length;
  }
  return out;
}
