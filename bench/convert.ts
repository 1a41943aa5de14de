/**
 * Conversion benchmark for the built-in architectures: time and peak memory (RSS high-water mark) of
 * `netlens convert --arch` 's library path — read the weights-only HDF5, build the architecture, pair the
 * weights, lower to ONNX, serialise, write the file — for VGG16 (528 MB of weights) and ResNet50 (98 MB),
 * on seeded weight files in Keras' layout. Each conversion runs in its own child process so maxRSS is its
 * own. Prints a Markdown table; `--append` adds it to bench/RESULTS.md.
 *
 *   npx tsx bench/convert.ts [--append] [--arch vgg16,resnet50]
 */
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildArchitectureSpec, type ArchitectureName } from '../src/convert/architectures/index.js';
import { convertKerasModel } from '../src/convert/index.js';
import { seedWeightsFile } from '../scripts/convert/seed-weights.js';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const OUT_DIR = resolve(HERE, 'out');

interface Measurement {
  arch: string;
  weightBytes: number;
  parameters: number;
  readMs: number;
  convertMs: number;
  writeMs: number;
  totalMs: number;
  onnxBytes: number;
  baselineRssMb: number;
  /** RSS high-water mark when the weights are read and paired (before lowering). */
  peakAfterReadMb: number;
  peakRssMb: number;
}

/** Child: one conversion, then report timings and the process' RSS high-water mark as JSON. */
async function child(arch: ArchitectureName, weightsPath: string): Promise<void> {
  const baselineRssMb = process.resourceUsage().maxRSS / 1024;
  const t0 = performance.now();
  const spec = await buildArchitectureSpec(arch, weightsPath);
  const t1 = performance.now();
  const peakAfterReadMb = process.resourceUsage().maxRSS / 1024;
  const result = await convertKerasModel(spec, {
    name: spec.defaults.name,
    architecture: arch,
    preprocessing: spec.defaults.preprocessing,
    ...(spec.defaults.labels ? { labels: spec.defaults.labels } : {}),
  });
  const t2 = performance.now();
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(resolve(OUT_DIR, `${spec.defaults.name}.onnx`), result.onnx);
  const t3 = performance.now();
  const m: Measurement = {
    arch,
    weightBytes: statSync(weightsPath).size,
    parameters: result.summary.parameters,
    readMs: t1 - t0,
    convertMs: t2 - t1,
    writeMs: t3 - t2,
    totalMs: t3 - t0,
    onnxBytes: result.onnx.byteLength,
    baselineRssMb,
    peakAfterReadMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(`RESULT ${JSON.stringify(m)}`);
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(0);
}

async function main(): Promise<void> {
  const archIndex = process.argv.indexOf('--arch');
  const arches = (archIndex > 0 ? (process.argv[archIndex + 1] ?? '') : 'resnet50,vgg16').split(
    ',',
  ) as ArchitectureName[];
  const rows: Measurement[] = [];
  for (const arch of arches) {
    const { path } = await seedWeightsFile(arch, {}, 1);
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', arch, path],
      {
        maxBuffer: 1 << 24,
      },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`no result from the ${arch} child:\n${stdout}`);
    rows.push(JSON.parse(line.slice('RESULT '.length)) as Measurement);
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const table = [
    `## Conversion: built-in architectures (bench/convert.ts)`,
    '',
    `${new Date().toISOString().slice(0, 10)}, ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ` +
      `Node ${process.version}; seeded weights in Keras' weights-only HDF5 layout (same size as the official files). ` +
      'One child process per model; peak = process.resourceUsage().maxRSS (includes Node + tsx, ' +
      '"baseline" column). Other agents were using the same 2 cores, so times are upper bounds. ' +
      'Run: `npx tsx bench/convert.ts`.',
    '',
    '| model | params | weights file MB | read+build+match s | lower+serialise s | write s | total s | ONNX MB | baseline RSS MB | peak RSS after read MB | peak RSS MB | peak / weights |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.arch} | ${r.parameters.toLocaleString('en-US')} | ${mb(r.weightBytes)} | ${(r.readMs / 1000).toFixed(1)} | ` +
        `${(r.convertMs / 1000).toFixed(1)} | ${(r.writeMs / 1000).toFixed(1)} | ${(r.totalMs / 1000).toFixed(1)} | ` +
        `${mb(r.onnxBytes)} | ${r.baselineRssMb.toFixed(0)} | ${r.peakAfterReadMb.toFixed(0)} | ${r.peakRssMb.toFixed(0)} | ` +
        `${((r.peakRssMb * 2 ** 20) / r.weightBytes).toFixed(2)}× |`,
    ),
    '',
  ].join('\n');
  console.log(table);
  if (process.argv.includes('--append')) {
    const results = resolve(HERE, 'RESULTS.md');
    if (!existsSync(results)) writeFileSync(results, '# Benchmark results\n\n');
    appendFileSync(results, `\n${table}`);
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as ArchitectureName, process.argv[4] ?? '');
} else {
  await main();
}
