import { existsSync } from 'node:fs';
import path from 'node:path';
import { NetlensError } from '../core/errors.js';
import type { Training } from '../core/manifest.js';
import { EXIT } from '../cli/exit-codes.js';
import { type BaseModel, openBase } from './base.js';
import { type TrainingData, loadData } from './data.js';
import { TRAINER, exportModel } from './export.js';
import { type Extracted, extractFeatures } from './extract.js';
import { type FeatureExtractor, backboneExtractor, pixelExtractor } from './extractors.js';
import { openFeatureCache } from './feature-cache.js';
import { type Fit, fitHead, trainingBackend } from './fit.js';
import type { TrainOptions } from './options.js';
import { extractionBar } from './progress.js';
import { type TrainReport, epochLine, summaryText, writeReportFiles } from './report.js';
import { datasetSha256, featureSets, requireReadable } from './sets.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface Features {
  readonly extractors: FeatureExtractor[];
  readonly extracted: Extracted;
  readonly seconds: number;
}

/**
 * `netlens train <dir> --base <model>`: features of every image through the shared pipeline (cached),
 * a head trained with TF.js (and the raw-pixel baseline beside it), the report printed and written,
 * and one ONNX model (base features graph + head) with its manifest in the models directory.
 * Returns the exit status: 1 when some images were skipped, else 0.
 */
export async function runTrain(options: TrainOptions): Promise<number> {
  const data = await loadData(options);
  const base = await openBase(options);
  try {
    checkTarget(base, options);
    const backend = await trainingBackend();
    const features = await extractAll(data, base, options);
    requireReadable(data, features.extracted, options.minImages);
    const fits: Fit[] = [];
    for (const [i, extractor] of features.extractors.entries()) {
      fits.push(
        await fitOne(i === 0 ? 'backbone head' : 'raw-pixel baseline', extractor, i, data, features, options),
      );
    }
    const training = trainingRecord(options, base, data, features, fits, backend);
    const written = await exportModel({
      modelsDir: base.modelsDir,
      name: options.name,
      base: base.manifest,
      featuresBytes: base.featuresBytes,
      head: fits[0]!.trained.head,
      labels: data.dataset.labels,
      source: options.dir,
      training,
    });
    const report = reportOf(options, training, data, features, fits);
    const reportDir = options.reportDir ?? path.join(base.modelsDir, `${options.name}.report`);
    const files = await writeReportFiles(reportDir, report, fits, {
      model: written.onnxPath,
      manifest: written.manifestPath,
    });
    process.stdout.write(
      options.json ? `${JSON.stringify({ ...report, files }, null, 2)}\n` : summaryText({ ...report, files }),
    );
    log(
      `[INFO] model ${written.onnxPath} (+ ${path.basename(written.manifestPath)}); report ${files.report}, ${files.confusion}, ${files.curves}`,
    );
    log(
      `[INFO] try it: netlens classify -m ${options.name} --models-dir ${base.modelsDir} <image>; a running server picks it up with POST /v1/models/rescan`,
    );
    return features.extracted.skipped.length > 0 ? EXIT.inputFailed : EXIT.ok;
  } finally {
    await base.close();
  }
}

/** The new model's name must be free (or --force) and never the base model's own. */
function checkTarget(base: BaseModel, options: TrainOptions): void {
  if (options.name === base.manifest.name) {
    throw new NetlensError(
      'invalid_argument',
      `--name ${options.name} is the base model: choose another name`,
    );
  }
  if (!options.force && existsSync(path.join(base.modelsDir, `${options.name}.json`))) {
    throw new NetlensError(
      'invalid_argument',
      `model '${options.name}' already exists in ${base.modelsDir}; pass --force to replace it or choose another --name`,
      { details: { model: options.name } },
    );
  }
}

