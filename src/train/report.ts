import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Evaluation, Training } from '../core/manifest.js';
import type { Skipped } from './extract.js';
import type { Fit } from './fit.js';
import type { EpochStats } from './head.js';
import { confusionSvg, curvesSvg } from './svg.js';

/** Everything one `netlens train` run did, as written to report.json. */
export interface TrainReport {
  readonly model: string;
  readonly training: Training;
  readonly features: {
    readonly images: number;
    readonly fromCache: number;
    readonly seconds: number;
    readonly imagesPerSecond: number;
  };
  readonly skipped: readonly Skipped[];
  readonly ignored: readonly string[];
  readonly fits: readonly {
    readonly name: string;
    readonly input: string;
    readonly bestEpoch: number;
    readonly seconds: number;
    readonly history: readonly EpochStats[];
    readonly evaluation: Evaluation;
  }[];
  readonly files: ReportFiles;
}

/** Where a run wrote its model and its report. */
export interface ReportFiles {
  readonly model: string;
  readonly manifest: string;
  readonly report: string;
  readonly curves: string;
  readonly confusion: string;
  readonly baselineConfusion?: string;
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** Keras' per-epoch line: "epoch 3/100 — loss 0.4123 accuracy 85.1% — val_loss 0.5012 val_accuracy 80.3%". */
export function epochLine(name: string, stats: EpochStats, epochs: number): string {
  const val =
    stats.valLoss === undefined
      ? ''
      : ` — val_loss ${stats.valLoss.toFixed(4)} val_accuracy ${pct(stats.valAccuracy ?? 0)}`;
  return `[${name}] epoch ${stats.epoch}/${epochs} — loss ${stats.loss.toFixed(4)} accuracy ${pct(stats.accuracy)}${val}`;
}

/** scikit-learn's classification_report layout, and the confusion matrix as a table. */
export function evaluationText(evaluation: Evaluation): string[] {
  const names = evaluation.perClass.map((c) => c.label);
  const width = Math.max(8, ...names.map((n) => n.length));
  const lines = [
    `${'label'.padEnd(width)}  precision  recall     f1  images`,
    ...evaluation.perClass.map(
      (c) =>
        `${c.label.padEnd(width)}  ${c.precision.toFixed(3).padStart(9)}  ${c.recall.toFixed(3).padStart(6)}  ${c.f1.toFixed(3).padStart(5)}  ${String(c.support).padStart(6)}`,
    ),
    '',
    'Confusion matrix (rows: true label, columns: predicted, in the order above):',
  ];
  const cell = Math.max(4, ...evaluation.confusion.flat().map((v) => String(v).length + 1));
  evaluation.confusion.forEach((row, r) => {
    lines.push(`${names[r]!.padEnd(width)}  ${row.map((v) => String(v).padStart(cell)).join('')}`);
  });
  return lines;
}

/** The summary printed at the end: both models' scores side by side, then the head's details. */
export function summaryText(report: TrainReport): string {
  const [head, ...others] = report.fits;
  if (!head) return '';
  const { evaluation } = head;
  const where = evaluation.split === 'test' ? 'held-out test set' : 'validation split';
  const width = Math.max(...report.fits.map((f) => `${f.name} (${f.input})`.length));
  const lines = [
    `Trained ${report.model}: ${report.training.evaluation.perClass.length} labels, ${report.training.dataset.train} training and ${report.training.dataset.validation} validation images (${report.skipped.length} skipped); kept epoch ${head.bestEpoch}.`,
    `Accuracy on the ${where} (${evaluation.images} images):`,
    ...report.fits.map(
      (f) =>
        `  ${`${f.name} (${f.input})`.padEnd(width)}  accuracy ${pct(f.evaluation.accuracy).padStart(6)}  macro F1 ${pct(f.evaluation.macroF1).padStart(6)}`,
    ),
    '',
    ...evaluationText(evaluation),
  ];
  const baseline = others[0];
  if (baseline && baseline.evaluation.accuracy >= evaluation.accuracy) {
    lines.push(
      '',
      `Note: the raw-pixel baseline scores at least as well as the backbone head: the base model's features do not suit these images (docs/train.md).`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** report.json, the confusion matrices and the learning curves, in `dir`; returns every path. */
export async function writeReportFiles(
  dir: string,
  report: Omit<TrainReport, 'files'>,
  fits: readonly Fit[],
  model: Pick<ReportFiles, 'model' | 'manifest'>,
): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    ...model,
    report: path.join(dir, 'report.json'),
    curves: path.join(dir, 'curves.svg'),
    confusion: path.join(dir, 'confusion.svg'),
    ...(fits.length > 1 && { baselineConfusion: path.join(dir, 'baseline-confusion.svg') }),
  };
  const curves = fits.map((f) => ({
    name: f.name,
    history: f.trained.history,
    bestEpoch: f.trained.bestEpoch,
  }));
  await writeFile(files.curves, curvesSvg(curves, `${report.model}: learning curves`));
  for (const [i, fit] of fits.entries()) {
    const file = i === 0 ? files.confusion : files.baselineConfusion;
    if (file)
      await writeFile(file, confusionSvg(fit.evaluation, `${report.model}: ${fit.name} (${fit.input})`));
  }
  await writeFile(files.report, `${JSON.stringify({ ...report, files }, null, 2)}\n`);
  return files;
}
