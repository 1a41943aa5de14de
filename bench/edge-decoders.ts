/**
 * bench/edge-decoders.ts — which decoder returns which RGB: sharp (default, and with ignoreIcc as the
 * Node decoder runs it), Debian Pillow (what Keras' load_img uses) and the edge's jsquash codecs, on the
 * shared photos and the generated edge cases. Prints one row per file (docs/edge.md quotes the result).
 *
 * Run: npx tsx bench/edge-decoders.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { toRgb } from '../src/core/image/index.js';
import { createWasmImageDecoder } from '../src/runtime/web/decode-image.js';
import { compileCodecModules } from '../src/runtime/web/node-wasm-modules.js';
import { conformanceImages } from '../test/conformance-runners.js';

const PIL_SCRIPT = `
import sys, os
from PIL import Image
out = sys.argv[1]
for path in sys.argv[2:]:
    image = Image.open(path)
    open(os.path.join(out, os.path.basename(path) + '.rgb'), 'wb').write(image.convert('RGB').tobytes())
    print(os.path.basename(path), image.mode)
`;

function rgbOf(data: Uint8Array, channels: number): Uint8Array {
  return new Uint8Array(toRgb({ width: data.length / channels, height: 1, channels, data }).data);
}

function diff(a: Uint8Array, b: Uint8Array): string {
  if (a.length !== b.length) return `size ${a.length} vs ${b.length}`;
  let max = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) count++;
    max = Math.max(max, d);
  }
  return max === 0 ? 'identical' : `max ${max}, ${((100 * count) / a.length).toFixed(1)}%`;
}

const images = await conformanceImages();
const out = mkdtempSync(join(tmpdir(), 'netlens-decoders-'));
const modes = new Map(
  execFileSync('/usr/bin/python3', ['-c', PIL_SCRIPT, out, ...images.map((i) => i.path)])
    .toString()
    .trim()
    .split('\n')
    .map((line) => line.split(' ') as [string, string]),
);
const jsquash = createWasmImageDecoder(await compileCodecModules());
console.log(
  '| file | Pillow mode | sharp (default) vs Pillow | sharp ignoreIcc vs Pillow | jsquash vs Pillow |',
);
console.log('| --- | --- | --- | --- | --- |');
for (const image of images) {
  const pil = new Uint8Array(readFileSync(join(out, `${image.name}.rgb`)));
  const sharpDefault = await sharp(image.bytes).raw().toBuffer({ resolveWithObject: true });
  const sharpNoIcc = await sharp(image.bytes, { ignoreIcc: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const edge = await jsquash(image.bytes);
  const cells = [
    diff(rgbOf(new Uint8Array(sharpDefault.data), sharpDefault.info.channels), pil),
    diff(rgbOf(new Uint8Array(sharpNoIcc.data), sharpNoIcc.info.channels), pil),
    diff(rgbOf(edge.data, edge.channels), pil),
  ];
  console.log(`| ${image.name} | ${modes.get(image.name) ?? '?'} | ${cells.join(' | ')} |`);
}
rmSync(out, { recursive: true, force: true });
