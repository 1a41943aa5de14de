/**
 * Webhook jobs end to end vs synchronous classify, at the same concurrency, interleaved in one run.
 *   jobs: C signed hooks in flight; each job fetches its photo from a loopback image server, classifies
 *         it (the same batcher as /classify) and POSTs the signed result to a loopback receiver; a new
 *         hook is sent when a callback arrives.
 *   sync: C clients each GET the photo from the same image server and POST it to /classify.
 * One server process (this one, in-process) with the default model and an SQLite job store; CPU time
 * (process.cpuUsage: the engine's worker thread and the loopback servers included) per image beside wall
 * time and the load average. `npx tsx bench/jobs.ts [--concurrency 4] [--seconds 8] [--rounds 3] [--record]`
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/app/logger.js';
import { ensureDefaultModels } from '../src/cli/start.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';
import { startServer } from '../src/runtime/node/server.js';
import { photos, startImageServer } from '../test/support/job-load.js';
import { SECRET, signedHeaders } from '../test/support/webhooks.js';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const MODEL = 'nsfw-mobilenet-v2';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    record: { type: 'boolean', default: false },
  },
});
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);

interface Measure {
  mode: 'jobs' | 'sync';
  images: number;
  wallS: number;
  cpuMsPerImage: number;
  load: number;
}

/** Runs `one` in `concurrency` loops for `seconds`; counts completions and CPU time. */
async function measure(mode: Measure['mode'], one: (i: number) => Promise<void>): Promise<Measure> {
  let next = 0;
  let done = 0;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const stopAt = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < stopAt) {
        await one(next++);
        done++;
      }
    }),
  );
  const wallS = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    mode,
    images: done,
    wallS,
    cpuMsPerImage: (used.user + used.system) / 1000 / done,
    load: loadavg()[0]!,
  };
}

async function main(): Promise<void> {
  await ensureDefaultModels({ modelsDir: join(ROOT, 'models/onnx'), defaultModel: MODEL });
  const dir = await mkdtemp(join(tmpdir(), 'netlens-bench-jobs-'));
  const images = await startImageServer();
  const waiting = new Map<string, () => void>();
  const receiver: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      res.writeHead(204).end();
      const { jobId } = (JSON.parse(text) as { data: { jobId: string } }).data;
      waiting.get(jobId)?.();
      waiting.delete(jobId);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  const { settings } = readNodeSettings(process.env, {
    port: 0,
    defaultModel: MODEL,
    webhookSecrets: [SECRET],
    queue: `sqlite:${join(dir, 'jobs.sqlite')}`,
    fetchAllow: ['127.0.0.1/32'],
    jobConcurrency: concurrency,
  });
  const server = await startServer({ settings, assets: false, logger: silentLogger });
  const count = photos().length;
  const sync = async (i: number): Promise<void> => {
    const bytes = await (await fetch(images.url(i % count))).arrayBuffer();
    const res = await fetch(`${server.url}/v1/models/${MODEL}/classify`, { method: 'POST', body: bytes });
    if (res.status !== 200) throw new Error(`classify: ${res.status}`);
    await res.arrayBuffer();
  };
  let hook = 0;
  const job = async (i: number): Promise<void> => {
    const text = JSON.stringify({ imageUrl: images.url(i % count), callbackUrl });
    const res = await fetch(`${server.url}/v1/hooks/tag`, {
      method: 'POST',
      body: text,
      headers: signedHeaders(text, { id: `msg_bench_${hook++}` }),
    });
    const { jobId } = (await res.json()) as { jobId: string };
    await new Promise<void>((r) => waiting.set(jobId, r));
  };
  await measure('sync', sync); // warm-up (model, connections)
  const results: Measure[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [mode, one] of [
      ['jobs', job],
      ['sync', sync],
    ] as const) {
      const m = await measure(mode, one);
      results.push(m);
      console.log(
        `${mode} round ${r + 1}: ${(m.images / m.wallS).toFixed(1)} images/s, ${m.cpuMsPerImage.toFixed(1)} CPU ms/image, load ${m.load.toFixed(1)}`,
      );
    }
  }
  await server.close();
  receiver.close();
  await images.close();
  await rm(dir, { recursive: true, force: true });
  const section = report(results);
  console.log(section);
  if (values.record) await writeSection(section);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function report(results: Measure[]): string {
  const row = (mode: Measure['mode']) => {
    const ms = results.filter((m) => m.mode === mode);
    const rates = ms.map((m) => m.images / m.wallS);
    return `| ${mode === 'jobs' ? 'webhook jobs (fetch → classify → signed callback)' : 'synchronous classify (fetch → POST /classify)'} | ${median(rates).toFixed(1)} | ${Math.max(...rates).toFixed(1)} | ${median(ms.map((m) => m.cpuMsPerImage)).toFixed(1)} |`;
  };
  const jobs = median(results.filter((m) => m.mode === 'jobs').map((m) => m.images / m.wallS));
  const syncRate = median(results.filter((m) => m.mode === 'sync').map((m) => m.images / m.wallS));
  const loads = results.map((m) => m.load.toFixed(1)).join(', ');
  return [
    `### ${MODEL}, concurrency ${concurrency} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${cpus()[0]?.model ?? 'CPU'}, ${availableParallelism()} cores, Node ${process.version}; ${rounds} interleaved rounds of ${seconds} s each; load average after each run: ${loads}.`,
    '',
    '| mode | images/s (median) | best | CPU ms per image (median) |',
    '| --- | --- | --- | --- |',
    row('jobs'),
    row('sync'),
    '',
    `- jobs reach ${((100 * jobs) / syncRate).toFixed(0)}% of synchronous classify's rate at the same concurrency (the difference is the durable SQLite writes, the lease/poll cycle and the signed callback).`,
    '',
  ].join('\n');
}

const HEADING = '## Webhook jobs (bench/jobs.ts)';

async function writeSection(section: string): Promise<void> {
  const start = '<!-- netlens-bench:jobs:start -->';
  const end = '<!-- netlens-bench:jobs:end -->';
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const block = `${start}\n${HEADING}\n\nWebhook jobs end to end vs synchronous classify at the same concurrency, interleaved in one run: \`npx tsx bench/jobs.ts --record [--concurrency 4]\`.\n\n${section}${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text =
    i >= 0 && j > i
      ? text.slice(0, i) + block + text.slice(j + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(RESULTS)) ?? {};
  writeFileSync(RESULTS, await prettier.format(text, { ...options, filepath: RESULTS }));
}

await main();
