/**
 * `npx tsx bench/http.ts [--seconds 8] [--model NAME] [--clients 1,4,16,64] [--record]`
 *
 * Load test of the HTTP service: the real server (functions/node/main.ts) as a child process on
 * 127.0.0.1, autocannon sending the shared photos as raw bodies at 1, 4, 16 and 64 concurrent clients,
 * with dynamic batching on (maxBatch 16) and off (maxBatch 1). Right before each HTTP point the raw engine
 * is measured in this process (server idle) on the same photos, so ratios compare numbers taken under
 * the same machine load:
 *   - engine: onnxruntime-node session.run on already-preprocessed tensors, at the server's batch size;
 *   - pipeline: decode (sharp) + preprocess (core) + inference in one process, same batch size.
 * Everything is bounded in time (--seconds per point). --record writes the section into bench/RESULTS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { extname, join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { type LoadedModel, loadModel } from '../src/cli/load-model.js';
import { ensureDefaultModels } from '../src/cli/start.js';
import type { Float32Tensor } from '../src/core/engine.js';
import { stackBatch } from '../src/core/image/index.js';
import { decodeImage } from '../src/runtime/node/decode-image.js';
import { defaultModelName } from '../src/runtime/node/model-dir.js';

const ROOT = resolve(import.meta.dirname, '..');
const RESULTS = join(ROOT, 'bench/RESULTS.md');
const PHOTOS = resolve(ROOT, '../shared/data/images');
const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' };

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const seconds = Number(arg('seconds', '8'));
const rawSeconds = Number(arg('raw-seconds', '3'));
const clientCounts = arg('clients', '1,4,16,64').split(',').map(Number);
const modelName = arg('model', defaultModelName());
const record = process.argv.includes('--record');
/** onnxruntime intra-op threads in the server (NETLENS_THREADS); default: every core. */
const serverThreads = arg('server-threads', '');

const MODES = [
  { name: 'batching on', batch: 16, env: { NETLENS_MAX_BATCH: '16', NETLENS_MAX_DELAY_MS: '2' } },
  { name: 'batching off', batch: 1, env: { NETLENS_MAX_BATCH: '1', NETLENS_MAX_DELAY_MS: '0' } },
] as const;

interface Point {
  mode: string;
  clients: number;
  httpImagesPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  meanBatch: number;
  engineImagesPerSecond: number;
  load: number;
}

const photos = readdirSync(PHOTOS)
  .filter((f) => TYPES[extname(f)])
  .sort()
  .map((name) => ({ name, bytes: readFileSync(join(PHOTOS, name)), type: TYPES[extname(name)]! }));

/** Repeats `step` (handling `perStep` images) for `s` seconds after one untimed run; images/s. */
async function rate(s: number, perStep: number, step: (i: number) => Promise<unknown>): Promise<number> {
  await step(0);
  let i = 0;
  const started = performance.now();
  while (i < 2 || performance.now() - started < s * 1000) await step(i++);
  return (i * perStep * 1000) / (performance.now() - started);
}

function engineRate(
  model: LoadedModel,
  tensors: Float32Tensor[],
  batch: number,
  s = rawSeconds,
): Promise<number> {
  const batches = photos.map((_, i) =>
    stackBatch(Array.from({ length: batch }, (_, j) => tensors[(i + j) % tensors.length]!)),
  );
  return rate(s, batch, (i) => model.classifier.predictProbabilities(batches[i % batches.length]!));
}

function pipelineRate(model: LoadedModel, batch: number): Promise<number> {
  return rate(rawSeconds, batch, async (i) => {
    const picked = Array.from({ length: batch }, (_, j) => photos[(i * batch + j) % photos.length]!.bytes);
    const images = await Promise.all(
      picked.map(async (bytes) => ({ bytes, decoded: await decodeImage(bytes) })),
    );
    return model.classifier.classifyImages(images, 5);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

async function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'functions/node/main.ts'),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--model',
      modelName,
    ],
    {
      cwd: ROOT,
      // warn: no per-request log lines competing for the CPU.
      env: {
        ...process.env,
        NETLENS_LOG_LEVEL: 'warn',
        NETLENS_MAX_QUEUE: '4096',
        NETLENS_TIMEOUT_MS: '120000',
        ...(serverThreads && { NETLENS_THREADS: serverThreads }),
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const exited = new Promise<never>((_, fail) =>
    child.once('exit', (code) => fail(new Error(`server exited (${code})`))),
  );
  const started = Date.now();
  for (;;) {
    const ready = await Promise.race([
      fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      ),
      exited,
    ]);
    if (ready) return { child, url };
    if (Date.now() - started > 120_000) throw new Error('server did not become ready in 120 s');
    await new Promise((done) => setTimeout(done, 100));
  }
}

async function batchStats(url: string): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = Number(/netlens_batch_size_sum\{[^}]*variant="model"\} (\S+)/.exec(text)?.[1] ?? 0);
  const count = Number(/netlens_batch_size_count\{[^}]*variant="model"\} (\S+)/.exec(text)?.[1] ?? 0);
  return { sum, count };
}

async function load(url: string, clients: number, duration: number) {
  return autocannon({
    url,
    connections: clients,
    duration,
    timeout: 120,
    requests: photos.map((p) => ({
      method: 'POST' as const,
      path: `/v1/models/${modelName}/classify`,
      headers: { 'content-type': p.type },
      body: p.bytes,
    })),
  });
}

