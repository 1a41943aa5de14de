/**
 * The four runtimes of the conformance test, each giving a ProbeResult per image (shared with
 * bench/edge.ts): (a) onnxruntime-node + sharp, (b) onnxruntime-web WASM in Node + jsquash,
 * (c) the Worker in local workerd, (d) the in-browser classifier in headless Chromium.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { type Server, createServer } from 'node:http';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import * as ortWeb from 'onnxruntime-web/wasm';
import { type Browser, chromium } from 'playwright-core';
import type { Manifest } from '../src/core/manifest.js';
import { createModelDirectorySource, createNodeEngine } from '../src/runtime/node/index.js';
import { createNodeImageKit } from '../src/runtime/node/image-kit.js';
import { type ProbeResult, probeImage } from '../src/runtime/web/conformance-probe.js';
import { createWasmImageDecoder } from '../src/runtime/web/decode-image.js';
import { createWebEngine } from '../src/runtime/web/engine.js';
import {
  BROWSER_WASM_FILES,
  compileCodecModules,
  compileOrtWasm,
} from '../src/runtime/web/node-wasm-modules.js';
import { usePrecompiledOrtWasm } from '../src/runtime/web/precompiled-wasm.js';
import { type LocalWorker, freePort, startLocalWorker } from '../functions/worker/scripts/local-worker.js';
import { edgeBuildSettings, prepareAssets } from '../functions/worker/scripts/prepare-assets.js';

export const ROOT = join(import.meta.dirname, '..');
export const PHOTOS_DIR = join(ROOT, '../shared/data/images');
export const CACHE_DIR = join(ROOT, 'test/.cache');
export const EDGE_CASES_DIR = join(CACHE_DIR, 'edge-cases');

export interface ConformanceImage {
  name: string;
  path: string;
  bytes: Uint8Array;
}

export type RuntimeName = 'node' | 'web-node' | 'workerd' | 'chromium';

/** The shared photos plus generated edge cases (grayscale, alpha, palette, EXIF, progressive, WebP, ICC…). */
export async function conformanceImages(): Promise<ConformanceImage[]> {
  if (!existsSync(join(EDGE_CASES_DIR, 'case-adobergb.png'))) {
    execFileSync('/usr/bin/python3', [join(ROOT, 'test/conformance-cases.py'), PHOTOS_DIR, EDGE_CASES_DIR]);
  }
  const images: ConformanceImage[] = [];
  for (const dir of [PHOTOS_DIR, EDGE_CASES_DIR]) {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      images.push({ name, path, bytes: new Uint8Array(await readFile(path)) });
    }
  }
  return images;
}

/** The model under test: NETLENS_CONFORMANCE_MODEL in NETLENS_MODELS_DIR (default: the default edge model). */
export async function conformanceModel(): Promise<{ dir: string; manifest: Manifest; bytes: Uint8Array }> {
  const dir = process.env.NETLENS_MODELS_DIR ?? join(ROOT, 'models/onnx');
  const name = process.env.NETLENS_CONFORMANCE_MODEL ?? 'nsfw-mobilenet-v2';
  if (!existsSync(join(dir, `${name}.json`))) {
    execFileSync('npm', ['run', 'models'], { cwd: ROOT, stdio: 'inherit' });
  }
  const source = createModelDirectorySource(dir);
  const manifest = await source.manifest(name);
  return { dir, manifest, bytes: await source.modelBytes(manifest) };
}

async function probeAll(
  images: readonly ConformanceImage[],
  probe: (image: ConformanceImage) => Promise<ProbeResult>,
): Promise<Map<string, ProbeResult>> {
  const rows = new Map<string, ProbeResult>();
  for (const image of images) rows.set(image.name, await probe(image));
  return rows;
}

/** (a) as the Node server runs it: sharp with the PNG fast path, the WebAssembly resize kernels. */
export async function runNode(images: readonly ConformanceImage[], manifest: Manifest, model: Uint8Array) {
  const session = await createNodeEngine().createSession(model, { providers: ['cpu'] });
  const { decodeImage, kernels } = await createNodeImageKit();
  try {
    return await probeAll(images, (image) =>
      probeImage(image.bytes, decodeImage, manifest, session, kernels),
    );
  } finally {
    await session.dispose();
  }
}

