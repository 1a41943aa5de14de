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
 * Each HTTP point loads the server for --ramp seconds, then counts the images it runs (netlens_images_total)
 * and its CPU time over --seconds. Everything is bounded in time. --record writes bench/RESULTS.md's section.
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
import { classify, preprocess, runRows } from '../src/core/pipeline.js';
import { decodeImage } from '../src/runtime/node/decode-image.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';

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
/** Load before the measured window of each HTTP point. */
const ramp = Number(arg('ramp', '3'));
const clientCounts = arg('clients', '1,4,16,64').split(',').map(Number);
const modelName = arg('model', readNodeSettings(process.env).settings.defaultModel);
const record = process.argv.includes('--record');
/**
 * Engine calls in flight per model and onnxruntime threads, as the server picks them (NETLENS_CONCURRENCY,
 * NETLENS_THREADS, or --server-threads); the engine measurement uses the same.
 */
const defaults = readNodeSettings({
  ...process.env,
  ...(arg('server-threads', '') && { NETLENS_THREADS: arg('server-threads', '') }),
}).settings;
const { engineWorker: worker, concurrency, threads } = defaults;

const ALL_MODES = [
  { name: 'batching on', batch: 16, env: { NETLENS_MAX_BATCH: '16', NETLENS_MAX_DELAY_MS: '2' } },
  { name: 'batching off', batch: 1, env: { NETLENS_MAX_BATCH: '1', NETLENS_MAX_DELAY_MS: '0' } },
  {
    name: 'server defaults',
    batch: defaults.maxBatch,
    env: { NETLENS_MAX_BATCH: String(defaults.maxBatch), NETLENS_MAX_DELAY_MS: String(defaults.maxDelayMs) },
  },
] as const;
/** --modes on,off,defaults (default: all three). */
const MODES = ALL_MODES.filter((m) =>
  arg('modes', 'on,off,defaults').split(',').includes(m.name.split(' ')[1]!),
);

interface Point {
  mode: string;
  clients: number;
  httpImagesPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  meanBatch: number;
  engineImagesPerSecond: number;
  /** Server process CPU per image, and the engine's (inference only) measured just before. */
  httpCpuMs: number;
  engineCpuMs: number;
  load: number;
}

const photos = readdirSync(PHOTOS)
  .filter((f) => TYPES[extname(f)])
  .sort()
  .map((name) => ({ name, bytes: readFileSync(join(PHOTOS, name)), type: TYPES[extname(name)]! }));

interface Rate {
  imagesPerSecond: number;
  /** CPU time of this process (all threads) per image: robust to other load on the machine. */
  cpuMsPerImage: number;
}

/** Repeats `step` (handling `perStep` images) for `s` seconds after one untimed run. */
async function rate(s: number, perStep: number, step: (i: number) => Promise<unknown>): Promise<Rate> {
  await step(0);
  let i = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (i < 2 || performance.now() - started < s * 1000) await step(i++);
  const used = process.cpuUsage(cpu);
  const images = i * perStep;
  return {
    imagesPerSecond: (images * 1000) / (performance.now() - started),
    cpuMsPerImage: (used.user + used.system) / 1000 / images,
  };
}

