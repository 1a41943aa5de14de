/**
 * The in-process stages of one image, each timed alone on the shared photos: decode (the server's decoder), preprocess
 * (core with the WebAssembly kernel into a reused input buffer, as the server runs it), and the whole pipeline (decode → preprocess →
 * inference, one photo after another) — wall ms and CPU ms per image (process.cpuUsage counts every
 * thread of this process: libvips', onnxruntime's). Rounds are repeated; medians are reported.
 */
import type { EngineSession } from '../src/core/engine.js';
import type { ImageDecoder } from '../src/core/image-types.js';
import { type PreprocessKernels, preprocess, runRows } from '../src/core/pipeline.js';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { createNodeImageKit } from '../src/runtime/node/image-kit.js';
import { median, ownCpuMs } from './machine.js';
import { minorFaults } from './malloc.js';
import type { BenchModel } from './photos.js';

export interface StageTiming {
  wallMs: number;
  cpuMs: number;
  /** Minor page faults per image (fresh memory: ~15–20 µs each on a VM, bench/malloc.ts). */
  faults: number;
}

export interface Stages {
  decode: StageTiming;
  preprocess: StageTiming;
  /** onnxruntime-node, 1 intra-op thread, batch 1: the least CPU per image. */
  inference: StageTiming;
  /** decode → preprocess → inference per photo, in one thread of work. */
  pipeline: StageTiming;
}

/** Runs `step` over every photo `repeat` times per round; median per-image wall and CPU over rounds. */
async function timed(
  rounds: number,
  images: number,
  step: (i: number) => Promise<unknown> | unknown,
): Promise<StageTiming> {
  for (let i = 0; i < images; i++) await step(i); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  const faults: number[] = [];
  const repeat = 3;
  for (let r = 0; r < rounds; r++) {
    const f0 = minorFaults();
    const c0 = ownCpuMs();
    const t0 = performance.now();
    for (let i = 0; i < images * repeat; i++) await step(i % images);
    wall.push((performance.now() - t0) / (images * repeat));
    cpu.push((ownCpuMs() - c0) / (images * repeat));
    faults.push((minorFaults() - f0) / (images * repeat));
  }
  return { wallMs: median(wall), cpuMs: median(cpu), faults: median(faults) };
}

/** What one in-process pipeline needs: the server's image kit, a one-thread session, one model input. */
export interface PipelineParts {
  decodeImage: ImageDecoder;
  kernels: PreprocessKernels;
  session: EngineSession;
  /**
   * One model input written over and over, as the server's recycled buffers are
   * (src/runtime/node/input-buffers.ts): a fresh one per image faulted 0–200 times, unevenly.
   */
  out: Float32Array;
}

/** The server's decoder (sharp, common PNGs through the fast path) and kernels; onnxruntime-node, 1 thread. */
export async function pipelineParts(model: BenchModel): Promise<PipelineParts> {
  const { decodeImage, kernels } = await createNodeImageKit();
  const session = await createNodeEngine({ providers: ['cpu'] }).createSession(model.bytes, { threads: 1 });
  const { width, height, channels } = model.manifest.input;
  return { decodeImage, kernels, session, out: new Float32Array(width * height * channels) };
}

/** decode → preprocess → inference of one photo: the pipeline stage, and each copy in pipeline-parallel.ts. */
export async function pipelineStep(model: BenchModel, parts: PipelineParts, i: number): Promise<unknown> {
  const bytes = model.photos[i % model.photos.length]!.bytes;
  const { manifest } = model;
  const decoded = await parts.decodeImage(bytes);
  const input = preprocess({ decoded, bytes }, manifest, parts.kernels, parts.out);
  return runRows(parts.session, [input], manifest.output.name);
}

export async function measureStages(model: BenchModel, rounds = 5): Promise<Stages> {
  const parts = await pipelineParts(model);
  const { decodeImage, kernels, session, out } = parts;
  const { photos, decoded, manifest } = model;
  const n = photos.length;
  try {
    const decode = await timed(rounds, n, (i) => decodeImage(photos[i]!.bytes));
    const pre = await timed(rounds, n, (i) =>
      preprocess({ decoded: decoded[i]!, bytes: photos[i]!.bytes }, manifest, kernels, out),
    );
    const inference = await timed(rounds, n, (i) =>
      runRows(session, [model.tensors[i]!], manifest.output.name),
    );
    const pipeline = await timed(rounds, n, (i) => pipelineStep(model, parts, i));
    return { decode, preprocess: pre, inference, pipeline };
  } finally {
    await session.dispose();
  }
}
