/**
 * `node --expose-gc --import tsx bench/preprocess.ts [--rounds 5] [--size 224,299] [--fresh-memory]`:
 * preprocessing contenders on the shared photos (decoded once with sharp), per resize method and input
 * size, interleaved round by round so they see the same machine load; each pass starts after a full
 * garbage collection (untimed), so no contender collects another's garbage. Per call: median wall ms and
 * CPU ms (process.cpuUsage: robust to other work on the machine), minor page faults, and the 1-minute
 * load average.
 *
 * The bench runs itself under bench/malloc.ts' STEADY_MALLOC: with glibc's defaults the collection before
 * each pass hands the freed outputs back to the system, and every pass then pays a page fault per 4 KiB of
 * fresh output (on this VM ~2.5 ms of a 224² photo's 3 ms: the cost of the VM, not of the kernel, and not
 * what a long-running server sees). `--fresh-memory` measures with glibc's defaults.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DecodedImage } from '../src/core/image-types.js';
import { preprocessOriented, preprocessReference } from '../src/core/image/index.js';
import { wasmResample } from '../src/core/image/wasm-resample.js';
import { RESIZE_METHODS, type Manifest } from '../src/core/manifest.js';
import { decodeImage } from '../src/runtime/node/decode-image.js';
import { mallocLine, minorFaults, runWithSteadyMalloc } from './malloc.js';

const PHOTOS = resolve(import.meta.dirname, '../../shared/data/images');

type Spec = Pick<Manifest, 'input' | 'preprocessing'>;
export type Contender = (image: DecodedImage, spec: Spec) => unknown;

const wasm = wasmResample(
  await WebAssembly.compile(
    readFileSync(resolve(import.meta.dirname, '../src/core/image/wasm/resample.wasm')),
  ),
);

export const CONTENDERS: Record<string, Contender> = {
  reference: (image, spec) => preprocessReference(image, 1, spec),
  fused: (image, spec) => preprocessOriented(image, 1, spec),
  'fused + wasm': (image, spec) => preprocessOriented(image, 1, spec, wasm),
};

export interface Timing {
  wallMs: number;
  cpuMs: number;
  /** Minor page faults per call. */
  faults: number;
}

/** One pass of `fn` over every photo, timed; per photo. */
/** A full collection before each pass, so that no pass collects another's garbage. */
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with node --expose-gc (see the usage line)');

function pass(images: readonly DecodedImage[], spec: Spec, fn: Contender, repeat: number): Timing {
  collect!();
  const faults = minorFaults();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let r = 0; r < repeat; r++) for (const image of images) fn(image, spec);
  const used = process.cpuUsage(cpu);
  const calls = repeat * images.length;
  return {
    wallMs: (performance.now() - start) / calls,
    cpuMs: (used.user + used.system) / 1000 / calls,
    faults: (minorFaults() - faults) / calls,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function benchPreprocess(
  contenders: Record<string, Contender>,
  sizes: number[],
  rounds: number,
): Promise<
  {
    method: string;
    size: number;
    name: string;
    wallMs: number;
    cpuMs: number;
    bestCpuMs: number;
    faults: number;
  }[]
> {
  const files = readdirSync(PHOTOS).sort();
  const images = await Promise.all(
    files.map((f) => decodeImage(new Uint8Array(readFileSync(join(PHOTOS, f))))),
  );
  const rows = [];
  for (const size of sizes) {
    for (const method of RESIZE_METHODS) {
      const spec: Spec = {
        input: { name: 'x', layout: 'NHWC', width: size, height: size, channels: 3, dtype: 'float32' },
        preprocessing:
          method === 'bilinear-align-corners'
            ? { mode: 'scale', factor: 1 / 255, resize: method, channelOrder: 'rgb', color: 'rgb' }
            : { mode: 'caffe', resize: method, channelOrder: 'bgr', color: 'rgb' },
      };
      const samples: Record<string, Timing[]> = {};
      for (const fn of Object.values(contenders)) pass(images, spec, fn, 3); // JIT warm-up
      for (let r = 0; r < rounds; r++) {
        for (const [name, fn] of Object.entries(contenders)) {
          (samples[name] ??= []).push(pass(images, spec, fn, 5));
        }
      }
      for (const [name, timings] of Object.entries(samples)) {
        rows.push({
          method,
          size,
          name,
          wallMs: median(timings.map((t) => t.wallMs)),
          cpuMs: median(timings.map((t) => t.cpuMs)),
          bestCpuMs: Math.min(...timings.map((t) => t.cpuMs)),
          faults: median(timings.map((t) => t.faults)),
        });
      }
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      size: { type: 'string', default: '224,299' },
      'fresh-memory': { type: 'boolean', default: false },
    },
  });
  runWithSteadyMalloc(values['fresh-memory']);
  const load = loadavg()[0]!;
  const rows = await benchPreprocess(CONTENDERS, values.size.split(',').map(Number), Number(values.rounds));
  console.log(
    '| resize | size | contender | wall ms/photo | CPU ms/photo | best round CPU ms | page faults/photo |',
  );
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const cells = [r.wallMs, r.cpuMs, r.bestCpuMs].map((x) => x.toFixed(3)).join(' | ');
    console.log(`| ${r.method} | ${r.size} | ${r.name} | ${cells} | ${r.faults.toFixed(0)} |`);
  }
  console.log(mallocLine());
  console.log(`load average ${load.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`);
}
