import type { Evaluation } from '../core/manifest.js';

/** Index of the largest value of each row (the first one on ties). */
export function argmaxRows(probabilities: Float32Array, classes: number): Int32Array {
  const rows = probabilities.length / classes;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probabilities[r * classes + c]! > probabilities[r * classes + best]!) best = c;
    }
    out[r] = best;
  }
  return out;
}

/**
 * Accuracy, per-class precision / recall / F1 and the confusion matrix (rows: true label, columns:
 * predicted), as scikit-learn's classification_report defines them: a class never predicted has
 * precision 0; the macro F1 averages the classes that have images in the evaluated set.
 */
export function evaluate(
  probabilities: Float32Array,
  labels: Int32Array,
  names: readonly string[],
  split: Evaluation['split'],
): Evaluation {
  const classes = names.length;
  const predicted = argmaxRows(probabilities, classes);
  const confusion = names.map(() => new Array<number>(classes).fill(0));
  labels.forEach((truth, i) => confusion[truth]![predicted[i]!]!++);
  const perClass = names.map((label, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((sum, row) => sum + row[c]!, 0);
    const precision = predictedCount > 0 ? tp / predictedCount : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  const present = perClass.filter((c) => c.support > 0);
  const hits = names.reduce((sum, _, c) => sum + confusion[c]![c]!, 0);
  return {
    split,
    images: labels.length,
    accuracy: labels.length > 0 ? hits / labels.length : 0,
    macroF1: present.length > 0 ? present.reduce((s, c) => s + c.f1, 0) / present.length : 0,
    perClass,
    confusion,
  };
}
