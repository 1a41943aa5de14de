/**
 * The AWS Lambda package: `npm run build:lambda`'s sizes, and cold starts of the zip unzipped into an
 * empty folder, each in a fresh `node` (what Lambda's init does): import of handler.mjs, init (settings,
 * runtime, default model loaded and warmed up), the first classify event answered, CPU ms of the whole
 * process and its peak RSS. Two contenders, interleaved (A, B, A, B, …) so a busy machine slows both alike:
 *   zip       the default model packed in the zip (models/)
 *   mounted   nsfw-inception-v3 from a models folder outside the zip (NETLENS_MODELS_DIR, as an EFS mount)
 *
 *   tsx bench/lambda.ts [--rounds 5] [--record]   (--record rewrites its section of bench/RESULTS.md)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildLambda } from '../functions/lambda/build.js';
import { ensureDefaultModels } from '../src/cli/start.js';
import { mib } from '../src/core/units.js';
import { type ColdStart, coldStart, unzipClean } from '../test/support/lambda-zip.js';

const ROOT = resolve(import.meta.dirname, '..');
const MODELS_DIR = join(ROOT, 'models/onnx');
const PHOTO = resolve(ROOT, '../shared/data/images/clint_eastwood.jpg');
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, record: { type: 'boolean', default: false } },
});
const ROUNDS = Number(values.rounds);

const CONTENDERS = [
  { name: 'zip', model: 'nsfw-mobilenet-v2', env: {} },
  {
    name: 'mounted',
    model: 'nsfw-inception-v3',
    env: { NETLENS_MODELS_DIR: MODELS_DIR, NETLENS_MODEL: 'nsfw-inception-v3' },
  },
] as const;

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

await ensureDefaultModels({ modelsDir: MODELS_DIR, defaultModel: 'nsfw-mobilenet-v2' });
await ensureDefaultModels({ modelsDir: MODELS_DIR, defaultModel: 'nsfw-inception-v3' });
const loadBefore = load();
const started = performance.now();
const build = await buildLambda();
const buildS = (performance.now() - started) / 1000;
const dir = await unzipClean(build.zip);
const samples = new Map<string, ColdStart[]>(CONTENDERS.map((c) => [c.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const c of CONTENDERS) {
    const run = await coldStart(dir, PHOTO, 'image/jpeg', c.model, c.env);
    if (run.classify.statusCode !== 200) throw new Error(`${c.name}: ${run.classify.body}`);
    samples.get(c.name)!.push(run);
    console.log(
      `${c.name} #${round + 1}: import ${run.importMs.toFixed(0)} ms, init ${run.initMs.toFixed(0)} ms, ` +
        `first answer ${run.firstAnswerMs.toFixed(0)} ms, CPU ${run.cpuMs.toFixed(0)} ms, RSS ${run.maxRssMiB.toFixed(0)} MiB (load ${load()})`,
    );
  }
}
await rm(dir, { recursive: true, force: true });
const loadAfter = load();

const row = (c: (typeof CONTENDERS)[number]): string => {
  const runs = samples.get(c.name)!;
  const m = (f: (r: ColdStart) => number): string => median(runs.map(f)).toFixed(0);
  const total = (r: ColdStart): number => r.bootMs + r.importMs + r.initMs + r.firstAnswerMs;
  return `| ${c.name} | ${c.model} | ${m((r) => r.bootMs)} | ${m((r) => r.importMs)} | ${m((r) => r.initMs)} | ${m((r) => r.firstAnswerMs)} | ${m(total)} | ${m((r) => r.cpuMs)} | ${m((r) => r.maxRssMiB)} |`;
};
const parts = build.parts.map((p) => `${p.part} ${mib(p.bytes)}`).join(', ');
const section = [
  '<!-- netlens-bench:lambda:start -->',
  '',
  '## AWS Lambda package and cold start (bench/lambda.ts)',
  '',
  `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus()[0]?.model.split(' ')[0] ?? 'CPU'} ×${cpus().length} cores, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadBefore} before, ${loadAfter} after ` +
    `(other agents share the cores: wall times are upper bounds; CPU ms is the honest figure). ` +
    `Run: \`npx tsx bench/lambda.ts --record\`.`,
  '',
  `\`npm run build:lambda\` (default model): **${mib(build.unzippedBytes)} unzipped** (Lambda limit 250 MiB), ` +
    `**${mib(build.zippedBytes)} zipped** (direct upload limit 50 MiB); ${parts}. Build ${buildS.toFixed(0)} s.`,
  '',
  `Cold start of the unzipped package in a fresh \`node\`, median of ${ROUNDS} interleaved runs (ms; boot = process start to the script, ` +
    'import = `import("./handler.mjs")` with onnxruntime-node and sharp, init = model loaded and warmed up, first = the first classify event):',
  '',
  '| contender | model | boot | import | init | first answer | total | CPU ms | peak RSS MiB |',
  '| --------- | ----- | ---: | -----: | ---: | -----------: | ----: | -----: | -----------: |',
  ...CONTENDERS.map(row),
  '',
  '<!-- netlens-bench:lambda:end -->',
].join('\n');
console.log(`\n${section}`);

if (values.record) {
  const path = join(ROOT, 'bench/RESULTS.md');
  const text = readFileSync(path, 'utf8');
  const pattern = /<!-- netlens-bench:lambda:start -->[\s\S]*<!-- netlens-bench:lambda:end -->/;
  writeFileSync(
    path,
    pattern.test(text) ? text.replace(pattern, section) : `${text.trimEnd()}\n\n${section}\n`,
  );
  console.log(`recorded in ${path}`);
}
