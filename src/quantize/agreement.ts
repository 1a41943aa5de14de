import { NetlensError } from '../core/errors.js';
import { topK } from '../core/decode.js';

/**
 * How closely a quantized model's probabilities follow the float model's on the same inputs:
 * top-1 agreement (same class first), top-5 overlap (shared classes among each model's top 5, or top k
 * for fewer classes, averaged), top-5 identical (same classes in the same order), and |Δp| over every
 * class of every input (max and mean).
 */
export interface Agreement {
  samples: number;
  top1: number;
  top5Overlap: number;
  top5Identical: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  /** Inputs whose top-1 class differs, by index. */
  disagreements: number[];
  /**
   * The largest reference top-1 − top-2 probability margin among the disagreements (0 when none): a
   * flip where the float32 model itself was nearly tied says little; one at a wide margin says a lot.
   */
  maxDisagreementMargin: number;
}

export function measureAgreement(
  reference: readonly Float32Array[],
  candidate: readonly Float32Array[],
  k = 5,
): Agreement {
  if (reference.length !== candidate.length || reference.length === 0) {
    throw new NetlensError(
      'internal',
      `agreement: ${reference.length} reference vs ${candidate.length} outputs`,
    );
  }
  let top1 = 0;
  let overlap = 0;
  let identical = 0;
  let maxAbsDiff = 0;
  let sumAbsDiff = 0;
  let values = 0;
  const disagreements: number[] = [];
  let maxDisagreementMargin = 0;
  for (const [i, ref] of reference.entries()) {
    const cand = candidate[i] as Float32Array;
    if (cand.length !== ref.length) throw new NetlensError('internal', `agreement: output ${i} sizes differ`);
    const kk = Math.min(k, ref.length);
    const a = topK(ref, kk).map((p) => p.index);
    const b = topK(cand, kk).map((p) => p.index);
    if (a[0] === b[0]) top1 += 1;
    else {
      disagreements.push(i);
      const [first, second] = topK(ref, 2);
      maxDisagreementMargin = Math.max(maxDisagreementMargin, (first?.score ?? 0) - (second?.score ?? 0));
    }
    overlap += a.filter((c) => b.includes(c)).length / kk;
    if (a.every((c, j) => b[j] === c)) identical += 1;
    for (let j = 0; j < ref.length; j++) {
      const d = Math.abs((ref[j] as number) - (cand[j] as number));
      if (d > maxAbsDiff) maxAbsDiff = d;
      sumAbsDiff += d;
    }
    values += ref.length;
  }
  const n = reference.length;
  return {
    samples: n,
    top1: top1 / n,
    top5Overlap: overlap / n,
    top5Identical: identical / n,
    maxAbsDiff,
    meanAbsDiff: sumAbsDiff / values,
    disagreements,
    maxDisagreementMargin,
  };
}

/** A fraction as the quantizer prints it: 0.9921875 → "99.2%". */
export function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
