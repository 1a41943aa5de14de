/**
 * int8 (and fp16) variants against their float32 models, in one run:
 * - agreement on held-out photos, read from each variant's manifest (measured by `netlens quantize`), and
 *   which speed rewrites each int8 variant got (tried, applied or rejected on the validation inputs);
 * - model bytes;
 * - onnxruntime-node images/s at 1 and 2 intra-op threads, batch 1, float32 and int8 interleaved
 *   (f i i f f i …, `--rounds` rounds of `--seconds` each), with CPU ms per image (process.cpuUsage: every
 *   onnxruntime thread of this process) and the load average;
 * - onnxruntime-web WASM (1 thread, as in the Worker): float32, int8 and int8 tuned for WASM
 *   (`--tune-for wasm`, `<model>-int8-wasm`), interleaved too.
 *
 *   npx tsx bench/quantize.ts [--record] [--seconds 3] [--rounds 4] [--no-web]
 *
 * Missing models are built first (bench/quantize-models.ts), which takes minutes on 2 cores.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web/wasm';
import type { Engine, EngineSession, Float32Tensor } from '../src/core/engine.js';
import type { Manifest } from '../src/core/manifest.js';
import { variants } from '../src/quantize/augment.js';
import { describeRewrites } from '../src/quantize/cli.js';
import { prepareInputs, readPhotoSet } from '../src/quantize/photo-set.js';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { createWebEngine } from '../src/runtime/web/engine.js';
import { compileOrtWasm } from '../src/runtime/web/node-wasm-modules.js';
import { usePrecompiledOrtWasm } from '../src/runtime/web/precompiled-wasm.js';
import {
  BENCH_MODELS,
  BENCH_MODELS_LIST,
  PHOTOS,
  ROOT,
  ensureVariant,
  readBenchManifest,
} from './quantize-models.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const SECONDS = flag('--seconds', 3);
const ROUNDS = flag('--rounds', 4);
/** ORT-node speed: the two targets, and the default model for reference. */
const SPEED_MODELS = ['seeded-resnet50', 'nsfw-inception-v3', 'nsfw-mobilenet-v2'];
const WEB_MODELS = ['nsfw-inception-v3', 'nsfw-mobilenet-v2'];
const FP16_MODELS = ['nsfw-mobilenet-v2', 'nsfw-inception-v3', 'resnet8-cifar10'];

interface Timing {
  imagesPerSecond: number;
  cpuMsPerImage: number;
}

const lines: string[] = [];
function say(line = ''): void {
  console.log(line);
  lines.push(line);
}

/** Runs `session` over `inputs` in a loop for `seconds`; images/s and CPU ms per image. */
async function timeSession(
  session: EngineSession,
  inputs: readonly Float32Tensor[],
  seconds: number,
): Promise<Timing> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let n = 0;
  while (n < 2 || performance.now() - started < seconds * 1000) {
    await session.run(inputs[n % inputs.length] as Float32Tensor);
    n++;
  }
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { imagesPerSecond: (n * 1000) / wall, cpuMsPerImage: (used.user + used.system) / 1000 / n };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

/** Sessions timed in rotating order (a b c, b c a, …), `rounds` rounds of `seconds` each; timings per model. */
async function interleaved(
  engine: Engine,
  models: readonly Uint8Array[],
  inputs: readonly Float32Tensor[],
  threads: number | undefined,
  seconds: number,
  rounds: number,
): Promise<Timing[][]> {
  const options = threads ? { providers: ['cpu'], threads } : {};
  const sessions: EngineSession[] = [];
  for (const m of models) sessions.push(await engine.createSession(m, options));
  const out: Timing[][] = sessions.map(() => []);
  try {
    for (const s of sessions) await timeSession(s, inputs, 0.5); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < sessions.length; k++) {
        const i = (r + k) % sessions.length;
        out[i]?.push(await timeSession(sessions[i] as EngineSession, inputs, seconds));
      }
    }
  } finally {
    for (const s of sessions) await s.dispose();
  }
  return out;
}

function bytesOf(m: Manifest): number {
  return readFileSync(join(BENCH_MODELS, m.file)).length;
}

function agreementRow(
  model: string,
  origin: string,
  trained: boolean,
  m: Manifest,
  source: Manifest,
): string {
  const q = m.quantization;
  if (!q) throw new Error(`${m.name} has no quantization record`);
  const a = q.agreement;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const ratio = bytesOf(source) / bytesOf(m);
  return `| ${model} | ${origin} | ${q.kind}${q.tunedFor === 'wasm' ? '-wasm' : ''} | ${trained ? (a.top1 >= 0.99 ? 'gate ✓' : 'gate ✗') : 'informative'} | ${a.samples} | **${pct(a.top1)}** | ${pct(a.top5Overlap)} | ${pct(a.top5Identical)} | ${a.maxAbsDiff.toFixed(4)} | ${a.meanAbsDiff.toExponential(1)} | ${(a.maxDisagreementMargin ?? 0).toFixed(3)} | ${(bytesOf(source) / 1e6).toFixed(1)} → ${(bytesOf(m) / 1e6).toFixed(1)} (÷${ratio.toFixed(2)}) |`;
}

