import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { cliSettings } from '../cli/load-model.js';
import { NetlensError } from '../core/errors.js';
import type { Quantization, SpeedRewriteRecord } from '../core/manifest.js';
import { modelsDirectory } from '../runtime/node/model-dir.js';
import { percent } from './agreement.js';
import { MAX_VARIANTS } from './augment.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from './calibrate.js';
import { TUNING_RUNTIMES, type TuningRuntime } from './tune-for.js';
import { COLLAPSED_TOP1, DEFAULT_MAX_FLOAT_NODES, DEFAULT_MIN_AGREEMENT } from './int8-variant.js';
import {
  DEFAULT_METHOD,
  quantizeModel,
  DEFAULT_VARIANTS,
  type QuantizeModelResult,
  type QuantizePhase,
} from './quantize-model.js';

interface QuantizeCliOptions {
  int8?: boolean;
  fp16?: boolean;
  calibration?: string;
  holdout?: string;
  variants: number;
  perChannel: boolean;
  biasCorrection: boolean;
  method?: CalibrationMethod;
  quantizeFirstConv?: boolean;
  poolAfterConv?: boolean;
  tuneFor?: TuningRuntime;
  minAgreement: number;
  maxFloat: number;
  force?: boolean;
  name?: string;
  modelsDir?: string;
  out?: string;
  json?: boolean;
}

const PHASES: QuantizePhase[] = [
  'read',
  'calibrate',
  'histogram',
  'validate',
  'sensitivity',
  'fallback',
  'measure',
  'write',
];

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The human summary printed after quantizing. */
export function formatQuantizeSummary(r: QuantizeModelResult): string {
  const q = r.manifest.quantization;
  if (!q) throw new NetlensError('internal', 'quantize result without quantization record');
  const a = q.agreement;
  const lines = [
    `model       ${r.manifest.name} (${q.kind} of ${q.from.model}) → ${r.onnxPath}`,
    `size        ${mb(r.bytes)} (float32 ${mb(r.sourceBytes)}, ÷${(r.sourceBytes / r.bytes).toFixed(2)})`,
  ];
  if (q.kind === 'int8' && q.calibration) {
    lines.push(
      `calibrated  ${q.method}, ${q.perChannel ? 'per-channel' : 'per-tensor'} int8 weights, uint8 activations, on ${q.calibration.images} photos in ${q.calibration.photos}${q.tunedFor === 'wasm' ? '; tuned for onnxruntime-web WASM (--tune-for wasm)' : ''}`,
    );
    if (r.plan) {
      lines.push(
        `graph       ${r.plan.tensors} activation tensors and ${r.plan.weights} weights quantized, ${r.plan.removedActivations} Relu/Clip folded into their op; float32: ${formatCounts(q.float32Ops ?? {}) || 'nothing'}`,
      );
    }
    lines.push(`onnxruntime fuses into ${formatCounts(q.integerOps ?? {}) || 'no integer kernels'}`);
    if (q.mixedPrecision) lines.push(...formatMixedPrecision(q.mixedPrecision));
    if (q.speedRewrites) lines.push(...formatSpeedRewrites(q.speedRewrites));
  }
  lines.push(
    `agreement   top-1 ${percent(a.top1)}, top-5 overlap ${percent(a.top5Overlap)}, max |Δp| ${a.maxAbsDiff.toFixed(4)}, mean |Δp| ${a.meanAbsDiff.toExponential(2)} over ${a.samples} inputs (${a.images} held-out photos × ${a.variants} variants: ${a.photos})`,
    ...(a.top1 < 1
      ? [
          `            top-1 changed on ${Math.round((1 - a.top1) * a.samples)} input(s), where float32's top-2 margin was at most ${(a.maxDisagreementMargin ?? 0).toFixed(3)}`,
        ]
      : []),
    `time        ${(r.millis / 1000).toFixed(1)} s`,
    `manifest    ${r.manifestPath}`,
  );
  for (const warning of r.warnings) lines.push(`warning     ${warning}`);
  return lines.join('\n');
}