/** CPU time (user + system, all threads) of a process in ms, from /proc. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

function engineRate(
  model: LoadedModel,
  tensors: Float32Tensor[],
  batch: number,
  s = rawSeconds,
): Promise<Rate> {
  const batches = photos.map((_, i) =>
    stackBatch(Array.from({ length: batch }, (_, j) => tensors[(i + j) % tensors.length]!)),
  );
  // As many engine calls in flight as the server allows per model (NETLENS_CONCURRENCY).
  return rate(s, batch * concurrency, (i) =>
    Promise.all(
      Array.from({ length: concurrency }, (_, k) =>
        runRows(
          model.session,
          [batches[(i * concurrency + k) % batches.length]!],
          model.manifest.output.name,
        ),
      ),
    ),
  );
}

function pipelineRate(model: LoadedModel, batch: number): Promise<Rate> {
  return rate(rawSeconds, batch, async (i) => {
    const picked = Array.from({ length: batch }, (_, j) => photos[(i * batch + j) % photos.length]!.bytes);
    const images = await Promise.all(
      picked.map(async (bytes) => ({ bytes, decoded: await decodeImage(bytes) })),
    );
    return classify(model.session, model.manifest, images);
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
        NETLENS_THREADS: String(threads),
        NETLENS_ENGINE_WORKER: worker ? '1' : '0',
        NETLENS_CONCURRENCY: String(concurrency),
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

/** Server-side counters of the model: images run and batch-size histogram sum/count. */
async function serverStats(url: string): Promise<{ images: number; sum: number; count: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  return {
    images: value(/netlens_images_total\{[^}]*variant="model"\} (\S+)/),
    sum: value(/netlens_batch_size_sum\{[^}]*variant="model"\} (\S+)/),
    count: value(/netlens_batch_size_count\{[^}]*variant="model"\} (\S+)/),
  };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

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
  await ensureDefaultModels({ ...readNodeSettings(process.env).settings, defaultModel: modelName });
  // The same session settings as the server's (threads), so "engine" is the server's engine without HTTP.
  const model = await loadModel({
    model: modelName,
    providers: 'cpu',
    threads,
  });
  const decoded = await Promise.all(photos.map((p) => decodeImage(p.bytes)));
  const tensors = decoded.map((d, i) => preprocess({ decoded: d, bytes: photos[i]!.bytes }, model.manifest));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(
    `[bench:http] ${modelName}, ${photos.length} photos, ${seconds} s per HTTP point, ${rawSeconds} s per raw point`,
  );

  const pipelines: Record<string, Rate> = {};
  const points: Point[] = [];
  for (const mode of MODES) {
    pipelines[mode.name] = await pipelineRate(model, mode.batch);
    const pipeline = pipelines[mode.name]!;
    log(
      `  ${mode.name}: in-process pipeline (decode+preprocess+inference, batch ${mode.batch}) ` +
        `${pipeline.imagesPerSecond.toFixed(1)} images/s, ${pipeline.cpuMsPerImage.toFixed(1)} CPU ms/image`,
    );
    const server = await startServer(mode.env);
    try {
      await load(server.url, 4, 2); // warm-up: JIT, ORT arenas for larger batches
      for (const clients of clientCounts) {
        const engine = await engineRate(model, tensors, mode.batch);
        // Throughput is counted on the server between two samples once every client is cycling: with
        // 64 clients a request can take seconds, and counting answers from t = 0 would miss the first round.
        const running = load(server.url, clients, ramp + seconds + 1);
        await sleep(ramp * 1000);
        const before = await serverStats(server.url);
        const cpuBefore = processCpuMs(server.child.pid!);
        const windowStart = performance.now();
        await sleep(seconds * 1000);
        const after = await serverStats(server.url);
        const cpuAfter = processCpuMs(server.child.pid!);
        const window = (performance.now() - windowStart) / 1000;
        const result = await running;
        const images = after.images - before.images;
        const point: Point = {
          mode: mode.name,
          clients,
          httpImagesPerSecond: images / window,
          p50: result.latency.p50,
          p99: result.latency.p99,
          errors: result.non2xx + result.errors + result.timeouts,
          meanBatch: after.count > before.count ? (after.sum - before.sum) / (after.count - before.count) : 0,
          engineImagesPerSecond: engine.imagesPerSecond,
          httpCpuMs: (cpuAfter - cpuBefore) / Math.max(1, images),
          engineCpuMs: engine.cpuMsPerImage,
          load: loadavg()[0]!,
        };
        points.push(point);
        log(
          `  ${mode.name.padEnd(13)} ${String(clients).padStart(3)} clients: ${point.httpImagesPerSecond.toFixed(1).padStart(6)} images/s ` +
            `(engine ${engine.imagesPerSecond.toFixed(1)}, ${pct(point.httpImagesPerSecond / engine.imagesPerSecond)}), ` +
            `CPU ms/image ${point.httpCpuMs.toFixed(1)} (engine ${point.engineCpuMs.toFixed(1)}), p50 ${point.p50} ms, p99 ${point.p99} ms, ` +
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
    await writeSection(section, modelName);
    log(`[bench:http] recorded in ${RESULTS}`);
  }
}

function markdown(model: LoadedModel, points: Point[], pipelines: Record<string, Rate>): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const modeOf = (name: string) => ALL_MODES.find((m) => m.name === name)!;
  const label = (name: string) => {
    const m = modeOf(name);
    return `${name} (max batch ${m.batch}, delay ${m.env.NETLENS_MAX_DELAY_MS} ms)`;
  };
  const lines = [
    `### ${model.manifest.name} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${cpu}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ` +
      `${model.engineName} (${model.session.provider}); onnxruntime ${worker ? 'in a worker thread' : 'on the main thread'} with ${threads} threads, ` +
      `engine calls in flight per model ${concurrency}. Server and load generator on the same machine ` +
      `(127.0.0.1). ${photos.length} photos (../shared/data/images) as raw bodies in rotation, ${ramp} s of load, then ${seconds} s measured per point ` +
      `(images/s counted by the server's netlens_images_total; p50/p99 by autocannon over the whole point).`,
    '',
    `- engine: onnxruntime-node session.run on preprocessed tensors at the mode's max batch, ` +
      `same threads and calls in flight as the server, measured in the bench process just before each point (server idle).`,
    `- pipeline: decode + preprocess + inference in one process, no HTTP: ${Object.entries(pipelines)
      .map(
        ([mode, r]) =>
          `${r.imagesPerSecond.toFixed(1)} images/s (${r.cpuMsPerImage.toFixed(1)} CPU ms/image) at batch ${modeOf(mode).batch}`,
      )
      .join(', ')}.`,
    `- CPU ms/image: CPU time (all threads) per classified image — of the server process during the point, and of the ` +
      `engine measurement; less sensitive to other work on the machine than images/s. load = 1-minute load average.`,
    '',
    '| mode | clients | HTTP images/s | engine images/s | HTTP / engine | HTTP / pipeline | HTTP CPU ms/image | engine CPU ms/image | p50 ms | p99 ms | mean batch | errors | load |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...points.map(
      (p) =>
        `| ${label(p.mode)} | ${p.clients} | ${p.httpImagesPerSecond.toFixed(1)} | ${p.engineImagesPerSecond.toFixed(1)} | ` +
        `${pct(p.httpImagesPerSecond / p.engineImagesPerSecond)} | ${pct(p.httpImagesPerSecond / pipelines[p.mode]!.imagesPerSecond)} | ` +
        `${p.httpCpuMs.toFixed(1)} | ${p.engineCpuMs.toFixed(1)} | ` +
        `${p.p50} | ${p.p99} | ${p.meanBatch.toFixed(1)} | ${p.errors} | ${p.load.toFixed(1)} |`,
    ),
    '',
  ];
  for (const at16 of points.filter((p) => p.clients === 16)) {
    lines.push(
      `- 16 clients, ${label(at16.mode)}: ${pct(at16.httpImagesPerSecond / at16.engineImagesPerSecond)} of the raw engine's images/s ` +
        `(target ≥ 85%), ${pct(at16.httpImagesPerSecond / pipelines[at16.mode]!.imagesPerSecond)} of the in-process pipeline; ` +
        `the server spends ${at16.httpCpuMs.toFixed(1)} CPU ms per image, the engine ${at16.engineCpuMs.toFixed(1)}.`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

const HEADING = '## HTTP service (bench/http.ts)';

/** Replaces this bench's block for the model in RESULTS.md (other sections and models are left alone). */
async function writeSection(section: string, model: string): Promise<void> {
  const start = `<!-- netlens-bench:http:start:${model} -->`;
  const end = `<!-- netlens-bench:http:end:${model} -->`;
  let text = existsSync(RESULTS)
    ? readFileSync(RESULTS, 'utf8')
    : '# Benchmark results\n\nEach bench owns a section; re-running it replaces its own block.\n';
  if (!text.includes(HEADING)) {
    text = `${text.trimEnd()}\n\n${HEADING}\n\nautocannon against the Node server (functions/node) on 127.0.0.1, next to the raw engine in the same run: \`npx tsx bench/http.ts --record [--model NAME]\`.\n`;
  }
  const block = `${start}\n${section}${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else {
    const heading = text.indexOf(HEADING);
    const next = text.indexOf('\n## ', heading + HEADING.length);
    const at = next < 0 ? text.length : next + 1;
    text = `${text.slice(0, at).trimEnd()}\n\n${block}\n${text.slice(at)}`;
  }
  // Keep the file as `npm run lint` (prettier --check) wants it.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(RESULTS)) ?? {};
  writeFileSync(RESULTS, await prettier.format(text, { ...options, filepath: RESULTS }));
}

await main();
