import * as tf from '@tensorflow/tfjs';
import type { Evaluation } from '../core/manifest.js';
import { tfjsBackend } from '../convert/verify/tfjs-backend.js';
import { type EpochStats, type HeadConfig, type TrainedHead, predictHead, trainHead } from './head.js';
import { evaluate } from './metrics.js';
import type { TrainOptions } from './options.js';
import type { FeatureSets } from './sets.js';

/** One head trained on one kind of features (the backbone's, or the raw-pixel baseline's) and scored. */
export interface Fit {
  /** 'backbone head' or 'raw-pixel baseline'. */
  readonly name: string;
  /** What the rows were: 'nsfw-mobilenet-v2 features (1280)'. */
  readonly input: string;
  readonly trained: TrainedHead;
  readonly evaluation: Evaluation;
  readonly seconds: number;
}

/** TF.js' WASM backend (XNNPACK; the CPU backend when it cannot load), quietly. */
export async function trainingBackend(): Promise<string> {
  tf.enableProdMode(); // no "install the node backend" banner, no debug checks
  return tfjsBackend();
}

/** scikit-learn's 'balanced' weights: rows / (classes × rows of the class). */
export function balancedWeights(labels: Int32Array, classes: number): Float32Array {
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) counts[label]!++;
  return Float32Array.from(counts, (n) => (n > 0 ? labels.length / (classes * n) : 0));
}

export async function fitHead(
  name: string,
  input: string,
  sets: FeatureSets,
  labels: readonly string[],
  options: TrainOptions,
  onEpoch: (stats: EpochStats) => void,
): Promise<Fit> {
  const started = performance.now();
  const config: HeadConfig = {
    classes: labels.length,
    hidden: options.hidden,
    epochs: options.epochs,
    learningRate: options.learningRate,
    l2: options.l2,
    batchSize: options.batchSize,
    seed: options.seed,
    patience: options.patience,
    classWeights: options.balance ? balancedWeights(sets.train.labels, labels.length) : undefined,
  };
  const trained = await trainHead(sets.train, sets.validation, config, onEpoch);
  const [rows, split] =
    sets.test.rows > 0 ? [sets.test, 'test' as const] : [sets.validation, 'validation' as const];
  const evaluation = evaluate(predictHead(trained.head, rows), rows.labels, labels, split);
  return { name, input, trained, evaluation, seconds: (performance.now() - started) / 1000 };
}
