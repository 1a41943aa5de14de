/**
 * Fakes for app tests: an in-memory ModelSource, an Engine whose sessions compute predictable outputs
 * (and can be held to test batching, queueing and timeouts), and a tiny decoder. Test-only.
 */
import type { Engine, EngineSession, Float32Tensor, SessionOptions } from '../../src/core/engine.js';
import { NetlensError } from '../../src/core/errors.js';
import type { DecodedImage, DecodeOptions, ImageDecoder } from '../../src/core/image-types.js';
import { type Manifest, type ModelCard, parseManifest } from '../../src/core/manifest.js';
import type { ModelSource, StoredModelFile, Variant } from '../../src/core/model-source.js';
import { openSession } from '../../src/core/session.js';

export const LABELS = ['cat', 'dog', 'car', 'boat', 'tree'];

export function fakeManifest(
  name: string,
  options: { features?: boolean; modelBytes?: number; card?: ModelCard } = {},
): Manifest {
  return parseManifest({
    manifestVersion: 1,
    name,
    architecture: 'fake',
    file: `${name}.onnx`,
    input: { name: 'input', layout: 'NHWC', height: 4, width: 4, channels: 3, dtype: 'float32' },
    output: { name: 'probs', kind: 'probabilities', size: LABELS.length },
    ...(options.features && {
      features: { file: `${name}-features.onnx`, output: 'features', size: 3, sha256: 'b'.repeat(64) },
    }),
    preprocessing: { mode: 'scale', factor: 1 / 255, resize: 'nearest' },
    labels: LABELS.map((label, i) => ({ id: `c${i}`, label })),
    sha256: { model: 'a'.repeat(64) },
    provenance: {
      source: 'test',
      format: 'fake',
      converter: 'test',
      convertedAt: '2026-01-01',
      opset: 17,
      parameters: 0,
    },
    ...(options.card && { card: options.card }),
  });
}

/** Model bytes encode which model and variant they are, padded to `size` bytes (for memory estimates). */
export class FakeSource implements ModelSource {
  readonly manifests = new Map<string, Manifest>();
  readonly sizes = new Map<string, number>();
  byteReads = 0;

  add(manifest: Manifest, size = 1000): this {
    this.manifests.set(manifest.name, manifest);
    this.sizes.set(manifest.name, size);
    return this;
  }

  async list(): Promise<Manifest[]> {
    return [...this.manifests.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async manifest(name: string): Promise<Manifest> {
    const m = this.manifests.get(name);
    if (!m) {
      throw new NetlensError(
        'unknown_model',
        `unknown model '${name}'; installed: ${[...this.manifests.keys()].join(', ')}`,
      );
    }
    return m;
  }

  async modelBytes(manifest: Manifest, variant: 'model' | 'features' = 'model'): Promise<Uint8Array> {
    this.byteReads++;
    const tag = new TextEncoder().encode(JSON.stringify({ name: manifest.name, variant }));
    const bytes = new Uint8Array(Math.max(tag.length + 1, this.sizes.get(manifest.name) ?? 1000));
    bytes.set(tag);
    return bytes;
  }

  async fileSize(manifest: Manifest): Promise<number | undefined> {
    return this.sizes.get(manifest.name);
  }

  /** The same bytes as modelBytes, streamed (fake hashes: not verified). */
  async openModelFile(manifest: Manifest, variant: Variant = 'model'): Promise<StoredModelFile> {
    const bytes = await this.modelBytes(manifest, variant);
    return { body: new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(), size: bytes.length };
  }
}

/** Mean of one image's values (0–1 after the fake model's scale preprocessing). */
function means(input: Float32Tensor): number[] {
  const [n, h, w, c] = input.dims as [number, number, number, number];
  const size = h * w * c;
  return Array.from({ length: n }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < size; j++) sum += input.data[i * size + j]!;
    return sum / size;
  });
}

/**
 * Outputs for mean m: probabilities [m/2, (1−m)/2, 0.2, 0.2, 0.1]; features [m, 2m, 3m].
 * `hold()` makes runs wait until `release()`; `batches` records every run's batch size.
 */
