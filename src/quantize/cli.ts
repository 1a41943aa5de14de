import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { cliSettings } from '../cli/load-model.js';
import { NetlensError } from '../core/errors.js';
import { modelsDirectory } from '../runtime/node/model-dir.js';
import { MAX_VARIANTS } from './augment.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from './calibrate.js';
import {
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
  name?: string;
  modelsDir?: string;
  out?: string;
  json?: boolean;
}

const PHASES: QuantizePhase[] = ['read', 'calibrate', 'histogram', 'measure', 'write'];

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

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
      `calibrated  ${q.method}, ${q.perChannel ? 'per-channel' : 'per-tensor'} int8 weights, uint8 activations, on ${q.calibration.images} photos in ${q.calibration.photos}`,
    );
    if (r.plan) {
      lines.push(
        `graph       ${r.plan.tensors} activation tensors and ${r.plan.weights} weights quantized, ${r.plan.removedActivations} Relu/Clip folded into their op; float32: ${formatCounts(q.float32Ops ?? {}) || 'nothing'}`,
      );
    }
    lines.push(`onnxruntime fuses into ${formatCounts(q.integerOps ?? {}) || 'no integer kernels'}`);
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

function formatCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op}×${n}`)
    .join(' ');
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
    .addOption(
      new Option('--method <method>', 'activation ranges from calibration (default minmax)').choices(
        CALIBRATION_METHODS,
      ),
    )
    .option(
      '--quantize-first-conv',
      'also quantize the first convolution (reads the image; float32 by default)',
    )
    .option(
      '--pool-after-conv',
      'average-pool after the 1×1 convolution that follows a pool (InceptionV3: faster int8, may cost agreement)',
    )
    .option('--name <name>', 'variant name (default <model>-int8 or <model>-fp16)')
    .option('--models-dir <dir>', 'models directory (default: $NETLENS_MODELS_DIR or models/onnx)')
    .option('--out <dir>', 'where to write the variant (default: the models directory)')
    .option('--json', 'print the result as JSON instead of the summary')
    .action(async (model: string, o: QuantizeCliOptions) => {
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
          poolAfterConv: o.poolAfterConv === true,
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
    });
}