async function rewritesSection(): Promise<void> {
  say('### Speed rewrites of the int8 variants (tried by `netlens quantize`)');
  say();
  say(
    'A tried rewrite is kept when the variant with it reaches 99% top-1 on the validation inputs with no more nodes float32 than without it (docs/quantize.md). The seeded models are built with `--min-agreement 0`: no target, a rewrite is kept unless its variant collapses.',
  );
  say();
  say('| model | speed rewrites (validation top-1 of the variant with them, after the fallback) |');
  say('| --- | --- |');
  for (const { name } of BENCH_MODELS_LIST) {
    const records = (await ensureVariant(name, 'int8')).quantization?.speedRewrites ?? [];
    say(`| ${name} | ${describeRewrites(records).join('; ') || 'none (no site)'} |`);
  }
  say();
}

async function agreementSection(): Promise<void> {
  say(
    '### Agreement with float32 on held-out photos (measured by `netlens quantize`, read from the manifests)',
  );
  say();
  say(
    'Calibration: the 15 license-clean photos of models/calibration (never the photos below). Held out: the 8 photos of ../shared/data/images × 16 deterministic variants (original, flip, 3 crops, brightness ±, contrast ±, grey, saturated, flip + crop, 2 crop + tone, warm, cool; src/quantize/augment.ts) = 128 inputs per model, decoded and preprocessed by the product (sharp + src/core/image, as the manifest says). int8: percentile calibration (99.999%), per-channel int8 weights, bias correction, first Conv and Softmax float32, and the trained models’ most sensitive nodes float32 until 99% top-1 on validation inputs (augmentations of the calibration photos; the quantizer’s default since 0.3.0: resnet8 3 nodes, fer2013 16, mnist 1, the others none; the seeded models without it). "widest flip margin" = the largest float32 top-1 − top-2 margin among inputs whose top-1 changed.',
  );
  say();
  say(
    '| model | float32 from | variant | ≥ 99% top-1 | inputs | top-1 | top-5 overlap | top-5 identical | max \\|Δp\\| | mean \\|Δp\\| | widest flip margin | MB float32 → variant |',
  );
  say('| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { name, origin, trained } of BENCH_MODELS_LIST) {
    const source = readBenchManifest(name);
    say(agreementRow(name, origin, trained, await ensureVariant(name, 'int8'), source));
    if (WEB_MODELS.includes(name) && !args.includes('--no-web'))
      say(agreementRow(name, origin, trained, await ensureVariant(name, 'int8', 'wasm'), source));
    if (FP16_MODELS.includes(name))
      say(agreementRow(name, origin, trained, await ensureVariant(name, 'fp16'), source));
  }
  say();
}

async function inputsFor(name: string): Promise<Float32Tensor[]> {
  const manifest = readBenchManifest(name);
  return (await prepareInputs(await readPhotoSet(PHOTOS, 'bench'), manifest, variants(1))).map(
    (p) => p.tensor,
  );
}

async function nodeSection(): Promise<void> {
  const engine = createNodeEngine({ warmUp: false });
  say(`### onnxruntime-node (CPU), batch 1: float32 vs int8, interleaved`);
  say();
  say(
    `${ROUNDS} rounds × ${SECONDS} s per contender and thread count, alternating order; images/s median (best); CPU ms per image = process CPU time (all onnxruntime threads) ÷ images.`,
  );
  say();
  say(
    '| model | int8 rewrites | threads | float32 images/s | int8 images/s | int8 ÷ float32 (median) | CPU ms/image float32 | CPU ms/image int8 | CPU ratio | load avg |',
  );
  say('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const name of SPEED_MODELS) {
    const fp32 = readFileSync(join(BENCH_MODELS, `${name}.onnx`));
    const int8 = readFileSync(join(BENCH_MODELS, `${name}-int8.onnx`));
    const inputs = await inputsFor(name);
    const applied =
      readBenchManifest(`${name}-int8`)
        .quantization?.speedRewrites?.filter((r) => r.applied)
        .map((r) => r.name)
        .join(', ') || '—';
    for (const threads of [1, 2]) {
      const [tf = [], tq = []] = await interleaved(engine, [fp32, int8], inputs, threads, SECONDS, ROUNDS);
      const f = median(tf.map((x) => x.imagesPerSecond));
      const q = median(tq.map((x) => x.imagesPerSecond));
      const fc = median(tf.map((x) => x.cpuMsPerImage));
      const qc = median(tq.map((x) => x.cpuMsPerImage));
      const best = (xs: Timing[]) => Math.max(...xs.map((x) => x.imagesPerSecond)).toFixed(1);
      say(
        `| ${name} | ${applied} | ${threads} | ${f.toFixed(1)} (${best(tf)}) | ${q.toFixed(1)} (${best(tq)}) | **${(q / f).toFixed(2)}×** | ${fc.toFixed(1)} | ${qc.toFixed(1)} | ${(fc / qc).toFixed(2)}× | ${loadavg()[0]?.toFixed(1)} |`,
      );
    }
  }
  say();
}

