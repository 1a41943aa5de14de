/**
 * `npx tsx bench/edge-cold.ts [--model NAME] [--rounds 3]`: the Worker's cold start by part, on the
 * Worker's own code path run in Node (its runtime kit, createEdgeRuntime: onnxruntime-web's WASM build
 * from a precompiled module, low-memory loading, the WASM codecs and kernels), where each part can be timed alone — workerd's clock stands still
 * while a request computes, so inside the isolate only the whole first request can be timed (bench/edge.ts).
 * Each round starts from nothing in a fresh child process; medians are reported. Parts:
 *   compile    WebAssembly.compile of ORT's WASM and the codecs (a Worker does it when its script loads)
 *   init       onnxruntime-web's first session (a 1 KB model): WASM instantiation and backend set-up
 *   fetch      reading the model and checking its sha256 (a Worker: ASSETS.fetch + the same check)
 *   session    InferenceSession.create of the model (graph optimisation, weight layout)
 *   warm-up    the zeros run core/session.ts does before the session is handed out (skipped on the edge)
 *   first      the first real image: decode + preprocess + inference (pays lazy set-up when not warm)
 *   second     the same image again (the warm cost, for comparison)
 * Each part is reported as wall ms, CPU ms (every thread: V8 compiles hot WASM functions again in the
 * background) and minor page faults (fresh 4 KiB pages touched; on a VM each costs ~15 µs, see
 * docs/performance.md).
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runRows } from '../src/core/pipeline.js';
import { createModelDirectorySource, INSTALLED_MODELS_DIR } from '../src/runtime/node/model-dir.js';
import { createEdgeRuntime } from '../src/runtime/web/edge-runtime.js';
import {
  compileCodecModules,
  compileOrtWasm,
  compileResampleWasm,
} from '../src/runtime/web/node-wasm-modules.js';
import { buildTinyModel } from '../test/node-engine-tiny-model.js';
import { load1, machineLine, median, ownCpuMs } from './machine.js';
import { recordSection } from './results-file.js';
import { readPhotos } from './photos.js';

export const PARTS = ['compile', 'init', 'fetch', 'session', 'warm-up', 'first', 'second'] as const;
export type Part = (typeof PARTS)[number];

/** What one part cost: wall ms, CPU ms (every thread) and minor page faults (fresh pages touched). */
export interface PartCost {
  wallMs: number;
  cpuMs: number;
  faults: number;
}

/** One cold start, timed by part, in this process: call it in a fresh process. */
export async function coldStartOnce(modelName: string, warmUp: boolean): Promise<Record<Part, PartCost>> {
  const parts = {} as Record<Part, PartCost>;
  const now = () => ({
    wall: performance.now(),
    cpu: ownCpuMs(),
    faults: process.resourceUsage().minorPageFault,
  });
  let t = now();
  const lap = (part: Part) => {
    const n = now();
    parts[part] = { wallMs: n.wall - t.wall, cpuMs: n.cpu - t.cpu, faults: n.faults - t.faults };
    t = n;
  };
  const [ortWasm, codecs, resample] = await Promise.all([
    compileOrtWasm(),
    compileCodecModules(),
    compileResampleWasm(),
  ]);
  const ort = await import('onnxruntime-web/wasm');
  lap('compile');
  // The Worker's own kit: low-memory loading (external weights, no prepacking), the WASM codecs and kernels.
  const source = createModelDirectorySource(INSTALLED_MODELS_DIR);
  const runtime = createEdgeRuntime({ ort, ortWasm, codecs, resampleWasm: resample }, source);
  const tiny = await runtime.engine.createSession(buildTinyModel().bytes, { warmUp: false });
  await tiny.dispose();
  lap('init');
  const manifest = await source.manifest(modelName);
  const bytes = await source.modelBytes(manifest);
  lap('fetch');
  const session = await runtime.engine.createSession(bytes, { warmUp: false });
  lap('session');
  if (warmUp) {
    const { height, width, channels } = manifest.input;
    await runRows(
      session,
      [{ data: new Float32Array(height * width * channels), dims: [1, height, width, channels] }],
      manifest.output.name,
    );
  }
  lap('warm-up');
  const prepare = runtime.prepareImage;
  const photo = readPhotos()[0]!;
  for (const part of ['first', 'second'] as const) {
    const { tensor } = await prepare(photo.bytes, manifest);
    await runRows(session, [tensor], manifest.output.name);
    lap(part);
  }
  await session.dispose();
  return parts;
}

const MEASURES = [
  ['wall ms', 'wallMs'],
  ['CPU ms', 'cpuMs'],
  ['page faults', 'faults'],
] as const;

/**
 * The Worker's two settings, and one attribution row: V8 running ORT's WASM in its baseline compiler
 * only (Liftoff), without tiering hot functions up to its optimising compiler (TurboFan). A Worker cannot
 * set V8 flags; the row shows what of the cold start is that tier-up.
 */
const MODES = [
  { name: 'with warm-up', mode: 'warm-up', v8: [] },
  { name: 'without warm-up (the Worker)', mode: 'none', v8: [] },
  { name: 'without warm-up, V8 --liftoff-only', mode: 'none', v8: ['--liftoff-only'] },
] as const;

/** Medians by part, one row per mode and measure; the total runs to the first answer (not `second`). */
export function coldStartTable(rows: Record<string, Record<Part, PartCost>[]>, rounds: number): string {
  const lines = [
    `| cold start (median of ${rounds}) | ${PARTS.join(' | ')} | total to first answer |`,
    `| --- | ${PARTS.map(() => '---:').join(' | ')} | ---: |`,
  ];
  for (const [name, runs] of Object.entries(rows)) {
    for (const [label, key] of MEASURES) {
      const med = PARTS.map((p) => median(runs.map((r) => r[p][key])));
      const total = median(
        runs.map((r) => PARTS.filter((p) => p !== 'second').reduce((a, p) => a + r[p][key], 0)),
      );
      const cells = [...med, total].map((m) => m.toFixed(0));
      lines.push(`| ${name}, ${label} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'nsfw-mobilenet-v2' },
      rounds: { type: 'string', default: '3' },
      record: { type: 'boolean', default: false },
      child: { type: 'string' },
    },
  });
  if (values.child !== undefined) {
    process.stdout.write(JSON.stringify(await coldStartOnce(values.model, values.child === 'warm-up')));
  } else {
    const loadBefore = load1();
    const rows: Record<string, Record<Part, PartCost>[]> = {};
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const { name, mode, v8 } of MODES) {
        const out = execFileSync(
          process.execPath,
          [...v8, '--import', 'tsx', import.meta.filename, '--model', values.model, '--child', mode],
          { encoding: 'utf8' },
        );
        (rows[name] ??= []).push(JSON.parse(out) as Record<Part, PartCost>);
      }
    }
    const loadAfter = load1();
    const section = [
      `## Edge: the Worker's cold start by part (bench/edge-cold.ts) — ${values.model}`,
      '',
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machineLine()}, load average ` +
        `${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after; onnxruntime-web ${(await import('onnxruntime-web/wasm')).env.versions.web ?? '?'} WASM, ` +
        `1 thread, the Worker's runtime kit in Node, each round a fresh process. ` +
        `Run: \`npx tsx bench/edge-cold.ts --rounds ${values.rounds} --record\`.`,
      '',
      coldStartTable(rows, Number(values.rounds)),
    ].join('\n');
    console.log(section);
    if (values.record) {
      await recordSection(`edge-cold:${values.model}`, section, {
        heading: '## Edge: Cloudflare Worker and browser (bench/edge.ts)',
        intro: '',
      });
    }
  }
}