export class FakeEngine implements Engine {
  readonly name = 'fake-engine 1.0';
  /** Copies of the model each session keeps (a multi-threaded engine's); the registry charges them. */
  replicas = 1;
  readonly batches: { model: string; variant: string; size: number }[] = [];
  sessionsCreated = 0;
  disposed: string[] = [];
  failNext: Error | undefined;
  provider = 'cpu';
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  /** Resolves when a run is waiting at the gate. */
  private waiting: (() => void)[] = [];

  hold(): void {
    this.gate ??= new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
    this.open = undefined;
  }

  /** Resolves once some run is blocked by hold(). */
  blocked(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async createSession(bytes: Uint8Array, options?: SessionOptions): Promise<EngineSession> {
    return this.session(bytes, options);
  }

  private async run(
    tag: { name: string; variant: string },
    output: string,
    input: Float32Tensor,
  ): Promise<Record<string, Float32Tensor>> {
    const n = input.dims[0]!;
    this.batches.push({ model: tag.name, variant: tag.variant, size: n });
    if (this.gate) {
      for (const wake of this.waiting.splice(0)) wake();
      await this.gate;
    }
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const rows = means(input).map((m) =>
      tag.variant === 'features' ? [m, 2 * m, 3 * m] : [m / 2, (1 - m) / 2, 0.2, 0.2, 0.1],
    );
    return { [output]: { data: Float32Array.from(rows.flat()), dims: [n, rows[0]!.length] } };
  }

  /** A session through core's one wrapper (as the real engines), so the warm-up run is the same. */
  private session(bytes: Uint8Array, options?: SessionOptions): Promise<EngineSession> {
    this.sessionsCreated++;
    const end = bytes.indexOf(0);
    const tag = JSON.parse(new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end))) as {
      name: string;
      variant: string;
    };
    const output = tag.variant === 'features' ? 'features' : 'probs';
    return openSession(
      {
        inputs: [{ name: 'input', type: 'float32', dims: [undefined, 4, 4, 3] }],
        outputNames: [output],
        run: async (input) => {
          const result = (await this.run(tag, output, input.tensor))[output]!;
          return { [output]: { type: 'float32', data: result.data, dims: result.dims } };
        },
        release: async () => {
          this.disposed.push(`${tag.name}:${tag.variant}`);
        },
      },
      {
        provider: this.provider,
        fallbacks: [],
        ...(options?.warmUp !== undefined && { warmUp: options.warmUp }),
      },
    );
  }
}

/**
 * Test images: real magic numbers (so sniffing works) followed by one value byte V: the fake decoder
 * returns a 6×5 RGB image filled with V. Bytes containing "CORRUPT" throw bad_image; "CRASH" throws a
 * plain Error; "HUGE" reports 100000×100000 pixels (image_too_large against maxPixels).
 */
export const MAGIC = {
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  jpeg: [0xff, 0xd8, 0xff, 0xe0],
  gif: Array.from('GIF89a', (c) => c.charCodeAt(0)),
} as const;

export function fakeImage(
  value: number,
  format: keyof typeof MAGIC = 'png',
  marker = '',
): Uint8Array<ArrayBuffer> {
  return new Uint8Array([...MAGIC[format], ...Array.from(marker, (c) => c.charCodeAt(0)), value]);
}

export const fakeDecoder: ImageDecoder = async (
  bytes: Uint8Array,
  options?: DecodeOptions,
): Promise<DecodedImage> => {
  const text = new TextDecoder('latin1').decode(bytes);
  if (text.includes('CORRUPT')) throw new NetlensError('bad_image', 'truncated image data');
  if (text.includes('CRASH')) throw new Error('decoder exploded');
  const [width, height] = text.includes('HUGE') ? [100_000, 100_000] : [6, 5];
  if (options?.maxPixels !== undefined && width * height > options.maxPixels) {
    throw new NetlensError('image_too_large', `${width}×${height} is more than ${options.maxPixels} pixels`, {
      details: { limit: options.maxPixels },
    });
  }
  const value = bytes[bytes.length - 1]!;
  const format = bytes[0] === 0x89 ? 'png' : bytes[0] === 0xff ? 'jpeg' : 'gif';
  return {
    width,
    height,
    channels: 3,
    data: new Uint8Array(width * height * 3).fill(value),
    format,
    decoder: 'fake',
  };
};

/** The expected top prediction for an image of value v on the fake model. */
export function expectedScores(v: number): number[] {
  const m = v / 255;
  return [m / 2, (1 - m) / 2, 0.2, 0.2, 0.1];
}