async function webSection(): Promise<void> {
  usePrecompiledOrtWasm(ortWeb, await compileOrtWasm());
  const engine = createWebEngine({ ort: ortWeb });
  say(
    '### onnxruntime-web WASM in Node (1 thread, as in the Worker): float32, int8 and int8 tuned for WASM, interleaved',
  );
  say();
  say(
    '`int8-wasm` = `netlens quantize --int8 --tune-for wasm` (Convs with dot products shorter than 64 — every depthwise Conv, 1×1 Convs on few channels — stay float32; docs/quantize.md). ms per image: median over the rounds; speed-up = float32 ms ÷ variant ms; CPU ms per image = process CPU time ÷ images.',
  );
  say();
  say(
    '| model | float32 ms/image | int8 ms/image | int8-wasm ms/image | int8 speed-up | int8-wasm speed-up | CPU ms/image float32 / int8 / int8-wasm | load avg |',
  );
  say('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const name of WEB_MODELS) {
    const file = (variant: string) => readFileSync(join(BENCH_MODELS, `${variant}.onnx`));
    // A model with no short dot products gets the same file for both targets: timed once.
    const same =
      readBenchManifest(`${name}-int8`).sha256.model === readBenchManifest(`${name}-int8-wasm`).sha256.model;
    const variants = same ? [name, `${name}-int8`] : [name, `${name}-int8`, `${name}-int8-wasm`];
    const inputs = await inputsFor(name);
    const t = await interleaved(
      engine,
      variants.map(file),
      inputs,
      undefined,
      SECONDS * 2,
      Math.max(2, ROUNDS - 2),
    );
    if (same) t.push(t[1] ?? []);
    const ms = t.map((xs) => 1000 / median(xs.map((x) => x.imagesPerSecond)));
    const cpu = t.map((xs) => median(xs.map((x) => x.cpuMsPerImage)).toFixed(0));
    const [f = 0, q = 0, w = 0] = ms;
    const wasm = same ? `${w.toFixed(0)} (= int8 file)` : w.toFixed(0);
    say(
      `| ${name} | ${f.toFixed(0)} | ${q.toFixed(0)} | ${wasm} | **${(f / q).toFixed(2)}×** | **${(f / w).toFixed(2)}×** | ${cpu.join(' / ')} | ${loadavg()[0]?.toFixed(1)} |`,
    );
  }
  say();
}

async function main(): Promise<void> {
  const started = loadavg()[0] ?? 0;
  for (const { name } of BENCH_MODELS_LIST) await ensureVariant(name, 'int8');
  for (const name of FP16_MODELS) await ensureVariant(name, 'fp16');
  if (!args.includes('--no-web')) for (const name of WEB_MODELS) await ensureVariant(name, 'int8', 'wasm');
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  say(`### Quantized variants — ${date} UTC`);
  say();
  say(
    `Machine: ${cpus()[0]?.model.trim() ?? 'cpu'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, onnxruntime-node 1.30.0, onnxruntime-web 1.30.0; load average ${started.toFixed(1)} at the start. Photos: ${readdirSync(PHOTOS).length} in ../shared/data/images. Run: \`npx tsx bench/quantize.ts --record\`.`,
  );
  say();
  await agreementSection();
  await rewritesSection();
  await nodeSection();
  if (!args.includes('--no-web')) await webSection();
  say(
    `Load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (1 / 5 / 15 min).`,
  );
  if (args.includes('--record')) record();
}

function record(): void {
  const path = join(ROOT, 'bench/RESULTS.md');
  const start = '<!-- netlens-bench:quantize:start -->';
  const end = '<!-- netlens-bench:quantize:end -->';
  const section = `${start}\n\n## Quantized variants (bench/quantize.ts)\n\n${lines.join('\n')}\n${end}`;
  const current = readFileSync(path, 'utf8');
  const next = current.includes(start)
    ? current.slice(0, current.indexOf(start)) + section + current.slice(current.indexOf(end) + end.length)
    : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
  console.log(`recorded in ${path}`);
}

await main();
