import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { NetlensError } from '../errors.js';
import { RESIZE_METHODS, type Manifest } from '../manifest.js';
import type { Orientation, Pixels } from './pixels.js';
import { preprocessOriented } from './preprocess.js';
import { preprocessReference } from './preprocess-reference.js';
import { wasmResample } from './wasm-resample.js';

// The WebAssembly kernel as the Node runtime loads it (src/runtime/node/wasm.ts does the same).
const wasm = wasmResample(
  await WebAssembly.compile(readFileSync(new URL('./wasm/resample.wasm', import.meta.url))),
);

type Spec = Pick<Manifest, 'input' | 'preprocessing'>;

/** A deterministic, busy 8-bit image (every value occurs; neighbours differ). */
function noise(width: number, height: number, channels: number, seed: number): Pixels {
  const data = new Uint8Array(width * height * channels);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { width, height, channels, data };
}

function firstDifference(a: Float32Array, b: Float32Array): string | undefined {
  if (a.length !== b.length) return `length ${a.length} ≠ ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) return `at ${i}: fused ${a[i]} ≠ reference ${b[i]}`;
  }
  return undefined;
}

const preprocessingArb = fc.oneof(
  fc.record({
    mode: fc.constantFrom('caffe' as const, 'torch' as const),
    channelOrder: fc.constantFrom('rgb' as const, 'bgr' as const),
    color: fc.constant('rgb' as const),
  }),
  fc.record({
    mode: fc.constant('tf' as const),
    channelOrder: fc.constantFrom('rgb' as const, 'bgr' as const),
    color: fc.constantFrom('rgb' as const, 'grayscale' as const),
  }),
  fc
    .record({
      channelOrder: fc.constantFrom('rgb' as const, 'bgr' as const),
      color: fc.constantFrom('rgb' as const, 'grayscale' as const),
      factor: fc.oneof(fc.constant(1 / 255), fc.double({ min: -3, max: 3, noNaN: true })),
      offset: fc.oneof(fc.constant(0), fc.constant(-1), fc.double({ min: -200, max: 200, noNaN: true })),
      perChannel: fc.boolean(),
    })
    .map(({ channelOrder, color, factor, offset, perChannel }) => ({
      mode: 'scale' as const,
      channelOrder,
      color,
      factor: perChannel && color === 'rgb' ? [factor, factor / 3, -factor] : factor,
      offset: perChannel && color === 'rgb' ? [offset, 0.5, -offset] : offset,
    })),
);

const caseArb = fc.record({
  inW: fc.integer({ min: 1, max: 48 }),
  inH: fc.integer({ min: 1, max: 48 }),
  outW: fc.integer({ min: 1, max: 40 }),
  outH: fc.integer({ min: 1, max: 40 }),
  channels: fc.integer({ min: 1, max: 4 }),
  orientation: fc.integer({ min: 1, max: 8 }),
  resize: fc.constantFrom(...RESIZE_METHODS),
  preprocessing: preprocessingArb,
  seed: fc.integer(),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function specOf(c: Case): Spec {
  const channels = c.preprocessing.color === 'grayscale' ? 1 : 3;
  return {
    input: { name: 'x', layout: 'NHWC', width: c.outW, height: c.outH, channels, dtype: 'float32' },
    preprocessing: { ...c.preprocessing, resize: c.resize },
  };
}

describe('fused preprocessImage (TypeScript and WebAssembly) equals the step-by-step reference bit for bit', () => {
  it('on random images of every resize, mode, colour, channel count, orientation and size', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const image = noise(c.inW, c.inH, c.channels, c.seed);
        const spec = specOf(c);
        const o = c.orientation as Orientation;
        const fused = preprocessOriented(image, o, spec);
        const reference = preprocessReference(image, o, spec);
        expect(fused.dims).toEqual(reference.dims);
        expect(firstDifference(fused.data, reference.data)).toBeUndefined();
        const simd = preprocessOriented(image, o, spec, wasm);
        expect(firstDifference(simd.data, reference.data)).toBeUndefined();
        // A recycled buffer (a previous image's values, here garbage) gives the fresh buffer's bytes.
        for (const kernel of [undefined, wasm]) {
          const used = new Float32Array(reference.data.length).fill(Number.NaN);
          used[0] = -7.25;
          const into = preprocessOriented(image, o, spec, kernel, used);
          expect(into.data).toBe(used);
          expect(firstDifference(into.data, reference.data)).toBeUndefined();
        }
      }),
      { numRuns: 600 },
    );
  });

  it.each(
    RESIZE_METHODS.flatMap((resize) =>
      [1, 3, 6, 8].flatMap((orientation) => [
        { resize, orientation, w: 600, h: 443, size: 224 },
        { resize, orientation, w: 375, h: 500, size: 299 },
      ]),
    ),
  )(
    'photo-sized: $resize, orientation $orientation, $w×$h → $size²',
    ({ resize, orientation, w, h, size }) => {
      const image = noise(w, h, 3, w * orientation);
      for (const preprocessing of [
        { mode: 'caffe', resize, channelOrder: 'bgr', color: 'rgb' },
        { mode: 'scale', factor: 1 / 255, resize, channelOrder: 'rgb', color: 'rgb' },
      ] as const) {
        const spec: Spec = {
          input: { name: 'x', layout: 'NHWC', width: size, height: size, channels: 3, dtype: 'float32' },
          preprocessing,
        };
        const fused = preprocessOriented(image, orientation as Orientation, spec);
        const reference = preprocessReference(image, orientation as Orientation, spec);
        expect(firstDifference(fused.data, reference.data)).toBeUndefined();
        const simd = preprocessOriented(image, orientation as Orientation, spec, wasm);
        expect(firstDifference(simd.data, reference.data)).toBeUndefined();
        const recycled = preprocessOriented(image, orientation as Orientation, spec, wasm, fused.data);
        expect(recycled.data).toBe(fused.data);
        expect(firstDifference(recycled.data, reference.data)).toBeUndefined();
      }
    },
  );

  it('refuses an out buffer of the wrong size (invalid_argument, both sizes named)', () => {
    const spec: Spec = {
      input: { name: 'x', layout: 'NHWC', width: 4, height: 3, channels: 3, dtype: 'float32' },
      preprocessing: { mode: 'tf', resize: 'nearest', channelOrder: 'rgb', color: 'rgb' },
    };
    const error = (() => {
      try {
        preprocessOriented(noise(5, 5, 3, 1), 1, spec, undefined, new Float32Array(35));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(NetlensError);
    expect((error as NetlensError).code).toBe('invalid_argument');
    expect((error as NetlensError).message).toContain('out has 35 values');
    expect((error as NetlensError).message).toContain('= 36');
  });

  it('gives the same result twice (scratch buffers reused between calls)', () => {
    const spec: Spec = {
      input: { name: 'x', layout: 'NHWC', width: 31, height: 17, channels: 3, dtype: 'float32' },
      preprocessing: { mode: 'tf', resize: 'bilinear', channelOrder: 'rgb', color: 'rgb' },
    };
    const a = preprocessOriented(noise(90, 70, 3, 1), 1, spec);
    preprocessOriented(noise(300, 20, 4, 2), 6, spec);
    const b = preprocessOriented(noise(90, 70, 3, 1), 1, spec);
    expect(firstDifference(a.data, b.data)).toBeUndefined();
  });

  it('refuses what the reference refuses, with the same error', () => {
    const cases: [Pixels, Spec][] = [
      [
        noise(4, 4, 5, 1),
        {
          input: { name: 'x', layout: 'NHWC', width: 2, height: 2, channels: 3, dtype: 'float32' },
          preprocessing: { mode: 'tf', resize: 'nearest', channelOrder: 'rgb', color: 'rgb' },
        },
      ],
      [
        noise(4, 4, 3, 1),
        {
          input: { name: 'x', layout: 'NHWC', width: 2, height: 2, channels: 1, dtype: 'float32' },
          preprocessing: { mode: 'caffe', resize: 'nearest', channelOrder: 'bgr', color: 'grayscale' },
        },
      ],
      [
        noise(4, 4, 3, 1),
        {
          input: { name: 'x', layout: 'NHWC', width: 2, height: 2, channels: 3, dtype: 'float32' },
          preprocessing: { mode: 'scale', factor: [1, 2], resize: 'area', channelOrder: 'rgb', color: 'rgb' },
        },
      ],
    ];
    for (const [image, spec] of cases) {
      const errorOf = (fn: () => unknown): NetlensError => {
        try {
          fn();
        } catch (error) {
          return error as NetlensError;
        }
        throw new Error('expected an error');
      };
      const fused = errorOf(() => preprocessOriented(image, 1, spec));
      const reference = errorOf(() => preprocessReference(image, 1, spec));
      expect(fused).toBeInstanceOf(NetlensError);
      expect([fused.code, fused.message]).toEqual([reference.code, reference.message]);
    }
  });
});

describe('align-corners on a large source', () => {
  it('reads the source in place (no copy into WebAssembly memory), bit for bit the reference', () => {
    const image = noise(3000, 3100, 4, 7); // 37.2 MB, over the 32 MiB the kernel keeps
    const spec: Spec = {
      input: { name: 'input', layout: 'NHWC', height: 224, width: 224, channels: 3, dtype: 'float32' },
      preprocessing: {
        mode: 'scale',
        resize: 'bilinear-align-corners',
        channelOrder: 'rgb',
        color: 'rgb',
        factor: 1 / 255,
        offset: 0,
      },
    };
    const grow = vi.spyOn(WebAssembly.Memory.prototype, 'grow');
    try {
      const fused = preprocessOriented(image, 6, spec, wasm);
      expect(grow).not.toHaveBeenCalled();
      expect(firstDifference(fused.data, preprocessReference(image, 6, spec).data)).toBeUndefined();
    } finally {
      grow.mockRestore();
    }
  });
});
