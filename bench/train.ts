/**
 * `netlens train` with and without its feature cache: Fashion-MNIST (200 training images per class and
 * 1,000 held-out, test/fashion-mnist.ts) on nsfw-mobilenet-v2's features, the default options. A cold
 * run (empty cache: every image decoded, preprocessed and run through the features model) and a warm
 * run (same command again: rows from the cache) alternate, each in its own child process running the
 * CLI's main(), so both pay the same start-up. Wall time, and CPU time of the whole child (every thread:
 * onnxruntime's included), with the load average: on this shared machine the CPU time is the steadier
 * number. Prints a Markdown section; `--record` replaces this bench's section of bench/RESULTS.md.
 *
 *   npx tsx bench/train.ts [--repeats 2] [--record]
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { ensureDefaultModels } from '../src/cli/start.js';
import { modelsDirectory } from '../src/runtime/node/model-dir.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';
import { fashionMnistFolders } from '../test/fashion-mnist.js';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = resolve(HERE, '..');
const RESULTS = join(HERE, 'RESULTS.md');
const START = '<!-- netlens-bench:train:start -->';
const END = '<!-- netlens-bench:train:end -->';
const BASE = 'nsfw-mobilenet-v2';

interface Measurement {
  kind: 'cold' | 'warm';
  wallS: number;
  cpuS: number;
  featuresS: number;
  fromCache: number;
  images: number;
  accuracy: number;
  load: [number, number];
}

/** Child: `netlens train …` through the CLI's main(), then this process's CPU time into `out`. */
async function child(out: string, args: string[]): Promise<void> {
  const { main } = await import('../src/cli/main.js');
  const code = await main(['node', 'netlens', ...args]);
  const cpu = process.cpuUsage();
  writeFileSync(out, JSON.stringify({ code, cpuS: (cpu.user + cpu.system) / 1e6 }));
}

async function once(kind: Measurement['kind'], modelsDir: string, cacheDir: string): Promise<Measurement> {
  const folders = await fashionMnistFolders(join(ROOT, 'test/.cache'));
  const out = join(modelsDir, 'measurement.json');
  const args = ['train', folders.train, '--base', BASE, '--name', 'fashion', '--test', folders.test];
  args.push('--models-dir', modelsDir, '--cache-dir', cacheDir, '--force', '--no-progress');
  const before = loadavg()[0]!;
  const started = performance.now();
  await run(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', out, ...args], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallS = (performance.now() - started) / 1000;
  const { code, cpuS } = JSON.parse(readFileSync(out, 'utf8')) as { code: number; cpuS: number };
  if (code !== 0) throw new Error(`netlens train exited with ${code}`);
  const report = JSON.parse(readFileSync(join(modelsDir, 'fashion.report/report.json'), 'utf8')) as {
    features: { seconds: number; fromCache: number; images: number };
    training: { evaluation: { accuracy: number } };
  };
  return {
    kind,
    wallS,
    cpuS,
    featuresS: report.features.seconds,
    fromCache: report.features.fromCache,
    images: report.features.images,
    accuracy: report.training.evaluation.accuracy,
    load: [before, loadavg()[0]!],
  };
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function markdown(rows: Measurement[]): string {
  const cold = rows.filter((r) => r.kind === 'cold');
  const warm = rows.filter((r) => r.kind === 'warm');
  const ratio = (f: (m: Measurement) => number) => median(cold.map(f)) / median(warm.map(f));
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return [
    START,
    '',
    '## netlens train: the feature cache (bench/train.ts)',
    '',
    `${when} UTC, ${cpus()[0]?.model ?? 'CPU'}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}. ` +
      `Fashion-MNIST (test/fashion-mnist.ts): 2,000 training and 1,000 held-out PNGs (28×28 grey), \`netlens train … --base ${BASE} --test …\` ` +
      'with the default options (softmax head, raw-pixel baseline 32×32). Cold: empty feature cache; warm: the same command again. ' +
      'Each run is a child process running the CLI (start-up included); CPU = that process, all threads. ' +
      'Runs alternate cold, warm, cold, warm. Run: `npx tsx bench/train.ts --record`.',
    '',
    '| run | kind | wall s | CPU s | features s | rows from cache | held-out accuracy | load average before → after |',
    '| --: | ---- | -----: | ----: | ---------: | --------------: | ----------------: | --------------------------- |',
    ...rows.map(
      (r, i) =>
        `| ${Math.floor(i / 2) + 1} | ${r.kind} | ${r.wallS.toFixed(1)} | ${r.cpuS.toFixed(1)} | ${r.featuresS.toFixed(1)} | ${r.fromCache} of ${r.images} | ${(r.accuracy * 100).toFixed(1)}% | ${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)} |`,
    ),
    '',
    `Warm runs are **${ratio((m) => m.wallS).toFixed(1)}× faster** in wall time and use **${ratio((m) => m.cpuS).toFixed(1)}× less CPU** (medians).`,
    '',
    END,
    '',
  ].join('\n');
}

/** Replaces this bench's section of RESULTS.md (formatted on its own: the rest of the file is left as it is). */
async function record(section: string): Promise<void> {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(RESULTS)) ?? {};
  const formatted = (await prettier.format(section, { ...config, parser: 'markdown' })).trimEnd();
  const text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const [i, j] = [text.indexOf(START), text.indexOf(END)];
  writeFileSync(
    RESULTS,
    i >= 0 && j > i
      ? text.slice(0, i) + formatted + text.slice(j + END.length)
      : `${text.trimEnd()}\n\n${formatted}\n`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { repeats: { type: 'string', default: '2' }, record: { type: 'boolean', default: false } },
  });
  const { settings } = readNodeSettings(process.env);
  await ensureDefaultModels({ ...settings, defaultModel: BASE });
  const source = modelsDirectory(settings.modelsDir);
  const modelsDir = mkdtempSync(join(tmpdir(), 'netlens-bench-train-'));
  const manifest = JSON.parse(readFileSync(join(source, `${BASE}.json`), 'utf8')) as {
    file: string;
    features: { file: string };
  };
  for (const file of [`${BASE}.json`, manifest.file, manifest.features.file]) {
    copyFileSync(join(source, file), join(modelsDir, file));
  }
  const rows: Measurement[] = [];
  try {
    for (let r = 0; r < Number(values.repeats); r++) {
      const cacheDir = join(modelsDir, `cache-${r}`);
      for (const kind of ['cold', 'warm'] as const) {
        rows.push(await once(kind, modelsDir, cacheDir));
        process.stderr.write(
          `[bench] ${kind}: ${rows.at(-1)!.wallS.toFixed(1)} s wall, ${rows.at(-1)!.cpuS.toFixed(1)} s CPU\n`,
        );
      }
    }
  } finally {
    rmSync(modelsDir, { recursive: true, force: true });
  }
  const section = markdown(rows);
  process.stdout.write(section);
  if (values.record) await record(section);
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv.slice(4));
else await main();
