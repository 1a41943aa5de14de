/**
 * bench/edge.ts — the edge budgets, measured: Worker upload size (gzip), cold start (wrangler dev start
 * and the first request, which loads the model), warm latency, memory (onnxruntime-web's WASM memory
 * read inside the isolate, and the workerd process' peak RSS growth as an upper bound), and
 * in-browser (Chromium, WASM) vs Node timings of the same images.
 *
 * Run: npx tsx bench/edge.ts [--record]   (--record rewrites the edge section of bench/RESULTS.md)
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { buildWorker } from '../functions/worker/scripts/build.js';
import { type LocalWorker, startLocalWorker } from '../functions/worker/scripts/local-worker.js';
import { edgeBuildSettings, prepareAssets } from '../functions/worker/scripts/prepare-assets.js';
import type { ProbeResult } from '../src/runtime/web/conformance-probe.js';
import { estimateIsolateBytes } from '../src/runtime/web/isolate-budget.js';
import { mib } from '../src/core/units.js';
import {
  PHOTOS_DIR,
  ROOT,
  type ConformanceImage,
  conformanceModel,
  launchChromium,
  runChromium,
  runNode,
  runWebInNode,
  startHarnessServer,
} from '../test/conformance-runners.js';
import { descendants, procFile } from './machine.js';

const WARM_ROUNDS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The user Worker's workerd process among the wrangler process' descendants (the one with an inspector). */
function workerdPid(root: number): number | undefined {
  const found = descendants(root).filter((pid) => {
    const cmd = procFile(pid, 'cmdline');
    return cmd.includes('workerd') && cmd.includes('serve');
  });
  return found.find((pid) => procFile(pid, 'cmdline').includes('--inspector-addr')) ?? found.at(-1);
}

function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** Records every WebAssembly.Memory the codecs and ORT create (Instance constructor and instantiate). */
function trackWasmMemories(): WebAssembly.Memory[] {
  const memories: WebAssembly.Memory[] = [];
  const record = (instance: WebAssembly.Instance, imports: WebAssembly.Imports | undefined) => {
    const values: unknown[] = [...Object.values(instance.exports)];
    for (const ns of Object.values(imports ?? {})) values.push(...Object.values(ns));
    for (const v of values) if (v instanceof WebAssembly.Memory && !memories.includes(v)) memories.push(v);
  };
  const OriginalInstance = WebAssembly.Instance;
  WebAssembly.Instance = new Proxy(OriginalInstance, {
    construct(target, args: [WebAssembly.Module, WebAssembly.Imports?]) {
      const instance = Reflect.construct(target, args) as WebAssembly.Instance;
      record(instance, args[1]);
      return instance;
    },
  });
  const originalInstantiate = WebAssembly.instantiate.bind(WebAssembly);
  WebAssembly.instantiate = (async (
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) => {
    const result = (await originalInstantiate(source as BufferSource, imports)) as
      WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource;
    record(result instanceof OriginalInstance ? result : result.instance, imports);
    return result;
  }) as typeof WebAssembly.instantiate;
  return memories;
}

