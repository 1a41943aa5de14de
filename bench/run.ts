/**
 * `npm run bench` / `netlens bench`: times each stage of the Node pipeline separately — decode (sharp),
 * preprocess (core: orientation, colour, resize, normalise), inference (onnxruntime-node) — and end to end,
 * at batch 1 and 8, on the shared photos, all in the same run so the ratios are comparable.
 * `--record` writes the results into bench/RESULTS.md (its own section; other benches append theirs).
 */
import { readFileSync, readdirSync, realpathSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Float32Tensor } from '../src/core/engine.js';
import { stackBatch } from '../src/core/image/index.js';
import type { DecodedImage } from '../src/core/image-types.js';
import { loadModel, type LoadedModel, type ModelOptions } from '../src/cli/load-model.js';
import { ensureDefaultModels } from '../src/cli/start.js';
import { decodeImage } from '../src/runtime/node/decode-image.js';
import { defaultModelName } from '../src/runtime/node/model-dir.js';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const DEFAULT_IMAGES = resolve(ROOT, '../shared/data/images');

export interface BenchOptions extends ModelOptions {
  images?: string;
  batch?: string;
  seconds?: string;
  record?: boolean;
}

interface Measurement {
  stage: string;
  batch: number | '';
  imagesPerSecond: number;
  msPerImage: number;
  iterations: number;
}

/** Repeats `step` (which handles `perStep` images) until `seconds` have passed (at least 3 times). */
async function measure(seconds: number, perStep: number, step: (i: number) => Promise<void> | void) {
  await step(0); // untimed warm-up
  let iterations = 0;
  const started = performance.now();
  while (iterations < 3 || performance.now() - started < seconds * 1000) {
    await step(iterations);
    iterations++;
  }
  const ms = performance.now() - started;
  const images = iterations * perStep;
  return { imagesPerSecond: (images * 1000) / ms, msPerImage: ms / images, iterations };
}

export async function runBench(
  options: BenchOptions,
): Promise<{ model: LoadedModel; rows: Measurement[]; images: number }> {
  const seconds = Number(options.seconds ?? 2);
  const batches = (options.batch ?? '1,8').split(',').map((b) => Number(b.trim()));
  const dir = resolve(options.images ?? DEFAULT_IMAGES);
  const files = readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .sort()
    .map((f) => join(dir, f));
  const sources = files.map((f) => new Uint8Array(readFileSync(f)));
  if (options.model === undefined) await ensureDefaultModels();
  const model = await loadModel(options);
  const { classifier } = model;
  const n = sources.length;
  const rows: Measurement[] = [];
  const log = (m: Measurement) => {
    rows.push(m);
    process.stderr.write(
      `  ${`${m.stage}${m.batch === '' ? '' : ` (batch ${m.batch})`}`.padEnd(34)} ${m.imagesPerSecond.toFixed(1).padStart(8)} images/s  ${m.msPerImage.toFixed(2).padStart(8)} ms/image\n`,
    );
  };
  process.stderr.write(
    `[bench] ${model.manifest.name} on ${model.session.provider} (${model.engineName}), ${n} photos from ${dir}, ≥${seconds}s per measurement\n`,
  );

  const decoded: DecodedImage[] = await Promise.all(sources.map((s) => decodeImage(s)));
  log({
    stage: 'decode (sharp)',
    batch: '',
    ...(await measure(seconds, 1, (i) => decodeImage(sources[i % n]!).then(() => undefined))),
  });

  const tensors: Float32Tensor[] = decoded.map((d, i) =>
    classifier.preprocess({ decoded: d, bytes: sources[i]! }),
  );
  log({
    stage: `preprocess (${model.manifest.preprocessing.resize})`,
    batch: '',
    ...(await measure(seconds, 1, (i) => {
      classifier.preprocess({ decoded: decoded[i % n]!, bytes: sources[i % n]! });
    })),
  });

  for (const b of batches) {
    const batchTensors = Array.from({ length: n }, (_, i) =>
      stackBatch(Array.from({ length: b }, (_, j) => tensors[(i + j) % n]!)),
    );
    log({
      stage: 'inference',
      batch: b,
      ...(await measure(seconds, b, async (i) => {
        await classifier.predictProbabilities(batchTensors[i % n]!);
      })),
    });
  }

  for (const b of batches) {
    log({
      stage: 'end to end (decode→top-5)',
      batch: b,
      ...(await measure(seconds, b, async (i) => {
        const picked = Array.from({ length: b }, (_, j) => sources[(i * b + j) % n]!);
        const images = await Promise.all(
          picked.map(async (bytes) => ({ bytes, decoded: await decodeImage(bytes) })),
        );
        await classifier.classifyImages(images, Math.min(5, model.manifest.output.size));
      })),
    });
  }
  return { model, rows, images: n };
}