/** What the accuracy-aware fallback measured and kept float32 (int8-variant.ts). */
function formatMixedPrecision(m: NonNullable<Quantization['mixedPrecision']>): string[] {
  const v = m.validation;
  const on = `on ${v.samples} validation inputs (${v.images} calibration photos × ${v.variants} augmentations)`;
  const all = `all-int8 top-1 ${percent(m.before.top1)} ${on}`;
  if (m.target === 0) return [`validation  ${all}; no fallback (--min-agreement 0)`];
  if (m.rounds === 0)
    return [
      `validation  ${all}${m.before.top1 >= m.target ? `, target ${percent(m.target)} met: nothing kept float32` : ''}`,
    ];
  const kept = m.float32Nodes
    .map((n) => `${n.node} (${n.opType}, ΔKL −${n.klGain.toExponential(1)})`)
    .join(', ');
  return [
    `validation  ${all}, below the target ${percent(m.target)}: ranked ${m.trials - m.rounds - 1} candidate nodes by sensitivity, ${m.rounds} fallback round(s)`,
    `            ${m.reached ? 'target met' : 'target NOT met'}: top-1 ${percent(m.after.top1)} with ${m.float32Nodes.length} node(s) kept float32${kept ? `: ${kept}` : ''}`,
  ];
}

/**
 * The speed rewrites that had a site or were set by a flag: applied, rejected (with the validation figure
 * that rejected it) or off. Nothing for a model none applies to.
 */
export function formatSpeedRewrites(records: readonly SpeedRewriteRecord[]): string[] {
  return describeRewrites(records).map((line, i) => `${i === 0 ? 'rewrites   ' : '           '} ${line}`);
}

/** One line per speed rewrite worth telling (a site, or a flag): "<name> <what happened>". */
export function describeRewrites(records: readonly SpeedRewriteRecord[]): string[] {
  return records
    .filter((r) => r.sites > 0 || r.mode !== 'try')
    .map((r) => {
      const v = r.validation;
      const measured = v
        ? `validation top-1 ${percent(v.top1)}${v.float32Nodes > 0 ? ` with ${v.float32Nodes} node(s) kept float32` : ''}`
        : '';
      const why = v?.reached ? 'more nodes float32 than without it' : 'short of the target';
      const what =
        r.mode === 'off'
          ? 'off'
          : r.sites === 0
            ? 'forced, but the graph has no site for it'
            : r.applied
              ? `applied at ${r.sites} site(s)${r.mode === 'on' ? ' (forced)' : ''}: ${measured}`
              : `tried at ${r.sites} site(s) and rejected: ${measured}, ${why}`;
      return `${r.name} ${what}`;
    });
}

function formatCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op}×${n}`)
    .join(' ');
}

function fractionArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError(
      `--min-agreement must be a fraction from 0 to 1 (e.g. 0.99), got '${value}'`,
    );
  return n;
}

function countArg(value: string): number {
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000)
    throw new InvalidArgumentError(`--max-float must be an integer from 0 to 1000, got '${value}'`);
  return n;
}

function variantsArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_VARIANTS)
    throw new InvalidArgumentError(`--variants must be an integer from 1 to ${MAX_VARIANTS}, got '${value}'`);
  return n;
}

/** `netlens quantize <model> --int8|--fp16 …` (registered by src/cli/main.ts). */
export function createQuantizeCommand(): Command {
  return new Command('quantize')
    .description(
      'Write an int8 (static QDQ, calibrated) or fp16 variant of an installed model as a new model, with its agreement with the float32 model measured on held-out photos',
    )
    .argument('<model>', 'installed float32 model name (netlens models)')
    .option(
      '--int8',
      'int8: uint8 activations from calibration ranges, int8 weights; onnxruntime fuses QLinearConv/QGemm',
    )
    .option('--fp16', 'float16 weights and activations (for GPU providers), float32 input/output')
    .option(
      '--calibration <dir>',
      'calibration photos (default: models/calibration, license-clean photos that ship with netlens)',
    )
    .option(
      '--holdout <dir>',
      'photos to measure agreement on (default: every 4th calibration photo, then not used to calibrate)',
    )
    .addOption(
      new Option(
        '--variants <n>',
        `inputs per held-out photo: original, flip, crops, colour shifts (1–${MAX_VARIANTS})`,
      )
        .default(DEFAULT_VARIANTS)
        .argParser(variantsArg),
    )
    .option('--per-channel', 'one int8 scale per output channel (default)', true)
    .option('--no-per-channel', 'one int8 scale per weight tensor')
    .option('--no-bias-correction', 'keep the biases as they are (corrected for weight rounding by default)')
    .addOption(
      new Option(
        '--method <method>',
        `activation ranges from calibration (default ${DEFAULT_METHOD})`,
      ).choices(CALIBRATION_METHODS),
    )
    .option(
      '--quantize-first-conv',
      'also quantize the first convolution (reads the image; float32 by default)',
    )
    .option(
      '--pool-after-conv',
      'always average-pool after the 1×1 convolution that follows a pool (InceptionV3: faster int8); by default it is tried and kept only when the validation agreement still reaches --min-agreement',
    )
    .option('--no-pool-after-conv', 'never move an average-pool below the convolution after it')
    .addOption(
      new Option(
        '--tune-for <runtime>',
        'int8: the runtime to tune for — cpu (onnxruntime-node, default) or wasm (onnxruntime-web: convolutions with short dot products, e.g. depthwise, stay float32; name <model>-int8-wasm)',
      ).choices(TUNING_RUNTIMES),
    )
    .addOption(
      new Option(
        '--min-agreement <fraction>',
        'int8: top-1 agreement with float32 to reach on validation inputs (augmented calibration photos) by keeping the most sensitive nodes float32; 0 = no fallback',
      )
        .default(DEFAULT_MIN_AGREEMENT)
        .argParser(fractionArg),
    )
    .addOption(
      new Option('--max-float <n>', 'int8: at most this many nodes kept float32 by the fallback')
        .default(DEFAULT_MAX_FLOAT_NODES)
        .argParser(countArg),
    )
    .option(
      '--force',
      `write the variant even when its agreement collapsed (top-1 below ${COLLAPSED_TOP1 * 100}% on the held-out inputs)`,
    )
    .option('--name <name>', 'variant name (default <model>-int8, <model>-int8-wasm or <model>-fp16)')
    .option('--models-dir <dir>', 'models directory (default: $NETLENS_MODELS_DIR or models/onnx)')
    .option('--out <dir>', 'where to write the variant (default: the models directory)')
    .option('--json', 'print the result as JSON instead of the summary')
    .action(runQuantize);
}

/** The command's action: quantizes with a progress bar on stderr, prints the summary (or JSON). */
async function runQuantize(model: string, o: QuantizeCliOptions): Promise<void> {
  if (o.int8 === o.fp16) {
    throw new NetlensError('invalid_argument', 'give exactly one of --int8 or --fp16');
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{phase} [{bar}] {value}/{total}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase: QuantizePhase | undefined;
  let result: QuantizeModelResult;
  try {
    result = await quantizeModel(model, {
      kind: o.int8 ? 'int8' : 'fp16',
      ...(o.calibration ? { calibration: o.calibration } : {}),
      ...(o.holdout ? { holdout: o.holdout } : {}),
      variants: o.variants,
      perChannel: o.perChannel,
      biasCorrection: o.biasCorrection,
      ...(o.method ? { method: o.method } : {}),
      keepFirstConvFloat: o.quantizeFirstConv !== true,
      ...(o.poolAfterConv !== undefined ? { poolAfterConv: o.poolAfterConv ? 'on' : 'off' } : {}),
      ...(o.tuneFor ? { tuneFor: o.tuneFor } : {}),
      minAgreement: o.minAgreement,
      maxFloatNodes: o.maxFloat,
      force: o.force === true,
      ...(o.name ? { name: o.name } : {}),
      // --models-dir, else NETLENS_MODELS_DIR, else the installation's (the settings module).
      modelsDir: modelsDirectory(cliSettings(o.modelsDir ? { modelsDir: o.modelsDir } : {}).modelsDir),
      ...(o.out ? { outDir: o.out } : {}),
      onProgress: (p, done, total) => {
        if (p !== phase) {
          if (phase === undefined) bar.start(total, done, { phase: p });
          else bar.setTotal(total);
          phase = p;
        }
        bar.update(done, { phase: `${p} (${PHASES.indexOf(p) + 1}/${PHASES.length})` });
      },
    });
  } finally {
    bar.stop();
  }
  process.stdout.write(
    o.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatQuantizeSummary(result)}\n`,
  );
}
