import { NetlensError } from './errors.js';
import type { Manifest } from './manifest.js';

/** One ranked class: `index` into the model output, the label's id (e.g. a WordNet id) and name. */
export interface Prediction {
  readonly index: number;
  readonly id: string;
  readonly label: string;
  readonly score: number;
}

/** Keras' `decode_predictions` default. */
export const DEFAULT_TOP = 5;

/** The manifest facts decoding needs. */
export type DecodeSpec = Pick<Manifest, 'output' | 'labels'>;

/**
 * Numerically stable softmax over one row: exp(x − max) / Σ exp(x − max), summed in float64.
 * Returns a new array; the input is not modified.
 */
export function softmax(logits: ArrayLike<number>): Float32Array {
  const n = logits.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = logits[i] as number;
    if (Number.isNaN(v)) {
      throw new NetlensError('internal', `softmax: logit ${i} is NaN (the model produced an invalid output)`);
    }
    if (v > max) max = v;
  }
  const exps = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = logits[i] as number;
    // An infinite max would make x − max NaN: the infinite entries share the mass equally.
    const e = Number.isFinite(max) ? Math.exp(v - max) : v === max ? 1 : 0;
    exps[i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) out[i] = (exps[i] as number) / sum;
  return out;
}

/** Checks `top` against the number of classes; the error names the valid range. */
export function validateTop(top: unknown, classes: number): number {
  if (typeof top !== 'number' || !Number.isInteger(top) || top < 1 || top > classes) {
    throw new NetlensError(
      'invalid_argument',
      `'top' must be an integer from 1 to ${classes} (the model's class count); got ${String(top)}`,
      { details: { top, min: 1, max: classes } },
    );
  }
  return top;
}

/**
 * The k highest scores, highest first; equal scores keep the lower index first (deterministic).
 * O(n·k) with a small sorted buffer — k is tiny next to the class count.
 */
export function topK(scores: ArrayLike<number>, k: number): { index: number; score: number }[] {
  validateTop(k, scores.length);
  const best: { index: number; score: number }[] = [];
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i] as number;
    if (best.length === k && !(score > (best[k - 1] as { score: number }).score)) continue;
    // Insert after every entry with a score >= this one: ties stay in index order.
    let at = best.length;
    while (at > 0 && (best[at - 1] as { score: number }).score < score) at--;
    best.splice(at, 0, { index: i, score });
    if (best.length > k) best.pop();
  }
  return best;
}

/**
 * One image's class probabilities from its output row: softmax when the manifest says the model ends in
 * logits, the row itself otherwise. The row must have exactly one value per class.
 */
export function probabilities(row: Float32Array, spec: Pick<Manifest, 'output'>): Float32Array {
  classesOf(row, spec);
  return spec.output.kind === 'logits' ? softmax(row) : row;
}

/**
 * Keras' `decode_predictions` for one image: the top-k `{index, id, label, score}` of its output row
 * (softmax first when the manifest says the output is logits).
 */
export function predictions(row: Float32Array, spec: DecodeSpec, top: number): Prediction[] {
  validateTop(top, classesOf(row, spec));
  return topK(probabilities(row, spec), top).map(({ index, score }) => {
    const entry = spec.labels[index];
    return { index, id: entry?.id ?? String(index), label: entry?.label ?? String(index), score };
  });
}

/** A score as the Keras tutorial prints it: 0.94484 → "94.48%". */
export function formatPercent(score: number): string {
  return `${(score * 100).toFixed(2)}%`;
}

/** One image's predictions as the Keras tutorial prints them: "1. beagle: 94.48%" per line. */
export function formatKeras(predictions: readonly Prediction[]): string {
  return predictions.map((p, i) => `${i + 1}. ${p.label}: ${formatPercent(p.score)}`).join('\n');
}

function classesOf(row: Float32Array, spec: Pick<Manifest, 'output'>): number {
  if (spec.output.kind === 'features') {
    throw new NetlensError(
      'invalid_argument',
      `this model outputs features (${spec.output.size} values), not class scores: use it for embeddings`,
    );
  }
  if (row.length !== spec.output.size) {
    throw new NetlensError(
      'internal',
      `model output row has ${row.length} values but the manifest says ${spec.output.size} classes per image`,
      { details: { values: row.length, classes: spec.output.size } },
    );
  }
  return spec.output.size;
}
