import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../core/hash.js';
import { type BlobStore, createBlobModelSource } from './blob-model-source.js';
import { assertFitsIsolate, estimateIsolateBytes, maxEdgeModelBytes } from './isolate-budget.js';

const model = new Uint8Array([8, 1, 2, 3, 4, 5]);

async function store(overrides: Record<string, unknown> = {}): Promise<Map<string, Uint8Array>> {
  const manifest = {
    manifestVersion: 1,
    name: 'tiny',
    architecture: 'test',
    file: 'tiny.onnx',
    input: { name: 'input', layout: 'NHWC', height: 2, width: 2, channels: 3, dtype: 'float32' },
    output: { name: 'probs', kind: 'probabilities', size: 2 },
    preprocessing: { mode: 'tf', resize: 'bilinear' },
    labels: ['cat', 'dog'],
    sha256: { model: await sha256Hex(model) },
    provenance: { source: 't', format: 't', converter: 't', convertedAt: 't', opset: 17, parameters: 6 },
    ...overrides,
  };
  return new Map([
    ['tiny.json', new TextEncoder().encode(JSON.stringify(manifest))],
    ['tiny.onnx', model],
  ]);
}

function blobStore(files: Map<string, Uint8Array>): BlobStore {
  return {
    read: (path) => Promise.resolve(files.get(path)),
    open: async (path) => {
      const bytes = files.get(path);
      // Two chunks, so the verified stream holds one back.
      const chunks = bytes && [bytes.subarray(0, 2), bytes.subarray(2)];
      const body =
        chunks &&
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(chunk);
            controller.close();
          },
        });
      return body && { body, size: bytes.length };
    },
    size: async (path) => files.get(path)?.length,
    sha256: () => {
      const hash = createHash('sha256');
      return { update: (chunk) => void hash.update(chunk), digest: async () => hash.digest('hex') };
    },
  };
}

function source(files: Map<string, Uint8Array>, admit?: (m: string, f: string) => Promise<void>) {
  return createBlobModelSource({
    ...blobStore(files),
    names: ['tiny'],
    location: 'test store',
    ...(admit && { admit }),
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe('createBlobModelSource', () => {
  it('lists, validates and returns sha256-checked model bytes', async () => {
    const s = source(await store());
    const [manifest] = await s.list();
    expect(manifest?.labels).toEqual([
      { id: '0', label: 'cat' },
      { id: '1', label: 'dog' },
    ]);
    expect(await s.modelBytes(manifest!)).toEqual(model);
  });

  it('names the available models for an unknown one', async () => {
    await expect(source(await store()).manifest('nope')).rejects.toMatchObject({
      code: 'unknown_model',
      message: "unknown model 'nope'; available: tiny",
    });
  });

  it('refuses bytes that do not match the manifest, and missing or invalid files', async () => {
    const tampered = await store();
    tampered.set('tiny.onnx', new Uint8Array([9, 9, 9]));
    const s = source(tampered);
    await expect(s.modelBytes(await s.manifest('tiny'))).rejects.toMatchObject({ code: 'integrity_error' });

    const missing = await store();
    missing.delete('tiny.onnx');
    const m = source(missing);
    await expect(m.modelBytes(await m.manifest('tiny'))).rejects.toMatchObject({
      code: 'integrity_error',
      message: expect.stringContaining("tiny.onnx of model 'tiny' is missing"),
    });

    const invalid = await store({ output: { name: 'probs', kind: 'probabilities', size: 3 } });
    await expect(source(invalid).manifest('tiny')).rejects.toMatchObject({ code: 'invalid_manifest' });
  });

  it('streams a model file with its size, and fails the stream (never ends it) when the bytes changed', async () => {
    const s = source(await store());
    const manifest = await s.manifest('tiny');
    expect(await s.fileSize(manifest)).toBe(model.length);
    const file = await s.openModelFile(manifest);
    expect(file.size).toBe(model.length);
    expect(await readAll(file.body)).toEqual(model);

    const tampered = await store();
    tampered.set('tiny.onnx', new Uint8Array([8, 1, 2, 3, 4, 6]));
    const t = source(tampered);
    const changed = await t.openModelFile(await t.manifest('tiny'));
    const received: number[] = [];
    const reader = changed.body.getReader();
    const failure = await (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return undefined;
        received.push(...value);
      }
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'integrity_error',
      message: expect.stringContaining('does not match'),
    });
    expect(received).toEqual([8, 1]); // the last chunk was held back
    const missing = await store();
    missing.delete('tiny.onnx');
    const m = source(missing);
    await expect(m.openModelFile(await m.manifest('tiny'))).rejects.toMatchObject({
      code: 'integrity_error',
    });
  });

  it('lets the runtime refuse a model before its bytes are read', async () => {
    let reads = 0;
    const files = await store();
    const s = createBlobModelSource({
      ...blobStore(files),
      names: ['tiny'],
      read: (path) => {
        if (path.endsWith('.onnx')) reads++;
        return Promise.resolve(files.get(path));
      },
      location: 'test store',
      admit: () => Promise.resolve(assertFitsIsolate('tiny', 200 * 1024 * 1024)),
    });
    await expect(s.modelBytes(await s.manifest('tiny'))).rejects.toMatchObject({ code: 'model_not_ready' });
    expect(reads).toBe(0);
  });
});

describe('isolate budget', () => {
  it('estimates from the measured ORT factor and names the largest model that fits', () => {
    const mib = 1024 * 1024;
    expect(estimateIsolateBytes(10 * mib)).toBe(16 * mib + 32 * mib + 44 * mib);
    expect(maxEdgeModelBytes(100 * mib)).toBe(Math.floor((40 * mib) / 3.2));
    expect(() => assertFitsIsolate('m', 10 * mib)).not.toThrow();
    expect(() => assertFitsIsolate('big', 90 * mib)).toThrow(
      /model 'big' \(90\.0 MiB\) needs about 348\.0 MiB of isolate memory, over the 100\.0 MiB budget.*largest model that fits is 12\.5 MiB/,
    );
  });
});