let webReady: Promise<void> | undefined;
export async function runWebInNode(
  images: readonly ConformanceImage[],
  manifest: Manifest,
  model: Uint8Array,
) {
  webReady ??= compileOrtWasm().then((module) => usePrecompiledOrtWasm(ortWeb, module));
  await webReady;
  const decode = createWasmImageDecoder(await compileCodecModules());
  // The Worker's engine settings (functions/worker/edge-runtime.ts).
  const session = await createWebEngine({ ort: ortWeb, lowMemory: true }).createSession(model);
  try {
    return await probeAll(images, (image) => probeImage(image.bytes, decode, manifest, session));
  } finally {
    await session.dispose();
  }
}

/** A fresh assets directory (models, and a built page when `pageDir` names one) for one test's Worker. */
export async function temporaryAssets(
  models: readonly string[],
  modelsDir: string,
  pageDir?: string,
  workerEnv = '',
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netlens-assets-'));
  const build = { ...edgeBuildSettings({}, workerEnv), names: [...models], modelsDir };
  await prepareAssets(
    build,
    dir,
    pageDir === undefined ? { page: 'optional', pageDir: join(dir, 'none') } : { pageDir },
  );
  return dir;
}

/** Starts the Worker on its own copy of the assets; stop() also removes them. */
export async function startTestWorker(
  model: string,
  modelsDir: string,
  options: {
    vars?: Record<string, string>;
    env?: string;
    assetsDir?: string;
    pageDir?: string;
    persistTo?: string;
  } = {},
): Promise<LocalWorker & { assetsDir: string }> {
  const assetsDir =
    options.assetsDir ?? (await temporaryAssets([model], modelsDir, options.pageDir, options.env));
  let worker: LocalWorker;
  try {
    worker = await startLocalWorker({
      ...options,
      assetsDir,
      vars: { NETLENS_MODELS: model, ...options.vars },
    });
  } catch (error) {
    if (options.assetsDir === undefined) await rm(assetsDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...worker,
    assetsDir,
    async stop() {
      await worker.stop();
      if (options.assetsDir === undefined) await rm(assetsDir, { recursive: true, force: true });
    },
  };
}

/** The Worker with the debug routes on (conformance probe, memory). */
export function startConformanceWorker(modelsDir: string, model: string): Promise<LocalWorker> {
  return startTestWorker(model, modelsDir, { vars: { NETLENS_EDGE_DEBUG: '1' } });
}

export async function runWorker(worker: LocalWorker, images: readonly ConformanceImage[], model: string) {
  return probeAll(images, async (image) => {
    const response = await fetch(`${worker.url}/__edge/probe/${model}`, {
      method: 'POST',
      body: Buffer.from(image.bytes),
    });
    if (!response.ok)
      throw new Error(`workerd probe of ${image.name}: ${response.status} ${await response.text()}`);
    return (await response.json()) as ProbeResult;
  });
}

/** A static server for the browser harness: the bundle, WASM files, model API shape and images. */
export async function startHarnessServer(
  images: readonly ConformanceImage[],
  modelsDir: string,
  manifest: Manifest,
): Promise<{ url: string; server: Server }> {
  // Outside the repository: a bundle under test/ would be linted.
  const out = await mkdtemp(join(tmpdir(), 'netlens-harness-'));
  await esbuild.build({
    entryPoints: [join(ROOT, 'test/conformance-harness.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: join(out, 'harness.js'),
    logLevel: 'error',
  });
  await writeFile(
    join(out, 'harness.html'),
    '<!doctype html><meta charset="utf-8"><script type="module" src="/harness.js"></script>',
  );
  const rawManifest = JSON.parse(await readFile(join(modelsDir, `${manifest.name}.json`), 'utf8')) as unknown;
  const wasm = BROWSER_WASM_FILES as Record<string, string>;
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const send = async (body: Uint8Array | string, type: string) => {
      response.writeHead(200, {
        'content-type': type,
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin',
      });
      response.end(body);
    };
    const route = async () => {
      if (path === '/harness.html') return send(await readFile(join(out, 'harness.html')), 'text/html');
      if (path === '/harness.js') return send(await readFile(join(out, 'harness.js')), 'text/javascript');
      if (path.startsWith('/static/wasm/') && wasm[path.slice(13)] !== undefined) {
        const name = path.slice(13);
        return send(
          await readFile(wasm[name]!),
          name.endsWith('.mjs') ? 'text/javascript' : 'application/wasm',
        );
      }
      if (path === '/v1/models') {
        return send(
          JSON.stringify({ default: manifest.name, models: [{ name: manifest.name }] }),
          'application/json',
        );
      }
      const fileUrl = `/v1/models/${manifest.name}/files/model/${manifest.sha256.model}`;
      if (path === `/v1/models/${manifest.name}`) {
        const files = { model: { sha256: manifest.sha256.model, url: fileUrl } };
        return send(JSON.stringify({ manifest: rawManifest, files }), 'application/json');
      }
      if (path === fileUrl) {
        return send(await readFile(join(modelsDir, manifest.file)), 'application/octet-stream');
      }
      const image = images.find((i) => path === `/images/${i.name}`);
      if (image) return send(image.bytes, 'application/octet-stream');
      response.writeHead(404).end();
    };
    route().catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  server.once('close', () => void rm(out, { recursive: true, force: true }));
  return { url: `http://127.0.0.1:${port}`, server };
}

export async function launchChromium(webgpu = false): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader'] : [],
  });
}

