/**
 * `npm run bench`: `netlens bench`'s stage timings (src/cli/bench.ts) on the shared photos, printed with
 * the machine and ratios; `-- --record` rewrites this model's section of bench/RESULTS.md.
 * Usage: npm run bench -- [--model a,b] [--batch 1,8] [--seconds 2] [--record]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchOptions, benchTable, ratios, runBench } from '../src/cli/bench.js';
import type { LoadedModel } from '../src/cli/load-model.js';
import { ensureDefaultModels } from '../src/cli/start.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const PHOTOS = resolve(ROOT, '../shared/data/images');

function machine(model: LoadedModel): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  // The load average says whether other work shared the cores during the run (numbers are then lower).
  return `${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, load average ${loadavg()[0]!.toFixed(1)} at the end, Node ${process.version}, ${model.engineName} (${model.session.provider})`;
}

function markdown(result: Awaited<ReturnType<typeof runBench>>, options: BenchOptions): string {
  const { model, rows } = result;
  const lines = [
    `### ${model.manifest.name} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine(model)}. ${result.images} photos (../shared/data/images), ≥${options.seconds ?? 2} s per measurement, ` +
      `model ${model.manifest.input.height}×${model.manifest.input.width}, resize ${model.manifest.preprocessing.resize}.`,
    '',
    benchTable(rows),
    '',
    ...ratios(rows).map((r) => `- ${r}`),
    '',
  ];
  return lines.join('\n');
}

const START = '<!-- netlens-bench:node-pipeline:start -->';
const END = '<!-- netlens-bench:node-pipeline:end -->';

/** Replaces this bench's section for the model in RESULTS.md (other sections are left alone). */
async function record(section: string, modelName: string): Promise<void> {
  const start = `${START.replace('start', `start:${modelName}`)}`;
  const end = `${END.replace('end', `end:${modelName}`)}`;
  const block = `${start}\n${section}${end}`;
  let text = existsSync(RESULTS)
    ? readFileSync(RESULTS, 'utf8')
    : '# Benchmark results\n\nEach bench owns a section; re-running it replaces its own block.\n';
  if (!text.includes('## Node pipeline (npm run bench)')) {
    text +=
      '\n## Node pipeline (npm run bench)\n\n' +
      'Decode (sharp), preprocess (core) and inference (onnxruntime-node, CPU) timed separately and end to end in the ' +
      'same run, so the ratios compare. Run `npm run bench` (`-- --record` rewrites the section of that model here; ' +
      '`-- --model nsfw-inception-v3` for the other built-in model). The load average shows whether other work ' +
      'shared the cores: on a busy machine the absolute numbers are far below an idle one.\n\n';
  }
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else {
    const heading = text.indexOf('## Node pipeline (npm run bench)');
    const nextHeading = text.indexOf('\n## ', heading + 5);
    const at = nextHeading < 0 ? text.length : nextHeading + 1;
    text = `${text.slice(0, at).trimEnd()}\n\n${block}\n${text.slice(at)}`;
  }
  // Keep the file as the formatter wants it (npm run lint checks markdown too).
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(RESULTS)) ?? {};
  writeFileSync(RESULTS, await prettier.format(text, { ...config, filepath: RESULTS }));
}

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    batch: { type: 'string', default: '1,8' },
    seconds: { type: 'string', default: '2' },
    record: { type: 'boolean', default: false },
  },
});
const { settings } = readNodeSettings(process.env);
await ensureDefaultModels(settings);
for (const name of (values.model ?? settings.defaultModel).split(',')) {
  const options: BenchOptions = { model: name, images: PHOTOS, batch: values.batch, seconds: values.seconds };
  const result = await runBench(options);
  const section = markdown(result, options);
  process.stdout.write(`${section}\n`);
  if (values.record) {
    await record(section, result.model.manifest.name);
    process.stderr.write(`[bench] recorded in ${RESULTS}\n`);
  }
  await result.model.session.dispose();
}