async function classify(worker: LocalWorker, model: string, bytes: Uint8Array): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(`${worker.url}/v1/models/${model}/classify`, {
    method: 'POST',
    body: Buffer.from(bytes),
  });
  if (!response.ok) throw new Error(`classify: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const { manifest, dir, bytes: modelBytes } = await conformanceModel();
  const photos: ConformanceImage[] = readdirSync(PHOTOS_DIR)
    .sort()
    .map((name) => ({
      name,
      path: join(PHOTOS_DIR, name),
      bytes: new Uint8Array(readFileSync(join(PHOTOS_DIR, name))),
    }));
  const lines: string[] = [];
  const say = (line = '') => {
    console.log(line);
    lines.push(line);
  };

  // ---- upload size
  await prepareAssets({ ...edgeBuildSettings({}), names: [manifest.name], modelsDir: dir }, undefined, {
    page: 'optional',
  });
  const build = await buildWorker();

  // ---- cold start, warm latency, memory
  const spawnStart = performance.now();
  const worker = await startLocalWorker({ vars: { NETLENS_EDGE_DEBUG: '1', NETLENS_MODELS: manifest.name } });
  const readyMs = performance.now() - spawnStart;
  const pid = workerdPid(worker.process.pid!);
  const idle = pid === undefined ? undefined : memoryOf(pid);
  let coldMs: number;
  const warm: number[] = [];
  let ortMemory: number | null;
  let loaded: { rss: number; hwm: number } | undefined;
  try {
    coldMs = await classify(worker, manifest.name, photos[0]!.bytes);
    for (let round = 0; round < WARM_ROUNDS; round++) {
      for (const photo of photos) warm.push(await classify(worker, manifest.name, photo.bytes));
    }
    ortMemory = (
      (await (await fetch(`${worker.url}/__edge/memory`)).json()) as { ortWasmMemoryBytes: number | null }
    ).ortWasmMemoryBytes;
    loaded = pid === undefined ? undefined : memoryOf(pid);
  } finally {
    await worker.stop();
  }

  // ---- browser WASM vs Node (second pass of each, so sessions and JITs are warm)
  const node = await runNode(photos, manifest, modelBytes);
  const nodeWarm = await runNode(photos, manifest, modelBytes);
  // The Worker's exact code path in Node, with every WASM memory tracked (ORT + the three codecs).
  const memories = trackWasmMemories();
  const heapBefore = process.memoryUsage().heapUsed;
  await runWebInNode(photos, manifest, modelBytes);
  const wasmTotal = memories.reduce((a, m) => a + m.buffer.byteLength, 0);
  const wasmSizes = memories.map((m) => mib(m.buffer.byteLength)).join(' + ');
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  const webWarm = await runWebInNode(photos, manifest, modelBytes);
  const harness = await startHarnessServer(photos, dir, manifest);
  const browser = await launchChromium();
  let chromium: Map<string, ProbeResult> & { threads?: number };
  try {
    await runChromium(browser, harness.url, photos, manifest.name);
    chromium = await runChromium(browser, harness.url, photos, manifest.name);
  } finally {
    await browser.close();
    harness.server.close();
  }
  void node;
  const stat = (rows: Map<string, ProbeResult>, key: 'inferenceMs' | 'decodeMs') =>
    median([...rows.values()].map((r) => r[key]));
  const threads = (chromium.values().next().value as (ProbeResult & { threads?: number }) | undefined)
    ?.threads;

  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  say(`### Edge: ${manifest.name} — ${date} UTC`);
  say();
  say(
    `Machine: ${cpus()[0]?.model.trim() ?? 'cpu'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, load average ${loadavg()[0]!.toFixed(1)} at the end, Node ${process.version}; wrangler 4.86.0 / workerd local (wrangler dev), onnxruntime-web 1.30.0 WASM (1 thread in the Worker), Debian Chromium headless. ${photos.length} photos. Run: \`npx tsx bench/edge.ts --record\`.`,
  );
  say();
  say('| budget | measured | limit |');
  say('| --- | ---: | ---: |');
  say(
    `| Worker upload (wrangler: ${build.wranglerReport.replace('Total Upload: ', '')}) | ${mib(build.totalBytes)} raw, **${(build.totalGzipBytes / 1e6).toFixed(2)} MB gzip** | 10 MB gzip (Paid), 3 MB (Free) |`,
  );
  say(`| default model file (static asset) | ${mib(modelBytes.length)} | 25 MiB per asset |`);
  say(
    `| isolate: onnxruntime-web WASM memory after ${photos.length * WARM_ROUNDS + 1} requests (exact, read in the isolate; it never shrinks) | **${ortMemory === null ? 'n/a' : mib(ortMemory)}** | — |`,
  );
  if (idle && loaded) {
    say(
      `| isolate: workerd process peak RSS growth, idle → after all requests (upper bound: includes compiled WASM code and allocator slack) | ${mib(loaded.hwm - idle.rss)} (peak RSS ${mib(loaded.hwm)}, idle ${mib(idle.rss)}) | 100 MiB budget (128 MB isolate) |`,
    );
  }
  say(
    `| same code path in Node: all WASM memories (ORT, then each codec used: the photos are JPEG and PNG) after one pass over the photos | **${mib(wasmTotal)}** (${wasmSizes}); JS heap growth ${mib(heapGrowth)} | 100 MiB budget |`,
  );
  say(
    `| isolate estimate used by build:worker / start-up check | ${mib(estimateIsolateBytes(modelBytes.length))} | 100 MiB |`,
  );
  say(`| cold start: \`wrangler dev\` until ready | ${(readyMs / 1000).toFixed(1)} s | — |`);
  say(
    `| cold start: first request (isolate start, ORT init, model fetch + load + warm-up, classify ${photos[0]!.name}) | **${coldMs.toFixed(0)} ms** | — |`,
  );
  say(
    `| warm latency per photo over HTTP (${warm.length} requests, raw body) | **median ${median(warm).toFixed(0)} ms**, p95 ${percentile(warm, 95).toFixed(0)} ms | — |`,
  );
  say();
  say('Per-image medians over the photos (second pass; decode + inference only):');
  say();
  say('| runtime | decoder | decode ms | inference ms | vs Node inference |');
  say('| --- | --- | ---: | ---: | ---: |');
  const nodeInf = stat(nodeWarm, 'inferenceMs');
  const row = (name: string, decoder: string, rows: Map<string, ProbeResult>) =>
    say(
      `| ${name} | ${decoder} | ${stat(rows, 'decodeMs').toFixed(1)} | ${stat(rows, 'inferenceMs').toFixed(1)} | ${(stat(rows, 'inferenceMs') / nodeInf).toFixed(1)}× |`,
    );
  row('Node: onnxruntime-node CPU', 'sharp', nodeWarm);
  row('Node: onnxruntime-web WASM (1 thread)', 'jsquash WASM', webWarm);
  row(`Chromium: onnxruntime-web WASM (${threads ?? '?'} threads, COOP/COEP)`, 'jsquash WASM', chromium);
  say();

  if (process.argv.includes('--record')) {
    const path = join(ROOT, 'bench/RESULTS.md');
    const start = '<!-- netlens-bench:edge:start -->';
    const end = '<!-- netlens-bench:edge:end -->';
    const section = `${start}\n\n## Edge: Cloudflare Worker and browser (bench/edge.ts)\n\n${lines.join('\n')}\n${end}`;
    const current = await readFile(path, 'utf8').catch(() => '# Benchmark results\n');
    const next = current.includes(start)
      ? current.slice(0, current.indexOf(start)) + section + current.slice(current.indexOf(end) + end.length)
      : `${current.trimEnd()}\n\n${section}\n`;
    writeFileSync(path, next);
    console.log(`recorded in ${path}`);
  }
}

await main();
