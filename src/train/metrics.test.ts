import { describe, expect, it } from 'vitest';
import { argmaxRows, evaluate } from './metrics.js';

describe('evaluate', () => {
  // Six images, three classes; predictions by argmax of each row.
  const probabilities = Float32Array.from(
    [
      [0.7, 0.2, 0.1], // true 0 → 0
      [0.1, 0.8, 0.1], // true 0 → 1
      [0.2, 0.5, 0.3], // true 1 → 1
      [0.3, 0.3, 0.4], // true 1 → 2
      [0.1, 0.1, 0.8], // true 2 → 2
      [0.6, 0.2, 0.2], // true 2 → 0
    ].flat(),
  );
  const labels = Int32Array.from([0, 0, 1, 1, 2, 2]);

  it('computes accuracy, per-class precision / recall / F1 and the confusion matrix', () => {
    const e = evaluate(probabilities, labels, ['a', 'b', 'c'], 'test');
    expect(e.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 1],
      [1, 0, 1],
    ]);
    expect(e.accuracy).toBeCloseTo(3 / 6, 12);
    // Every class: tp 1, predicted 2, support 2 → precision = recall = f1 = 0.5.
    for (const c of e.perClass) expect(c).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(e.macroF1).toBeCloseTo(0.5, 12);
    expect(e).toMatchObject({ split: 'test', images: 6 });
  });

  it('gives precision 0 to a class never predicted and leaves classes without images out of the macro F1', () => {
    const p = Float32Array.from([0.9, 0.1, 0, 0.8, 0.2, 0, 0.4, 0.6, 0]);
    const e = evaluate(p, Int32Array.from([0, 1, 1]), ['a', 'b', 'c'], 'validation');
    expect(e.perClass[0]).toMatchObject({ precision: 0.5, recall: 1, support: 1 });
    expect(e.perClass[0]!.f1).toBeCloseTo(2 / 3, 12);
    expect(e.perClass[1]).toMatchObject({ precision: 1, recall: 0.5, support: 2 });
    expect(e.perClass[2]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(e.macroF1).toBeCloseTo((2 / 3 + 2 / 3) / 2, 12);
  });

  it('breaks ties towards the first class', () => {
    expect(Array.from(argmaxRows(Float32Array.from([0.5, 0.5, 0.2, 0.2, 0.6, 0.6]), 3))).toEqual([0, 1]);
  });
});
