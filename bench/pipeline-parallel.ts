/**
 * The in-process pipeline on every core at once: one copy per core, each a child process running
 * decode → preprocess → inference (1 intra-op thread, batch 1) over the shared photos, one after
 * another, exactly as bench/stages.ts' pipeline stage does on one core. The copies start together and
 * run for the same window after 3 s of warm-up each; images/s is what they finished together, CPU ms
 * per image what they used (process.cpuUsage in each copy: libvips' and onnxruntime's threads included).
 *
 * Why beside the pipeline limit (cores ÷ the one-core pipeline's CPU ms per image): that limit assumes
 * the cores scale perfectly — every core busy all the time, each as fast as one core alone. Side by
 * side they do less: each copy also waits for its decodes in libuv's pool, and two busy cores share the
 * memory bandwidth. This measures what they do; bench/http.ts prints both and judges by the limit.
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { EngineSession } from '../src/core/engine.js';
import { preprocess, runRows } from '../src/core/pipeline.js';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { createNodeImageKit } from '../src/runtime/node/image-kit.js';
import { CORES, ownCpuMs } from './machine.js';
import { loadBenchModel } from './photos.js';

export interface ParallelPipeline {
  copies: number;
  imagesPerSecond: number;
  cpuMsPerImage: number;
}

const WARM_UP_MS = 3000;

type ToChild = { type: 'go'; seconds: number };
type FromChild = { type: 'ready' } | { type: 'done'; images: number; cpuMs: number; wallMs: number };

/** Runs `copies` pipelines side by side for `seconds` (after each has warmed up on every photo). */
export async function measureParallelPipeline(
  model: { name: string; modelsDir: string | undefined },
  options: { copies?: number; seconds?: number } = {},
): Promise<ParallelPipeline> {
  const copies = options.copies ?? CORES;
  const seconds = options.seconds ?? 8;
  const children = Array.from({ length: copies }, () =>
    fork(import.meta.filename, ['--child', model.name, model.modelsDir ?? ''], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    await Promise.all(children.map((child) => next(child, 'ready')));
    const results = Promise.all(children.map((child) => next(child, 'done')));
    for (const child of children) child.send({ type: 'go', seconds } satisfies ToChild);
    const done = (await results) as Extract<FromChild, { type: 'done' }>[];
    const images = done.reduce((sum, d) => sum + d.images, 0);
    const wallMs = Math.max(...done.map((d) => d.wallMs));
    return {
      copies,
      imagesPerSecond: (images * 1000) / wallMs,
      cpuMsPerImage: done.reduce((sum, d) => sum + d.cpuMs, 0) / images,
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}

/** The child's next message of that type; fails if it exits first. */
function next(child: ChildProcess, type: FromChild['type']): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: FromChild): void => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`a pipeline copy exited (${code}) before '${type}'`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** One copy: warm up on every photo, wait for 'go', run the pipeline until the window ends. */
async function child(name: string, modelsDir: string): Promise<void> {
  const model = await loadBenchModel(name, modelsDir || undefined);
  const { decodeImage, kernels } = await createNodeImageKit();
  const { photos, manifest } = model;
  const session: EngineSession = await createNodeEngine({ providers: ['cpu'] }).createSession(model.bytes, {
    threads: 1,
  });
  const { width, height, channels } = manifest.input;
  const out = new Float32Array(width * height * channels); // reused, as the server's recycled inputs
  const one = async (i: number): Promise<void> => {
    const bytes = photos[i % photos.length]!.bytes;
    const input = preprocess({ decoded: await decodeImage(bytes), bytes }, manifest, kernels, out);
    await runRows(session, [input], manifest.output.name);
  };
  // Warm-up: V8's optimised code, onnxruntime's arena, sharp's and the kernels' first calls.
  const warm = performance.now() + WARM_UP_MS;
  for (let i = 0; performance.now() < warm; i++) await one(i);
  const send = (message: FromChild): void => void process.send!(message);
  const started = new Promise<ToChild>((resolve) => process.once('message', resolve));
  send({ type: 'ready' });
  const go = await started;
  const c0 = ownCpuMs();
  const t0 = performance.now();
  const end = t0 + go.seconds * 1000;
  let images = 0;
  while (performance.now() < end) await one(images++);
  send({ type: 'done', images, cpuMs: ownCpuMs() - c0, wallMs: performance.now() - t0 });
  await session.dispose();
  process.disconnect();
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!);
}
