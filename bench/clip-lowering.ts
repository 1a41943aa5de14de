/**
 * Keras `ReLU(max_value=6)` lowered as one `Clip(0, 6)` (now) against `Relu` + `Min` (before): inference
 * of the built-in nsfw-mobilenet-v2 on ONE intra-op thread with onnxruntime-node, the server's session
 * options otherwise. The "before" graph is the current one with each Clip(x, 0, max) rewritten as
 * Min(Relu(x), max) — exactly what the converter wrote before (src/convert/keras/lower/activation-layers.ts).
 *
 * Contenders run interleaved (A B A B …) in one process, several rounds; each round times `--images`
 * single-image runs on the shared photos. Reported per contender: median and best wall ms per image and
 * CPU ms per image (process.cpuUsage, user + system: onnxruntime's threads are this process's), the load
 * average before and after, and the before/after ratio of the medians. Outputs of both are compared.
 *
 *   npx tsx bench/clip-lowering.ts [--rounds 9] [--images 40] [--record]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { parseManifest } from '../src/core/manifest.js';
import { ONNX_SCHEMA } from '../src/convert/onnx/schema.js';
import { photoInputs } from '../src/convert/verify/photo-inputs.js';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const MODEL = 'nsfw-mobilenet-v2';
const START = '<!-- netlens-bench:clip-lowering:start -->';
const END = '<!-- netlens-bench:clip-lowering:end -->';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Node {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute?: unknown[];
}

/** The graph with every Clip(x, min=0, max) as Min(Relu(x), max): the converter's lowering before. */
function reluMin(bytes: Uint8Array): { bytes: Uint8Array; rewritten: number } {
  const type = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType(
    'onnx.ModelProto',
  );
  const model = type.toObject(type.decode(bytes), { bytes: Array }) as { graph: { node: Node[] } };
  const nodes: Node[] = [];
  let rewritten = 0;
  for (const node of model.graph.node) {
    if (node.opType !== 'Clip' || node.input.length !== 3) {
      nodes.push(node);
      continue;
    }
    const [x, , max] = node.input as [string, string, string];
    const relu = `${node.output[0]}/relu`;
    nodes.push({ input: [x], output: [relu], name: relu, opType: 'Relu' });
    nodes.push({ input: [relu, max], output: node.output, name: `${node.name}/min`, opType: 'Min' });
    rewritten += 1;
  }
  model.graph.node = nodes;
  return { bytes: type.encode(type.fromObject(model)).finish(), rewritten };
}

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true,
    logSeverityLevel: 3, // "before" leaves the Clip's unused 0 initializers, which onnxruntime warns about
  });
}

interface Round {
  wallMs: number;
  cpuMs: number;
}

async function timeRound(s: ort.InferenceSession, feeds: ort.Tensor[], images: number): Promise<Round> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < images; i++)
    await s.run({ [s.inputNames[0] as string]: feeds[i % feeds.length] as ort.Tensor });
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { wallMs: wall / images, cpuMs: (used.user + used.system) / 1000 / images };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function main(): Promise<void> {
  const rounds = arg('rounds', 9);
  const images = arg('images', 40);
  const dir = join(ROOT, 'models/onnx');
  const manifest = parseManifest(JSON.parse(readFileSync(join(dir, `${MODEL}.json`), 'utf8')));
  const after = new Uint8Array(readFileSync(join(dir, manifest.file)));
  const before = reluMin(after);
  const photos = await photoInputs(resolve(ROOT, '../shared/data/images'), manifest);
  const feeds = photos.map((p) => new ort.Tensor('float32', p.tensor.data, [...p.tensor.dims]));
  const contenders = [
    { name: 'before: Relu + Min', session: await session(before.bytes), rounds: [] as Round[] },
    { name: 'after: Clip(0, 6)', session: await session(after), rounds: [] as Round[] },
  ];
  // Same outputs (within float rounding) on every photo.
  let maxDiff = 0;
  for (const feed of feeds) {
    const [a, b] = await Promise.all(
      contenders.map(async (c) => (await c.session.run({ input: feed })).output?.data as Float32Array),
    );
    for (let i = 0; i < (a?.length ?? 0); i++)
      maxDiff = Math.max(maxDiff, Math.abs((a?.[i] ?? 0) - (b?.[i] ?? 0)));
  }
  const loadBefore = loadavg();
  for (const c of contenders) await timeRound(c.session, feeds, 10); // warm-up
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) c.rounds.push(await timeRound(c.session, feeds, images));
  }
  const loadAfter = loadavg();
  const rows = contenders.map((c) => ({
    name: c.name,
    wall: median(c.rounds.map((x) => x.wallMs)),
    wallBest: Math.min(...c.rounds.map((x) => x.wallMs)),
    cpu: median(c.rounds.map((x) => x.cpuMs)),
    cpuBest: Math.min(...c.rounds.map((x) => x.cpuMs)),
  }));
  const [b, a] = rows as [(typeof rows)[0], (typeof rows)[0]];
  const fmt = (x: number) => x.toFixed(2);
  const text = [
    START,
    '',
    '## Keras ReLU(max_value=6) as Clip: nsfw-mobilenet-v2 inference (bench/clip-lowering.ts)',
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores, ` +
      `onnxruntime-node ${ort.env.versions.node ?? ''}, ONE intra-op thread, graphOptimizationLevel all; load average ` +
      `${loadBefore.map((x) => x.toFixed(1)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(1)).join(' ')} after. ` +
      `Interleaved A/B, ${rounds} rounds × ${images} single-image runs on the ${feeds.length} shared photos. "before" is ` +
      `the current graph with its ${before.rewritten} Clip(x, 0, 6) rewritten as Min(Relu(x), 6), the converter's old lowering; ` +
      `outputs of the two differ by at most ${maxDiff.toExponential(1)}. Run: \`npx tsx bench/clip-lowering.ts --record\`.`,
    '',
    '| lowering | wall ms/image (median) | best | CPU ms/image (median) | best |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) => `| ${r.name} | ${fmt(r.wall)} | ${fmt(r.wallBest)} | ${fmt(r.cpu)} | ${fmt(r.cpuBest)} |`,
    ),
    '',
    `Speed-up (before / after, medians): **${(b.cpu / a.cpu).toFixed(2)}× in CPU time**, ${(b.wall / a.wall).toFixed(2)}× in wall time.`,
    '',
    END,
  ].join('\n');
  console.log(text);
  for (const c of contenders) await c.session.release();
  if (process.argv.includes('--record')) {
    const current = readFileSync(RESULTS, 'utf8');
    const at = current.indexOf(START);
    const next =
      at >= 0
        ? current.slice(0, at) + text + current.slice(current.indexOf(END) + END.length)
        : `${current.trimEnd()}\n\n${text}\n`;
    writeFileSync(RESULTS, next);
  }
}

await main();