export async function runChromium(
  browser: Browser,
  harnessUrl: string,
  images: readonly ConformanceImage[],
  model: string,
  options: { webgpu?: boolean } = {},
) {
  const page = await browser.newPage();
  try {
    await page.goto(`${harnessUrl}/harness.html${options.webgpu ? '?webgpu=1' : ''}`);
    await page.waitForFunction(() => 'netlensHarness' in window);
    return await probeAll(images, (image) =>
      page.evaluate(
        ([m, url]) =>
          (
            window as unknown as { netlensHarness: { probe(m: string, u: string): Promise<ProbeResult> } }
          ).netlensHarness.probe(m!, url!),
        [model, `/images/${image.name}`],
      ),
    );
  } finally {
    await page.close();
  }
}

export interface ComparisonRow {
  image: string;
  runtime: RuntimeName;
  provider: string;
  rgbSame: boolean;
  inputSame: boolean;
  top5Same: boolean;
  maxProbDiff: number;
  top1: string;
}

/** Every runtime against (a) the Node engine. */
export function compare(
  reference: Map<string, ProbeResult>,
  others: Partial<Record<RuntimeName, Map<string, ProbeResult>>>,
  labels: readonly { label: string }[],
): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const [image, ref] of reference) {
    const all: [RuntimeName, ProbeResult | undefined][] = [
      ['node', ref],
      ...Object.entries(others).map(
        ([k, v]) => [k as RuntimeName, v?.get(image)] as [RuntimeName, ProbeResult | undefined],
      ),
    ];
    for (const [runtime, result] of all) {
      if (result === undefined) continue;
      let maxProbDiff = 0;
      for (let i = 0; i < ref.probabilities.length; i++) {
        maxProbDiff = Math.max(
          maxProbDiff,
          Math.abs(ref.probabilities[i]! - (result.probabilities[i] ?? NaN)),
        );
      }
      if (result.probabilities.length !== ref.probabilities.length) maxProbDiff = Infinity;
      rows.push({
        image,
        runtime,
        provider: result.provider,
        rgbSame: result.rgbSha256 === ref.rgbSha256,
        inputSame: result.inputSha256 === ref.inputSha256,
        top5Same: result.top5.map((t) => t.index).join() === ref.top5.map((t) => t.index).join(),
        maxProbDiff,
        top1: `${labels[result.top5[0]?.index ?? -1]?.label ?? '?'} ${((result.top5[0]?.score ?? 0) * 100).toFixed(2)}%`,
      });
    }
  }
  return rows;
}

export function formatTable(rows: readonly ComparisonRow[]): string {
  const header = ['image', 'runtime', 'provider', 'RGB hash', 'input hash', 'top-5', 'max |Δp|', 'top-1'];
  const lines = rows.map((r) => [
    r.image,
    r.runtime,
    r.provider,
    r.rgbSame ? 'same' : 'DIFFERS',
    r.inputSame ? 'same' : 'differs',
    r.top5Same ? 'same' : 'DIFFERS',
    r.maxProbDiff.toExponential(2),
    r.top1,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}
