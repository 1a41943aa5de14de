/**
 * `npx tsx bench/engine-variants.ts [--model NAME] [--rounds 4] [--seconds 1]`: onnxruntime-node on the
 * shared photos (preprocessed once) in every thread configuration — intra-op threads 1 … cores, spinning
 * on and off, batch 1 and 2 — measured round by round, interleaved, so they share the machine's load.
 * Per variant: best and median images/s over the rounds, and CPU ms per image (process.cpuUsage: every
 * thread of this process, onnxruntime's included). bench/http.ts takes the fastest as "the raw engine".
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { EngineSession, Float32Tensor } from '../src/core/engine.js';
import { stackBatch } from '../src/core/image/index.js';
import type { Manifest } from '../src/core/manifest.js';
import { runRows } from '../src/core/pipeline.js';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { type BenchModel, loadBenchModel } from './photos.js';

export interface EngineVariant {
  threads: number;
  spinning: boolean;
  batch: number;
}

export interface EngineResult extends EngineVariant {
  name: string;
  /** Best round (the least disturbed by other work) and median round. */
  bestImagesPerSecond: number;
  medianImagesPerSecond: number;
  cpuMsPerImage: number;
}

export const variantName = (v: EngineVariant) =>
  `${v.threads} thread${v.threads > 1 ? 's' : ''}${v.threads > 1 ? (v.spinning ? ', spinning' : ', no spinning') : ''}, batch ${v.batch}`;

/** Every configuration worth trying on this host (spinning matters only with more than one thread). */
export function engineVariants(cores = availableParallelism()): EngineVariant[] {
  const out: EngineVariant[] = [];
  for (let threads = 1; threads <= cores; threads++) {
    for (const spinning of threads > 1 ? [false, true] : [false]) {
      for (const batch of [1, 2]) out.push({ threads, spinning, batch });
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** One round of one variant: `seconds` of back-to-back engine calls. */
async function round(session: EngineSession, manifest: Manifest, batches: Float32Tensor[], seconds: number) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let images = 0;
  for (let i = 0; images === 0 || performance.now() - started < seconds * 1000; i++) {
    const batch = batches[i % batches.length]!;
    await runRows(session, [batch], manifest.output.name);
    images += batch.dims[0]!;
  }
  const used = process.cpuUsage(cpu);
  return {
    imagesPerSecond: (images * 1000) / (performance.now() - started),
    cpuMsPerImage: (used.user + used.system) / 1000 / images,
  };
}

export async function measureEngineVariants(
  model: BenchModel,
  options: { rounds?: number; seconds?: number; variants?: EngineVariant[] } = {},
): Promise<EngineResult[]> {
  const { rounds = 4, seconds = 1, variants = engineVariants() } = options;
  const engine = createNodeEngine({ providers: ['cpu'] });
  const sessions = [];
  for (const v of variants) {
    const session = await engine.createSession(model.bytes, { threads: v.threads });
    sessions.push(session);
  }
  // Spinning is an engine option: one engine per setting.
  const spinningEngine = createNodeEngine({ providers: ['cpu'], spinning: true });
  for (const [i, v] of variants.entries()) {
    if (!v.spinning) continue;
    await sessions[i]!.dispose();
    sessions[i] = await spinningEngine.createSession(model.bytes, { threads: v.threads });
  }
  const batchesOf = (b: number) =>
    model.tensors.map((_, i) =>
      stackBatch(Array.from({ length: b }, (_, j) => model.tensors[(i + j) % model.tensors.length]!)),
    );
  const samples = variants.map(() => [] as { imagesPerSecond: number; cpuMsPerImage: number }[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, v] of variants.entries()) {
      samples[i]!.push(await round(sessions[i]!, model.manifest, batchesOf(v.batch), seconds));
    }
  }
  await Promise.all(sessions.map((s) => s.dispose()));
  return variants.map((v, i) => ({
    ...v,
    name: variantName(v),
    bestImagesPerSecond: Math.max(...samples[i]!.map((s) => s.imagesPerSecond)),
    medianImagesPerSecond: median(samples[i]!.map((s) => s.imagesPerSecond)),
    cpuMsPerImage: median(samples[i]!.map((s) => s.cpuMsPerImage)),
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'nsfw-mobilenet-v2' },
      rounds: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '1' },
    },
  });
  const model = await loadBenchModel(values.model);
  const startLoad = loadavg()[0]!;
  const results = await measureEngineVariants(model, {
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
  });
  console.log(`${values.model}: | variant | best images/s | median images/s | CPU ms/image |`);
  for (const r of results) {
    console.log(
      `| ${r.name} | ${r.bestImagesPerSecond.toFixed(1)} | ${r.medianImagesPerSecond.toFixed(1)} | ${r.cpuMsPerImage.toFixed(2)} |`,
    );
  }
  console.log(`load average ${startLoad.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`);
}
