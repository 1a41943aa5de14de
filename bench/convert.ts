/**
 * Conversion benchmark for the built-in architectures: time and peak memory (RSS high-water mark) of
 * converting seeded weights-only HDF5 files (Keras' layout, the official files' sizes) for ResNet50
 * (103 MB of weights) and VGG16 (553 MB), two ways:
 *
 * - `netlens convert`: `convertModelFile(file, { arch })` — read, convert, stream the model and its
 *   features model to disk (what `netlens convert --arch A` runs, without the CLI's progress bar);
 * - `convertKerasModel`: the library call that returns the ONNX bytes (so it holds weights + bytes).
 *
 * Each conversion runs in its own child process so maxRSS is its own. The child imports only the
 * converter modules it needs (not src/convert/index.ts, which also exports the TF.js verifier).
 * Prints a Markdown section; `--record` (or `--append`) replaces the conversion section of
 * bench/RESULTS.md (between its markers), or adds it when there is none.
 *
 *   npx tsx bench/convert.ts [--record] [--arch resnet50,vgg16]
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ArchitectureName } from '../src/convert/architectures/index.js';
import { seedWeightsFile } from '../scripts/convert/seed-weights.js';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const OUT_DIR = resolve(HERE, 'out');
const START = '<!-- netlens-bench:convert:start -->';
const END = '<!-- netlens-bench:convert:end -->';

type Path = 'netlens convert' | 'convertKerasModel';
const PATHS: Path[] = ['netlens convert', 'convertKerasModel'];

interface Measurement {
  arch: string;
  path: Path;
  weightBytes: number;
  parameters: number;
  /** maxRSS before any converter module is loaded: Node + the tsx loader. */
  baselineMb: number;
  /** maxRSS once the converter's modules are loaded. */
  modulesMb: number;
  /** maxRSS when the weights are read and paired (before lowering). */
  afterReadMb: number;
  peakMb: number;
  readS: number;
  totalS: number;
  onnxBytes: number;
}

function maxRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Child: one conversion, then its timings and RSS high-water marks as one JSON line. */
async function child(path: Path, arch: ArchitectureName, weightsPath: string): Promise<void> {
  const baselineMb = maxRssMb();
  const t0 = performance.now();
  let afterReadMb = 0;
  let readS = 0;
  let parameters = 0;
  let onnxBytes = 0;
  if (path === 'netlens convert') {
    const { convertModelFile } = await import('../src/convert/convert-file.js');
    const modulesMb = maxRssMb();
    const outDir = mkdtempSync(join(tmpdir(), 'netlens-bench-convert-'));
    try {
      const result = await convertModelFile(weightsPath, {
        arch,
        outDir,
        onProgress: (p) => {
          if (p.phase !== 'read' && afterReadMb === 0) {
            afterReadMb = maxRssMb();
            readS = (performance.now() - t0) / 1000;
          }
        },
      });
      parameters = result.summary.parameters;
      onnxBytes = result.summary.onnxBytes + (result.featuresSummary?.onnxBytes ?? 0);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
    report({ modulesMb });
  } else {
    const { buildArchitectureSpec } = await import('../src/convert/architectures/index.js');
    const { convertKerasModel } = await import('../src/convert/keras/convert.js');
    const modulesMb = maxRssMb();
    const spec = await buildArchitectureSpec(arch, weightsPath);
    afterReadMb = maxRssMb();
    readS = (performance.now() - t0) / 1000;
    const result = await convertKerasModel(spec, {
      name: spec.defaults.name,
      architecture: arch,
      preprocessing: spec.defaults.preprocessing,
      ...(spec.defaults.labels ? { labels: spec.defaults.labels } : {}),
    });
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(resolve(OUT_DIR, `${spec.defaults.name}.onnx`), result.onnx);
    parameters = result.summary.parameters;
    onnxBytes = result.onnx.byteLength;
    report({ modulesMb });
  }

  function report({ modulesMb }: { modulesMb: number }): void {
    const m: Measurement = {
      arch,
      path,
      weightBytes: statSync(weightsPath).size,
      parameters,
      baselineMb,
      modulesMb,
      afterReadMb,
      peakMb: maxRssMb(),
      readS,
      totalS: (performance.now() - t0) / 1000,
      onnxBytes,
    };
    console.log(`RESULT ${JSON.stringify(m)}`);
  }
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(0);
}

function ratio(mib: number, bytes: number): string {
  return `${((mib * 2 ** 20) / bytes).toFixed(2)}×`;
}

function section(rows: Measurement[]): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return [
    START,
    '',
    '## Conversion: built-in architectures (bench/convert.ts)',
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpu}, ${cpus().length} cores, ` +
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, load average ` +
      `${(loadavg()[0] ?? 0).toFixed(1)} at the end; seeded weights in Keras' weights-only HDF5 layout ` +
      "(the official files' sizes). One child process per row (`node --import tsx`); peak = " +
      'process.resourceUsage().maxRSS of that process in MiB (2²⁰ bytes; file sizes are in MB, 10⁶ bytes, ' +
      'and the ratios compare bytes), so it includes the fixed Node + tsx baseline and ' +
      'the converter\'s modules. "netlens convert" = `convertModelFile(file, { arch })`, what ' +
      '`netlens convert --arch A` runs: the model and its features model streamed to disk. ' +
      '"convertKerasModel" returns the ONNX bytes, so it holds the weights and the bytes at once. ' +
      'Other agents share the 2 cores: times are upper bounds. Run: `npx tsx bench/convert.ts --record`.',
    '',
    '| model | path | params | weights MB | Node+tsx MiB | + modules MiB | after read MiB | peak RSS MiB | peak / weights | (peak − Node+tsx) / weights | read s | total s | ONNX MB written |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.arch} | ${r.path} | ${r.parameters.toLocaleString('en-US')} | ${mb(r.weightBytes)} | ` +
        `${r.baselineMb.toFixed(0)} | ${r.modulesMb.toFixed(0)} | ${r.afterReadMb.toFixed(0)} | ${r.peakMb.toFixed(0)} | ` +
        `${ratio(r.peakMb, r.weightBytes)} | ${ratio(r.peakMb - r.baselineMb, r.weightBytes)} | ` +
        `${r.readS.toFixed(1)} | ${r.totalS.toFixed(1)} | ${mb(r.onnxBytes)} |`,
    ),
    '',
  ].join('\n');
}

/** Replaces the marked conversion section of RESULTS.md, or the unmarked one it replaces, or appends. */
function record(text: string): void {
  const results = resolve(HERE, 'RESULTS.md');
  const old = existsSync(results) ? readFileSync(results, 'utf8') : '# Benchmark results\n\n';
  const start = old.indexOf(START);
  const end = old.indexOf(END);
  let next: string;
  if (start >= 0 && end > start) {
    next = `${old.slice(0, start)}${text}${old.slice(end)}`;
  } else {
    const legacy = old.indexOf('## Conversion: built-in architectures');
    if (legacy >= 0) {
      const after = old.indexOf('\n## ', legacy + 1);
      const tail = after >= 0 ? old.slice(after + 1) : '';
      next = `${old.slice(0, legacy)}${text}${END}\n\n${tail}`;
    } else {
      next = `${old.trimEnd()}\n\n${text}${END}\n`;
    }
  }
  writeFileSync(results, next);
}

async function main(): Promise<void> {
  const archIndex = process.argv.indexOf('--arch');
  const arches = (archIndex > 0 ? (process.argv[archIndex + 1] ?? '') : 'resnet50,vgg16').split(
    ',',
  ) as ArchitectureName[];
  const rows: Measurement[] = [];
  for (const arch of arches) {
    const { path } = await seedWeightsFile(arch, {}, 1);
    for (const p of PATHS) {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', p, arch, path],
        { maxBuffer: 1 << 24 },
      );
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`no result from the ${arch} ${p} child:\n${stdout}`);
      rows.push(JSON.parse(line.slice('RESULT '.length)) as Measurement);
    }
  }
  const text = section(rows);
  console.log(text);
  if (process.argv.includes('--record') || process.argv.includes('--append')) record(text);
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as Path, process.argv[4] as ArchitectureName, process.argv[5] ?? '');
} else {
  await main();
}
