import { describe, expect, it } from 'vitest';
import { fallbackToTarget, meanKl, type Measured } from './fallback.js';

/**
 * A model whose nodes each cost some top-1 agreement and KL when int8: the variant's measure is 1 minus
 * the costs of the nodes left int8 (what the loop sees from a real model, without one).
 */
function additiveModel(costs: Record<string, { top1: number; kl: number }>) {
  const calls: string[][] = [];
  const evaluate = (floatNodes: readonly string[]): Promise<Measured> => {
    calls.push([...floatNodes]);
    let top1 = 1;
    let kl = 0;
    for (const [node, c] of Object.entries(costs)) {
      if (floatNodes.includes(node)) continue;
      top1 -= c.top1;
      kl += c.kl;
    }
    return Promise.resolve({ top1, kl, meanAbsDiff: kl / 10 });
  };
  const klGain = async (node: string): Promise<number> => {
    const all = await evaluate([]);
    return all.kl - (await evaluate([node])).kl;
  };
  return { evaluate, klGain, calls };
}

const COSTS = {
  a: { top1: 0.001, kl: 1e-4 },
  b: { top1: 0.02, kl: 5e-3 },
  c: { top1: 0.002, kl: 2e-4 },
  d: { top1: 0.01, kl: 1e-3 },
};

describe('fallbackToTarget', () => {
  it('measures once and keeps nothing float32 when the all-int8 variant reaches the target', async () => {
    const m = additiveModel(COSTS);
    const r = await fallbackToTarget({
      candidates: Object.keys(COSTS),
      target: 0.96,
      maxRounds: 4,
      evaluate: m.evaluate,
      klGain: m.klGain,
    });
    expect(r).toMatchObject({ floatNodes: [], reached: true, rounds: 0, trials: 1, ranking: [] });
    expect(r.before.top1).toBeCloseTo(0.967, 6);
    expect(m.calls).toEqual([[]]);
  });

  it('ranks by the KL gained keeping each node float32 alone, then keeps the most sensitive first and stops at the target', async () => {
    const m = additiveModel(COSTS);
    const progress: string[] = [];
    const r = await fallbackToTarget({
      candidates: Object.keys(COSTS),
      target: 0.99,
      maxRounds: 4,
      evaluate: m.evaluate,
      klGain: m.klGain,
      onProgress: (phase, done, total) => progress.push(`${phase} ${done}/${total}`),
    });
    expect(r.ranking.map((s) => s.node)).toEqual(['b', 'd', 'c', 'a']);
    expect(r.ranking[0]?.klGain).toBeCloseTo(5e-3, 9);
    // b alone: 0.987 < 0.99; b + d: 0.997 — stop there, a and c stay int8.
    expect(r).toMatchObject({ floatNodes: ['b', 'd'], reached: true, rounds: 2, trials: 1 + 4 + 2 });
    expect(r.after.top1).toBeCloseTo(0.997, 6);
    expect(m.calls.slice(9)).toEqual([['b'], ['b', 'd']]);
    expect(progress).toEqual([
      'sensitivity 1/4',
      'sensitivity 2/4',
      'sensitivity 3/4',
      'sensitivity 4/4',
      'fallback 1/4',
      'fallback 2/4',
    ]);
  });

  it('stops after maxRounds and keeps the best variant measured when the target is out of reach', async () => {
    const m = additiveModel(COSTS);
    const r = await fallbackToTarget({
      candidates: Object.keys(COSTS),
      target: 1,
      maxRounds: 2,
      evaluate: m.evaluate,
      klGain: m.klGain,
    });
    expect(r).toMatchObject({ floatNodes: ['b', 'd'], reached: false, rounds: 2, trials: 1 + 4 + 2 });
  });

  it('keeps nothing float32 when no fallback improves top-1', async () => {
    const r = await fallbackToTarget({
      candidates: ['x', 'y'],
      target: 0.99,
      maxRounds: 2,
      evaluate: (floatNodes) =>
        Promise.resolve({ top1: 0.95, kl: 1e-3 - floatNodes.length * 1e-4, meanAbsDiff: 0 }),
      klGain: () => Promise.resolve(1e-4),
    });
    expect(r).toMatchObject({ floatNodes: [], reached: false, rounds: 2, trials: 5 });
    expect(r.after).toEqual(r.before);
  });
});

describe('meanKl', () => {
  it('is KL(p ‖ q) averaged over rows, 0 for equal rows, finite when q rounds a class to 0', () => {
    const p = [Float32Array.of(0.5, 0.5), Float32Array.of(0.9, 0.1)];
    expect(meanKl(p, p)).toBe(0);
    const q = [Float32Array.of(0.25, 0.75), Float32Array.of(1, 0)];
    const expected =
      (0.5 * Math.log(0.5 / 0.25) +
        0.5 * Math.log(0.5 / 0.75) +
        0.9 * Math.log(0.9 / 1) +
        0.1 * Math.log(0.1 / 1e-12)) /
      2;
    expect(meanKl(p, q)).toBeCloseTo(expected, 5);
  });
});
