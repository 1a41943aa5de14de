/** `netlens train`'s options after parsing (src/train/command.ts), with the defaults applied. */
export interface TrainOptions {
  /** The data set: `<dir>/<label>/<image>`. */
  readonly dir: string;
  /** The model whose features variant the head is trained on. */
  readonly base: string;
  /** The new model's name (files `<name>.onnx`, `<name>.json`). */
  readonly name: string;
  /** A held-out directory in the same layout, evaluated after training. */
  readonly test?: string | undefined;
  /** Fraction of each label's images held out for validation (early stopping). */
  readonly validation: number;
  readonly epochs: number;
  readonly learningRate: number;
  readonly l2: number;
  /** Units of a hidden ReLU layer; 0 = softmax regression. */
  readonly hidden: number;
  readonly batchSize: number;
  readonly patience: number;
  /** 'flip': the training images are also used mirrored left to right. */
  readonly augment: readonly Augmentation[];
  /** Weigh the loss by inverse class frequency. */
  readonly balance: boolean;
  readonly seed: number;
  /** Fewest images a label may have. */
  readonly minImages: number;
  /** Side of the raw-pixel baseline's images; 0 = no baseline. */
  readonly baselineSize: number;
  readonly modelsDir?: string | undefined;
  /** Feature cache (default `<models dir>/.cache/features`). */
  readonly cacheDir?: string | undefined;
  /** Report files (default `<models dir>/<name>.report`). */
  readonly reportDir?: string | undefined;
  /** Replace an existing model of the same name. */
  readonly force: boolean;
  readonly providers?: string | undefined;
  readonly threads?: number | undefined;
  /** Progress bar: undefined = when stderr is a terminal. */
  readonly progress?: boolean | undefined;
  /** Print the report as JSON on stdout. */
  readonly json: boolean;
}

export const AUGMENTATIONS = ['flip'] as const;
export type Augmentation = (typeof AUGMENTATIONS)[number];

export const TRAIN_DEFAULTS = {
  validation: 0.2,
  epochs: 100,
  learningRate: 1e-3,
  l2: 1e-3,
  hidden: 0,
  batchSize: 32,
  patience: 10,
  seed: 42,
  minImages: 5,
  baselineSize: 32,
} as const;
