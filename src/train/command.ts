import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AUGMENTATIONS, type Augmentation, TRAIN_DEFAULTS, type TrainOptions } from './options.js';

function number(flag: string, check: (n: number) => boolean, what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) {
      throw new InvalidArgumentError(`${flag} must be ${what}, got '${value}'`);
    }
    return n;
  };
}
const integer = (flag: string, min: number) =>
  number(flag, (n) => Number.isInteger(n) && n >= min, `an integer ≥ ${min}`);

function augmentations(value: string): Augmentation[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = items.filter((item) => !(AUGMENTATIONS as readonly string[]).includes(item));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown augmentation '${unknown.join(', ')}'; valid: ${AUGMENTATIONS.join(', ')}`,
    );
  }
  return items as Augmentation[];
}

/** A model name from the data set folder: "My Photos/" → "my-photos". */
export function defaultName(dir: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return name || 'trained';
}

/** The flags as commander hands them over. */
interface Flags {
  base: string;
  name?: string;
  test?: string;
  val: number;
  epochs: number;
  patience: number;
  lr: number;
  l2: number;
  hidden: number;
  batchSize: number;
  augment?: Augmentation[];
  balance?: boolean;
  seed: number;
  minImages: number;
  baselineSize: number;
  baseline: boolean;
  modelsDir?: string;
  cacheDir?: string;
  reportDir?: string;
  force?: boolean;
  providers?: string;
  threads?: number;
  json?: boolean;
  progress?: boolean;
}

export function trainOptions(dir: string, f: Flags): TrainOptions {
  return {
    dir,
    base: f.base,
    name: f.name ?? defaultName(dir),
    test: f.test,
    validation: f.val,
    epochs: f.epochs,
    learningRate: f.lr,
    l2: f.l2,
    hidden: f.hidden,
    batchSize: f.batchSize,
    patience: f.patience,
    augment: f.augment ?? [],
    balance: f.balance === true,
    seed: f.seed,
    minImages: f.minImages,
    baselineSize: f.baseline ? f.baselineSize : 0,
    modelsDir: f.modelsDir,
    cacheDir: f.cacheDir,
    reportDir: f.reportDir,
    force: f.force === true,
    providers: f.providers,
    threads: f.threads,
    progress: f.progress,
    json: f.json === true,
  };
}

/** `netlens train <dir> --base <model> …` (registered lazily by src/cli/main.ts). */
export function createTrainCommand(): Command {
  const d = TRAIN_DEFAULTS;
  return new Command('train')
    .description(
      "Train a classifier for your own labels on a model's features (<dir>/<label>/*.jpg), report its accuracy, and install it as a new model",
    )
    .argument('<dir>', 'the images: one folder per label (<dir>/<label>/*.{jpg,jpeg,png,webp})')
    .requiredOption(
      '-b, --base <model>',
      'the model whose features variant to train on, e.g. nsfw-mobilenet-v2',
    )
    .option('-n, --name <name>', "the new model's name (default: the folder's name)")
    .option(
      '--test <dir>',
      'held-out images in the same layout, to report accuracy on (default: the validation split)',
    )
    .option(
      '--val <fraction>',
      'share of each label held out for validation and early stopping',
      number('--val', (n) => n >= 0 && n < 1, 'from 0 to below 1'),
      d.validation,
    )
    .option('--epochs <n>', 'most epochs', integer('--epochs', 1), d.epochs)
    .option(
      '--patience <n>',
      'epochs without a better validation loss before stopping',
      integer('--patience', 1),
      d.patience,
    )
    .option(
      '--lr <rate>',
      'Adam learning rate',
      number('--lr', (n) => n > 0, 'a number > 0'),
      d.learningRate,
    )
    .option(
      '--l2 <factor>',
      'L2 penalty on the weights',
      number('--l2', (n) => n >= 0, 'a number ≥ 0'),
      d.l2,
    )
    .option(
      '--hidden <units>',
      'a hidden ReLU layer of this many units (0: softmax regression)',
      integer('--hidden', 0),
      d.hidden,
    )
    .option('--batch-size <n>', 'images per training step', integer('--batch-size', 1), d.batchSize)
    .option(
      '--augment <list>',
      `also train on transformed copies: ${AUGMENTATIONS.join(', ')}`,
      augmentations,
    )
    .option('--balance', 'weigh each label by its inverse frequency (for unbalanced data sets)')
    .option(
      '--seed <n>',
      'random seed: same seed and data → the same model, bit for bit',
      integer('--seed', 0),
      d.seed,
    )
    .option('--min-images <n>', 'fewest images a label may have', integer('--min-images', 2), d.minImages)
    .option(
      '--baseline-size <px>',
      "side of the raw-pixel baseline's images",
      integer('--baseline-size', 1),
      d.baselineSize,
    )
    .option('--no-baseline', 'do not train the raw-pixel baseline')
    .option(
      '--models-dir <dir>',
      'models directory: the base model, and where the new one is written (default: $NETLENS_MODELS_DIR or models/onnx)',
    )
    .option('--cache-dir <dir>', 'feature cache (default: <models dir>/.cache/features)')
    .option(
      '--report-dir <dir>',
      'where report.json and the SVG charts go (default: <models dir>/<name>.report)',
    )
    .option('--force', 'replace an existing model of the same name')
    .option(
      '--providers <list>',
      'execution providers for the features, e.g. cuda,cpu (default: $NETLENS_PROVIDERS or cpu)',
    )
    .option('--threads <n>', 'intra-op threads (default: all cores)', integer('--threads', 1))
    .option('--json', 'print the report as JSON')
    .addOption(new Option('--progress', 'always show the progress bar (default: when stderr is a terminal)'))
    .addOption(new Option('--no-progress', 'never show the progress bar'))
    .action(async (dir: string, flags: Flags) => {
      const { runTrain } = await import('./train.js');
      process.exitCode = await runTrain(trainOptions(dir, flags));
    });
}