function ratios(rows: Measurement[]): string[] {
  const get = (stage: string, batch: number | '' = '') =>
    rows.find((r) => r.stage.startsWith(stage) && r.batch === batch)?.msPerImage;
  const out: string[] = [];
  const decode = get('decode');
  const pre = get('preprocess');
  for (const b of [...new Set(rows.filter((r) => r.batch !== '').map((r) => r.batch as number))]) {
    const inf = get('inference', b);
    const e2e = get('end to end', b);
    if (decode && pre && inf && e2e) {
      const sum = decode + pre + inf;
      out.push(
        `batch ${b}: of the per-image time, decode ${pct(decode / sum)}, preprocess ${pct(pre / sum)}, inference ${pct(inf / sum)}; ` +
          `end to end ${e2e.toFixed(2)} ms/image vs ${sum.toFixed(2)} ms summed stages (${(e2e / sum).toFixed(2)}×); ` +
          `inference alone is ${(e2e / inf).toFixed(2)}× the end-to-end rate`,
      );
    }
  }
  const i1 = get('inference', 1);
  const i8 = get('inference', 8);
  if (i1 && i8) out.push(`inference batch 8 vs batch 1: ${(i1 / i8).toFixed(2)}× images/s`);
  return out;
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

function machine(model: LoadedModel): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  // The load average says whether other work shared the cores during the run (numbers are then lower).
  return `${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, load average ${loadavg()[0]!.toFixed(1)} at the end, Node ${process.version}, ${model.engineName} (${model.session.provider})`;
}

function markdown(result: Awaited<ReturnType<typeof runBench>>, options: BenchOptions): string {
  const { model, rows } = result;
  const lines = [
    `### ${model.manifest.name} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine(model)}. ${result.images} photos (../shared/data/images), ≥${options.seconds ?? 2} s per measurement, ` +
      `model ${model.manifest.input.height}×${model.manifest.input.width}, resize ${model.manifest.preprocessing.resize}.`,
    '',
    '| stage | batch | images/s | ms/image |',
    '| --- | --- | ---: | ---: |',
    ...rows.map(
      (r) => `| ${r.stage} | ${r.batch} | ${r.imagesPerSecond.toFixed(1)} | ${r.msPerImage.toFixed(2)} |`,
    ),
    '',
    ...ratios(rows).map((r) => `- ${r}`),
    '',
  ];
  return lines.join('\n');
}

const START = '<!-- netlens-bench:node-pipeline:start -->';
const END = '<!-- netlens-bench:node-pipeline:end -->';

/** Replaces this bench's section for the model in RESULTS.md (other sections are left alone). */
async function record(section: string, modelName: string): Promise<void> {
  const start = `${START.replace('start', `start:${modelName}`)}`;
  const end = `${END.replace('end', `end:${modelName}`)}`;
  const block = `${start}\n${section}${end}`;
  let text = existsSync(RESULTS)
    ? readFileSync(RESULTS, 'utf8')
    : '# Benchmark results\n\nEach bench owns a section; re-running it replaces its own block.\n';
  if (!text.includes('## Node pipeline (npm run bench)')) {
    text +=
      '\n## Node pipeline (npm run bench)\n\n' +
      'Decode (sharp), preprocess (core) and inference (onnxruntime-node, CPU) timed separately and end to end in the ' +
      'same run, so the ratios compare. Run `npm run bench` (`-- --record` rewrites the section of that model here; ' +
      '`-- --model nsfw-inception-v3` for the other built-in model). The load average shows whether other work ' +
      'shared the cores: on a busy machine the absolute numbers are far below an idle one.\n\n';
  }
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else {
    const heading = text.indexOf('## Node pipeline (npm run bench)');
    const nextHeading = text.indexOf('\n## ', heading + 5);
    const at = nextHeading < 0 ? text.length : nextHeading + 1;
    text = `${text.slice(0, at).trimEnd()}\n\n${block}\n${text.slice(at)}`;
  }
  // Keep the file as the formatter wants it (npm run lint checks markdown too).
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(RESULTS)) ?? {};
  writeFileSync(RESULTS, await prettier.format(text, { ...config, filepath: RESULTS }));
}

/** Entry for `netlens bench` and `npm run bench`. */
export async function runBenchCommand(options: BenchOptions): Promise<number> {
  const models = (options.model ?? defaultModelName()).split(',');
  for (const name of models) {
    const result = await runBench({ ...options, model: options.model === undefined ? undefined : name });
    const section = markdown(result, options);
    process.stdout.write(`${section}\n`);
    if (options.record) {
      await record(section, result.model.manifest.name);
      process.stderr.write(`[bench] recorded in ${RESULTS}\n`);
    }
    await result.model.session.dispose();
  }
  return 0;
}

function isEntryPoint(): boolean {
  try {
    return (
      process.argv[1] !== undefined &&
      realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const { main } = await import('../src/cli/main.js');
  await main([process.argv[0]!, 'netlens', 'bench', ...process.argv.slice(2)]);
}