async function main(): Promise<void> {
  if (arg('model', '') === '') await ensureDefaultModels();
  const model = await loadModel({ model: modelName, providers: 'cpu' });
  const decoded = await Promise.all(photos.map((p) => decodeImage(p.bytes)));
  const tensors = decoded.map((d, i) => model.classifier.preprocess({ decoded: d, bytes: photos[i]!.bytes }));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(
    `[bench:http] ${modelName}, ${photos.length} photos, ${seconds} s per HTTP point, ${rawSeconds} s per raw point`,
  );

  const pipelines: Record<string, number> = {};
  const points: Point[] = [];
  for (const mode of MODES) {
    pipelines[mode.name] = await pipelineRate(model, mode.batch);
    log(
      `  ${mode.name}: in-process pipeline (decode+preprocess+inference, batch ${mode.batch}) ${pipelines[mode.name]!.toFixed(1)} images/s`,
    );
    const server = await startServer(mode.env);
    try {
      await load(server.url, 4, 2); // warm-up: JIT, ORT arenas for larger batches
      for (const clients of clientCounts) {
        const engine = await engineRate(model, tensors, mode.batch);
        const before = await batchStats(server.url);
        const result = await load(server.url, clients, seconds);
        const after = await batchStats(server.url);
        const ok = result.requests.total - result.non2xx - result.errors;
        const point: Point = {
          mode: mode.name,
          clients,
          httpImagesPerSecond: ok / result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors: result.non2xx + result.errors + result.timeouts,
          meanBatch: after.count > before.count ? (after.sum - before.sum) / (after.count - before.count) : 0,
          engineImagesPerSecond: engine,
          load: loadavg()[0]!,
        };
        points.push(point);
        log(
          `  ${mode.name.padEnd(13)} ${String(clients).padStart(3)} clients: ${point.httpImagesPerSecond.toFixed(1).padStart(6)} images/s ` +
            `(engine ${engine.toFixed(1)}, ${((100 * point.httpImagesPerSecond) / engine).toFixed(0)}%), p50 ${point.p50} ms, p99 ${point.p99} ms, ` +
            `mean batch ${point.meanBatch.toFixed(1)}, errors ${point.errors}, load ${point.load.toFixed(1)}`,
        );
      }
    } finally {
      const exit = new Promise((done) => server.child.once('exit', done));
      server.child.kill('SIGTERM');
      await exit;
    }
  }
  await model.session.dispose();
  const section = markdown(model, points, pipelines);
  process.stdout.write(`${section}\n`);
  if (record) {
    writeSection(section);
    log(`[bench:http] recorded in ${RESULTS}`);
  }
}

function markdown(model: LoadedModel, points: Point[], pipelines: Record<string, number>): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const at16 = points.find((p) => p.mode === 'batching on' && p.clients === 16);
  const lines = [
    `### ${model.manifest.name} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ` +
      `${model.engineName} (${model.session.provider}). Server and load generator on the same machine (127.0.0.1). ` +
      `${photos.length} photos (../shared/data/images) as raw bodies in rotation, ${seconds} s per point. ` +
      `"engine" = session.run on preprocessed tensors at the server's batch size, measured just before each point; ` +
      `"load" = 1-minute load average during the point (other work on the machine skews absolute numbers).`,
    '',
    `In-process pipeline (decode + preprocess + inference, no HTTP): ${Object.entries(pipelines)
      .map(([mode, r]) => `${r.toFixed(1)} images/s at batch ${mode === 'batching on' ? 16 : 1}`)
      .join(', ')}.`,
    '',
    '| mode | clients | HTTP images/s | engine images/s | HTTP / engine | HTTP / pipeline | p50 ms | p99 ms | mean batch | errors | load |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...points.map(
      (p) =>
        `| ${p.mode} | ${p.clients} | ${p.httpImagesPerSecond.toFixed(1)} | ${p.engineImagesPerSecond.toFixed(1)} | ` +
        `${pct(p.httpImagesPerSecond / p.engineImagesPerSecond)} | ${pct(p.httpImagesPerSecond / pipelines[p.mode]!)} | ` +
        `${p.p50} | ${p.p99} | ${p.meanBatch.toFixed(1)} | ${p.errors} | ${p.load.toFixed(1)} |`,
    ),
    '',
  ];
  if (at16) {
    lines.push(
      `At 16 clients with batching: ${pct(at16.httpImagesPerSecond / at16.engineImagesPerSecond)} of the raw engine's images/s ` +
        `(target ≥ 85%), ${pct(at16.httpImagesPerSecond / pipelines['batching on']!)} of the in-process pipeline.`,
      '',
    );
  }
  return lines.join('\n');
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

const START = '<!-- netlens-bench:http:start -->';
const END = '<!-- netlens-bench:http:end -->';
const HEADING = '## HTTP service (bench/http.ts)';

/** Replaces this bench's block in RESULTS.md (other sections are left alone). */
function writeSection(section: string): void {
  let text = existsSync(RESULTS)
    ? readFileSync(RESULTS, 'utf8')
    : '# Benchmark results\n\nEach bench owns a section; re-running it replaces its own block.\n';
  const block = `${HEADING}\n\nautocannon against the Node server on 127.0.0.1 (\`npx tsx bench/http.ts --record\`).\n\n${START}\n${section}${END}\n`;
  const i = text.indexOf(HEADING);
  const j = text.indexOf(END);
  text =
    i >= 0 && j > i
      ? text.slice(0, i) + block + text.slice(j + END.length + 1)
      : `${text.trimEnd()}\n\n${block}`;
  writeFileSync(RESULTS, text);
}

await main();
