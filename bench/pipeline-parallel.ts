/**
 * The in-process pipeline on every core at once: one copy per core, each a child process running
 * decode → preprocess → inference (1 intra-op thread, batch 1) over the shared photos, one after
 * another, exactly as bench/stages.ts' pipeline stage does on one core. The copies start together and
 * run for the same window after 3 s of warm-up each; images/s is what they finished together, CPU ms
 * per image what they used (process.cpuUsage in each copy: libvips' and onnxruntime's threads included).
 *
 * Why beside the pipeline limit (cores ÷ the one-core pipeline's CPU ms per image): that limit assumes
 * the cores scale perfectly — every core busy all the time, each as fast as one core alone. Side by
 * side they may do less or, when the limit's own one-core run was slowed by the machine's drift, more;
 * this measures what they do. bench/http.ts prints both and judges by the limit.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { CORES, ownCpuMs } from './machine.js';
import { loadBenchModel } from './photos.js';
import { pipelineParts, pipelineStep } from './stages.js';

export interface ParallelPipeline {
  copies: number;
  imagesPerSecond: number;
  cpuMsPerImage: number;
}

const WARM_UP_MS = 3000;
/** Loading, warm-up and the window together never take longer than this: the copies are killed. */
const DEADLINE_MS = 180_000;

type ToChild = { type: 'go'; seconds: number };
type FromChild = { type: 'ready' } | { type: 'done'; images: number; cpuMs: number; wallMs: number };

/** Runs `copies` pipelines side by side for `seconds` (after each has warmed up for 3 s). */
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
  // Any copy that ends (or the deadline) fails the whole measurement at once: no wait on a dead copy.
  let timer: NodeJS.Timeout | undefined;
  const failed = Promise.race([
    ...children.map(
      (child) =>
        new Promise<never>((_, reject) =>
          child.once('close', (code, signal) =>
            reject(new Error(`a pipeline copy ended (${signal ?? code}) before it reported`)),
          ),
        ),
    ),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the pipeline copies took over ${DEADLINE_MS} ms`)),
        DEADLINE_MS,
      );
    }),
  ]);
  failed.catch(() => undefined); // handled where it is raced
  try {
    await Promise.race([Promise.all(children.map((child) => next(child, 'ready'))), failed]);
    const results = Promise.all(children.map((child) => next(child, 'done')));
    for (const child of children) child.send({ type: 'go', seconds } satisfies ToChild);
    const done = await Promise.race([results, failed]);
    const images = done.reduce((sum, d) => sum + d.images, 0);
    const wallMs = Math.max(...done.map((d) => d.wallMs));
    return {
      copies,
      imagesPerSecond: (images * 1000) / wallMs,
      cpuMsPerImage: done.reduce((sum, d) => sum + d.cpuMs, 0) / images,
    };
  } finally {
    clearTimeout(timer);
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The child's next message of that type (its end is caught by measureParallelPipeline's race). */
function next<T extends FromChild['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<FromChild, { type: T }>> {
  return new Promise((resolve) => {
    const onMessage = (message: FromChild): void => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message as Extract<FromChild, { type: T }>);
    };
    child.on('message', onMessage);
  });
}

/** One copy: warm up, wait for 'go', run the pipeline until the window ends. */
async function child(name: string, modelsDir: string): Promise<void> {
  const model = await loadBenchModel(name, modelsDir || undefined);
  const parts = await pipelineParts(model);
  // Warm-up: V8's optimised code, onnxruntime's arena, sharp's and the kernels' first calls.
  const warm = performance.now() + WARM_UP_MS;
  for (let i = 0; performance.now() < warm; i++) await pipelineStep(model, parts, i);
  const send = (message: FromChild): void => void process.send!(message);
  const started = new Promise<ToChild>((resolve) => process.once('message', resolve));
  send({ type: 'ready' });
  const go = await started;
  const c0 = ownCpuMs();
  const t0 = performance.now();
  const end = t0 + go.seconds * 1000;
  let images = 0;
  while (performance.now() < end) await pipelineStep(model, parts, images++);
  send({ type: 'done', images, cpuMs: ownCpuMs() - c0, wallMs: performance.now() - t0 });
  await parts.session.dispose();
  process.disconnect();
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!);
}
