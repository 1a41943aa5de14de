/**
 * Accuracy-aware mixed precision: keep in float32 the nodes whose int8 quantization hurts most, until the
 * variant's top-1 agreement with float32 on the validation inputs reaches the target — the op-wise
 * fallback of accuracy-aware tuners (Intel Neural Compressor's "fallback" strategy):
 *
 * 1. measure the all-int8 variant; done when it reaches the target;
 * 2. rank every candidate node by its sensitivity: how much the mean KL divergence KL(float32 ‖ variant)
 *    falls when only that node is kept float32 (one trial per candidate; the caller may measure it on the
 *    validation inputs the all-int8 variant gets most wrong, which is cheaper on large models);
 * 3. keep the most sensitive nodes float32 one more per round, re-measuring each time, until the target is
 *    reached or `maxRounds` rounds have run.
 *
 * Top-1 agreement decides when to stop (it is what the target is about); the KL divergence ranks, because
 * it moves with every input's probabilities where top-1 only moves on near-ties. When the target is not
 * reached, the variant with the best validation top-1 is chosen (the fewest float nodes among equals),
 * and the all-int8 one when keeping nodes float did not improve on it.
 */
export interface Measured {
  top1: number;
  /** Mean KL(float32 ‖ variant) over the validation inputs, in nats. */
  kl: number;
  meanAbsDiff: number;
}

export interface FallbackOptions {
  /** Nodes that may be kept float32 (the integer ops of the all-int8 plan). */
  candidates: readonly string[];
  /** Top-1 agreement to reach on the validation inputs (0–1). */
  target: number;
  /** At most this many rounds (= nodes kept float32) after the ranking. */
  maxRounds: number;
  /** Builds the variant with `floatNodes` kept float32 and measures it on the validation inputs. */
  evaluate: (floatNodes: readonly string[]) => Promise<Measured>;
  /** How much the KL divergence falls when only `node` is kept float32 (positive when that helps). */
  klGain: (node: string) => Promise<number>;
  onProgress?: (phase: 'sensitivity' | 'fallback', done: number, total: number) => void;
}

export interface Sensitivity {
  node: string;
  /** KL(all int8) − KL(this node float32): positive when keeping it float32 helps. */
  klGain: number;
}

export interface FallbackResult {
  /** The nodes kept float32, most sensitive first (empty when none were needed or none helped). */
  floatNodes: string[];
  reached: boolean;
  /** The all-int8 variant and the chosen one, on the validation inputs. */
  before: Measured;
  after: Measured;
  /** Candidates by sensitivity, most sensitive first (empty when the all-int8 variant reached the target). */
  ranking: Sensitivity[];
  rounds: number;
  /** Variants built and measured, the all-int8 one included. */
  trials: number;
}

export async function fallbackToTarget(options: FallbackOptions): Promise<FallbackResult> {
  const before = await options.evaluate([]);
  let trials = 1;
  if (before.top1 >= options.target || options.candidates.length === 0 || options.maxRounds === 0) {
    const reached = before.top1 >= options.target;
    return { floatNodes: [], reached, before, after: before, ranking: [], rounds: 0, trials };
  }
  const ranking: Sensitivity[] = [];
  for (const [i, node] of options.candidates.entries()) {
    ranking.push({ node, klGain: await options.klGain(node) });
    trials += 1;
    options.onProgress?.('sensitivity', i + 1, options.candidates.length);
  }
  ranking.sort((a, b) => b.klGain - a.klGain);
  const rounds = Math.min(options.maxRounds, ranking.length);
  let best = { floatNodes: [] as string[], measured: before };
  for (let round = 1; round <= rounds; round++) {
    const floatNodes = ranking.slice(0, round).map((s) => s.node);
    const measured = await options.evaluate(floatNodes);
    trials += 1;
    options.onProgress?.('fallback', round, rounds);
    if (measured.top1 > best.measured.top1) best = { floatNodes, measured };
    if (measured.top1 >= options.target) {
      return { floatNodes, reached: true, before, after: measured, ranking, rounds: round, trials };
    }
  }
  return {
    floatNodes: best.floatNodes,
    reached: false,
    before,
    after: best.measured,
    ranking,
    rounds,
    trials,
  };
}

/** Mean KL(p ‖ q) over rows of probabilities (each clamped at 1e-12 so a rounded-to-0 class stays finite). */
export function meanKl(reference: readonly Float32Array[], candidate: readonly Float32Array[]): number {
  let sum = 0;
  for (const [i, p] of reference.entries()) {
    const q = candidate[i] as Float32Array;
    for (let j = 0; j < p.length; j++) {
      const pj = Math.max(p[j] as number, 1e-12);
      sum += pj * Math.log(pj / Math.max(q[j] as number, 1e-12));
    }
  }
  return reference.length > 0 ? sum / reference.length : 0;
}
