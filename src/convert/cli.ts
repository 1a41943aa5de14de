import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { readFileSync } from 'node:fs';
import { NetlensError, messageOf } from '../core/errors.js';
import {
  ModelCardSchema,
  OUTPUT_KINDS,
  PREPROCESS_MODES,
  RESIZE_METHODS,
  type ModelCard,
  type Preprocessing,
} from '../core/manifest.js';
import {
  ARCHITECTURE_NAMES,
  findArchitecture,
  POOLING_MODES,
  type PoolingMode,
} from './architectures/index.js';
import { convertModelFile, type ConvertFileResult } from './convert-file.js';
import type { OutputKind } from './keras/output-kind.js';
import type { ConvertProgress } from './keras/types.js';

interface ConvertCliOptions {
  arch?: string;
  name?: string;
  labels?: string;
  preprocess?: Preprocessing['mode'];
  resize?: Preprocessing['resize'];
  factor?: number;
  offset?: number;
  output?: OutputKind;
  cutAt?: string;
  pooling?: PoolingMode;
  verify?: boolean;
  verifyImages?: string;
  features: boolean;
  graphStats?: boolean;
  featuresLayer?: string;
  description?: string;
  card?: ModelCard;
  out: string;
  json?: boolean;
}

const PHASES: ConvertProgress['phase'][] = [
  'read',
  'graph',
  'lower',
  'serialise',
  'verify',
  'optimise',
  'write',
];

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The human summary printed after a conversion. */
export function formatSummary(r: ConvertFileResult): string {
  const s = r.summary;
  const ops = Object.entries(s.opHistogram)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op}×${n}`)
    .join(' ');
  const lines = [
    `model       ${r.manifest.name} (${r.manifest.architecture}) → ${r.written.onnxPath}`,
    `input       [batch, ${s.inputShape.join(', ')}] NHWC float32; output '${r.manifest.output.name}' ${r.manifest.output.kind} [${s.outputShape.join(', ')}] from layer ${s.outputLayer}`,
    `parameters  ${s.parameters.toLocaleString('en')} (${mib(r.weightBytes)} of weights read)`,
    `onnx        ${mib(s.onnxBytes)}, ${s.nodes} nodes, opset ${r.manifest.provenance.opset}: ${ops}`,
    `time        ${(r.millis / 1000).toFixed(2)} s; peak memory (RSS) ${mib(r.peakRssBytes)}`,
  ];
  const g = r.manifest.provenance.graph;
  if (g) {
    const list = (h: Record<string, number>) =>
      Object.entries(h)
        .map(([op, n]) => `${op}×${n}`)
        .join(' ') || 'none';
    lines.push(
      `onnxruntime ${g.nodes} → ${g.optimizedNodes} nodes optimised; fused ${list(g.fused)}; activations left alone: ${list(g.unfusedActivations)}`,
    );
  }
  if (r.featuresSummary && r.written.featuresPath) {
    lines.push(
      `features    [${r.featuresSummary.outputShape.join(', ')}] from layer ${r.featuresSummary.outputLayer} → ${r.written.featuresPath}`,
    );
  }
  if (r.verification) {
    const v = r.verification;
    const f = r.featuresVerification;
    // The same number as the manifest's provenance.verification.maxAbsDiff: the larger of the two models'.
    const max = Math.max(v.maxAbsDiff, f?.maxAbsDiff ?? 0);
    const each = f
      ? ` (model ${v.maxAbsDiff.toExponential(2)}, features ${f.maxAbsDiff.toExponential(2)})`
      : '';
    lines.push(
      `verified    against ${v.reference}: max |Δ| ${max.toExponential(2)}${each} (≤ ${v.tolerance}), top-1 agreement ` +
        `${(v.top1Agreement * 100).toFixed(1)}%, top-5 ${(v.top5Agreement * 100).toFixed(1)}% over ${v.samples} inputs`,
    );
  }
  if (s.unusedWeightLayers.length > 0) {
    lines.push(
      `note        weights of ${s.unusedWeightLayers.length} layer(s) not used by this graph: ${s.unusedWeightLayers.slice(0, 8).join(', ')}`,
    );
  }
  lines.push(`manifest    ${r.written.manifestPath}`);
  return lines.join('\n');
}

/** --arch: a built-in architecture by its name or Keras' spelling ('EfficientNetB0', 'resnet50v2'). */
function architecture(value: string): string {
  const found = findArchitecture(value);
  if (!found) throw new InvalidArgumentError(`valid values are ${ARCHITECTURE_NAMES.join(', ')}.`);
  return found;
}

function number(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`'${value}' is not a number`);
  return n;
}

/**
 * `--card`: JSON text (starting with '{') or a JSON file, checked against the manifest's card schema
 * before anything is converted.
 */
export function parseCard(value: string): ModelCard {
  let json: unknown;
  try {
    json = JSON.parse(value.trimStart().startsWith('{') ? value : readFileSync(value, 'utf8'));
  } catch (error) {
    throw new NetlensError(
      'invalid_argument',
      `--card: not JSON text or a readable JSON file: ${messageOf(error)}`,
    );
  }
  const result = ModelCardSchema.strict().safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new NetlensError(
      'invalid_argument',
      `--card: ${problems.join('; ')} (fields: ${Object.keys(ModelCardSchema.shape).join(', ')})`,
    );
  }
  return result.data;
}

/** `netlens convert <file> …` (registered by src/cli/main.ts). */
export function createConvertCommand(): Command {
  return new Command('convert')
    .description(
      'Convert a Keras model (.h5/.hdf5 full model or weights-only with --arch, Keras 3 .keras, TF.js model.json) to ONNX with a manifest',
    )
    .argument('<file>', 'the Keras model file')
    .addOption(
      new Option(
        '--arch <name>',
        `built-in architecture for weights-only .h5 files: ${ARCHITECTURE_NAMES.join(', ')} (Keras' spellings such as ResNet50V2 work too)`,
      ).argParser(architecture),
    )
    .option('--name <name>', 'model name (files <name>.onnx, <name>.json)')
    .option(
      '--labels <imagenet|file>',
      "'imagenet' or a labels file (.json list / class index, or .txt one per line)",
    )
    .addOption(new Option('--preprocess <mode>', 'input normalisation').choices(PREPROCESS_MODES))
    .addOption(new Option('--resize <method>', 'resize method').choices(RESIZE_METHODS))
    .option('--factor <n>', 'for --preprocess scale: value = pixel × factor + offset (default 1/255)', number)
    .option('--offset <n>', 'for --preprocess scale (default 0)', number)
    .addOption(new Option('--output <kind>', 'what the model outputs').choices(OUTPUT_KINDS))
    .option('--cut-at <layer>', 'cut the graph after this layer (feature extractor)')
    .addOption(
      new Option('--pooling <mode>', 'weights-only notop files: final pooling').choices(POOLING_MODES),
    )
    .option('--verify', 'compare with TensorFlow.js on random inputs (and --verify-images); fail above 1e-4')
    .option('--verify-images <dir>', 'also verify on the images in this directory')
    .option('--no-features', 'do not write the penultimate-features model')
    .option(
      '--graph-stats',
      "record onnxruntime's optimised graph in the manifest without --verify too (loads the model in onnxruntime once more)",
    )
    .option('--description <text>', 'one line saying what the model is (manifest description)')
    .option(
      '--card <json|file>',
      'model card as JSON text or a JSON file: {"summary", "classes": {label: meaning}, "intendedUse", "limitations", "origin"}',
      parseCard,
    )
    .option(
      '--features-layer <layer>',
      "the features model ends at this layer's output (default: the final classifier's input)",
    )
    .option('--out <dir>', 'output directory', 'models/onnx')
    .option('--json', 'print the result as JSON instead of the summary')
    .action(async (file: string, o: ConvertCliOptions) => {
      const bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: '{phase} [{bar}] {value}/{total} {detail}',
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
      let phase = '';
      const preprocessing: Partial<Preprocessing> = {
        ...(o.preprocess ? { mode: o.preprocess } : {}),
        ...(o.resize ? { resize: o.resize } : {}),
        ...(o.factor !== undefined ? { factor: o.factor } : {}),
        ...(o.offset !== undefined ? { offset: o.offset } : {}),
      };
      let result: ConvertFileResult;
      try {
        result = await convertModelFile(file, {
          outDir: o.out,
          ...(o.arch ? { arch: o.arch } : {}),
          ...(o.name ? { name: o.name } : {}),
          ...(o.labels ? { labels: o.labels } : {}),
          preprocessing,
          ...(o.output ? { output: o.output } : {}),
          ...(o.cutAt ? { cutAt: o.cutAt } : {}),
          ...(o.pooling ? { pooling: o.pooling, includeTop: false } : {}),
          features: o.features,
          ...(o.graphStats ? { graphStats: true } : {}),
          ...(o.featuresLayer ? { featuresLayer: o.featuresLayer } : {}),
          ...(o.description ? { description: o.description } : {}),
          ...(o.card ? { card: o.card } : {}),
          verify: o.verify === true || o.verifyImages !== undefined,
          ...(o.verifyImages ? { verifyImages: o.verifyImages } : {}),
          onProgress: (p) => {
            if (p.phase !== phase) {
              if (phase === '') bar.start(p.total, p.done, { phase: p.phase, detail: '' });
              else bar.setTotal(p.total);
              phase = p.phase;
            }
            bar.update(p.done, {
              phase: `${p.phase} (${PHASES.indexOf(p.phase) + 1}/${PHASES.length})`,
              detail: p.detail ?? '',
            });
          },
        });
      } finally {
        bar.stop();
      }
      process.stdout.write(
        o.json
          ? `${JSON.stringify({ ...result, manifest: result.manifest }, null, 2)}\n`
          : `${formatSummary(result)}\n`,
      );
    });
}