async function extractAll(data: TrainingData, base: BaseModel, options: TrainOptions): Promise<Features> {
  const extractors = [
    backboneExtractor(base.manifest, () => base.session()),
    ...(options.baselineSize > 0 ? [pixelExtractor(options.baselineSize)] : []),
  ];
  const cacheRoot = options.cacheDir ?? path.join(base.modelsDir, '.cache', 'features');
  const caches = extractors.map((e) => openFeatureCache(cacheRoot, e.key, e.size));
  const bar = extractionBar(options.progress);
  const started = performance.now();
  let extracted: Extracted;
  try {
    bar.update({ done: 0, total: data.requests.length, cached: 0 });
    extracted = await extractFeatures(data.requests, extractors, {
      decodeImage: base.decodeImage,
      caches,
      onProgress: (p) => bar.update(p),
    });
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  for (const s of extracted.skipped) log(`netlens: skipped ${s.file}: ${s.error}`);
  log(
    `[INFO] features of ${data.requests.length} images in ${seconds.toFixed(1)} s (${(data.requests.length / seconds).toFixed(1)} images/s, ` +
      `${extracted.cached} from the cache ${cacheRoot}; ${extracted.skipped.length} skipped) — ${extractors.map((e) => e.name).join(' and ')}`,
  );
  return { extractors, extracted, seconds };
}

async function fitOne(
  name: string,
  extractor: FeatureExtractor,
  index: number,
  data: TrainingData,
  features: Features,
  options: TrainOptions,
): Promise<Fit> {
  const sets = featureSets(data, features.extracted, index, extractor.size);
  log(
    `[INFO] training the ${name} on ${extractor.name}: ${sets.train.rows} training rows, ${sets.validation.rows} validation rows`,
  );
  const fit = await fitHead(name, extractor.name, sets, data.dataset.labels, options, (stats) =>
    log(epochLine(name, stats, options.epochs)),
  );
  log(
    `[INFO] ${name}: kept epoch ${fit.trained.bestEpoch} of ${fit.trained.history.length} (${fit.seconds.toFixed(1)} s)`,
  );
  return fit;
}

function trainingRecord(
  options: TrainOptions,
  base: BaseModel,
  data: TrainingData,
  features: Features,
  fits: readonly Fit[],
  backend: string,
): Training {
  const [head, baseline] = fits;
  const used = (images: readonly { file: string }[]) =>
    images.filter((i) => features.extracted.images.has(i.file)).length;
  return {
    trainer: TRAINER,
    base: {
      name: base.manifest.name,
      sha256: base.manifest.sha256.model,
      features: base.manifest.features!.sha256,
      featuresSize: base.manifest.features!.size,
    },
    dataset: {
      sha256: datasetSha256(data, features.extracted),
      source: path.resolve(options.dir),
      images: used(data.dataset.images),
      train: used(data.split.train),
      validation: used(data.split.validation),
      skipped: features.extracted.skipped.length,
    },
    head: {
      hidden: options.hidden,
      epochs: head!.trained.history.length,
      bestEpoch: head!.trained.bestEpoch,
      learningRate: options.learningRate,
      l2: options.l2,
      batchSize: options.batchSize,
      seed: options.seed,
      balance: options.balance,
      augment: [...options.augment],
      backend: `tfjs ${backend}`,
    },
    evaluation: head!.evaluation,
    ...(baseline && { baseline: { input: baseline.input, evaluation: baseline.evaluation } }),
  };
}

function reportOf(
  options: TrainOptions,
  training: Training,
  data: TrainingData,
  features: Features,
  fits: readonly Fit[],
): Omit<TrainReport, 'files'> {
  const images = data.requests.length;
  return {
    model: options.name,
    training,
    features: {
      images,
      fromCache: features.extracted.cached,
      seconds: features.seconds,
      imagesPerSecond: images / features.seconds,
    },
    skipped: features.extracted.skipped,
    ignored: data.dataset.ignored,
    fits: fits.map((f) => ({
      name: f.name,
      input: f.input,
      bestEpoch: f.trained.bestEpoch,
      seconds: f.seconds,
      history: f.trained.history,
      evaluation: f.evaluation,
    })),
  };
}
