/**
 * Times src/core/image on a 600×443 RGB image (bmw.png's size) → 224×224, per resize method.
 * Run: npx tsx scripts/golden/bench-preprocess.ts   (prints median and best ms per call)
 * The project bench harness (bench/) may import `benchPreprocess` instead.
 */
import type { DecodedImage } from '../../src/core/image-types.js';
import { normalise, preprocessImage, resize } from '../../src/core/image/index.js';
import { RESIZE_METHODS, type Manifest } from '../../src/core/manifest.js';

export interface Timing {
  name: string;
  medianMs: number;
  bestMs: number;
}

function time(name: string, fn: () => void, runs: number): Timing {
  for (let i = 0; i < Math.max(10, runs / 5); i++) fn(); // warm up the JIT
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { name, medianMs: samples[Math.floor(runs / 2)] as number, bestMs: samples[0] as number };
}

export function benchPreprocess(runs = 100): Timing[] {
  const photo: DecodedImage = {
    width: 600,
    height: 443,
    channels: 3,
    data: Uint8Array.from({ length: 600 * 443 * 3 }, (_, i) => (i * 2654435761) >>> 24),
    format: 'png',
    decoder: 'synthetic',
  };
  const spec = (method: (typeof RESIZE_METHODS)[number]): Pick<Manifest, 'input' | 'preprocessing'> => ({
    input: { name: 'x', layout: 'NHWC', height: 224, width: 224, channels: 3, dtype: 'float32' },
    preprocessing: { mode: 'caffe', resize: method, channelOrder: 'bgr', color: 'rgb' },
  });
  const small = resize(photo, 224, 224, 'nearest');
  return [
    ...RESIZE_METHODS.map((m) => time(`resize ${m}`, () => resize(photo, 224, 224, m), runs)),
    time('normalise caffe 224×224', () => normalise(small, spec('nearest').preprocessing), runs),
    ...RESIZE_METHODS.map((m) =>
      time(`preprocessImage (${m} + caffe)`, () => preprocessImage(photo, undefined, spec(m)), runs),
    ),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('600×443 RGB → 224×224 (ms per call)');
  for (const t of benchPreprocess()) {
    console.log(`${t.name.padEnd(48)} median ${t.medianMs.toFixed(3)}  best ${t.bestMs.toFixed(3)}`);
  }
}
