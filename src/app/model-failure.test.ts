/**
 * A model whose file fails its integrity check (issue 15): answered 503 model-not-ready with Retry-After
 * until the next attempt, without reading and hashing the file again per request, logged once per
 * attempt, and never showing the server's paths.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModelDirectorySource } from '../runtime/node/model-dir.js';
import { FakeEngine, FakeSource, fakeDecoder, fakeImage, fakeManifest } from '../../test/support/fakes.js';
import { createApp } from './app.js';
import type { Logger } from './logger.js';
import { ModelRegistry } from './registry.js';

/** A models directory with 'good' and 'bad' (whose file does not match its manifest). */
async function modelsDir() {
  const dir = mkdtempSync(join(tmpdir(), 'netlens-failed-model-'));
  const fakes = new FakeSource();
  const files: Record<string, Uint8Array> = {};
  for (const name of ['good', 'bad']) {
    const bytes = await fakes.modelBytes(fakeManifest(name));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    files[name] = bytes;
    writeFileSync(join(dir, `${name}.onnx`), bytes);
    writeFileSync(
      join(dir, `${name}.json`),
      JSON.stringify({ ...fakeManifest(name), sha256: { model: sha256 } }),
    );
  }
  writeFileSync(
    join(dir, 'bad.onnx'),
    files.bad!.map((b, i) => (i === 7 ? b ^ 1 : b)),
  );
  return { dir, restore: () => writeFileSync(join(dir, 'bad.onnx'), files.bad!) };
}

async function setup() {
  const { dir, restore } = await modelsDir();
  const source = createModelDirectorySource(dir);
  let reads = 0;
  const modelBytes = source.modelBytes.bind(source);
  source.modelBytes = (...args) => (reads++, modelBytes(...args));
  const errors: string[] = [];
  const quiet = (): void => undefined;
  const logger: Logger = {
    debug: quiet,
    info: quiet,
    warn: quiet,
    error: (_fields, message) => void errors.push(message ?? ''),
    child: () => logger,
  };
  let now = Date.parse('2026-12-01T00:00:00Z');
  const registry = new ModelRegistry({
    source,
    engine: new FakeEngine(),
    defaultModel: 'good',
    logger,
    now: () => now,
  });
  await registry.start();
  const app = createApp({
    registry,
    decodeImage: fakeDecoder,
    logger,
    config: { batching: { maxDelayMs: 0 } },
  });
  const classify = () =>
    app.request('/v1/models/bad/classify', {
      method: 'POST',
      body: fakeImage(100),
      headers: { 'content-type': 'image/png' },
    });
  return { app, dir, restore, classify, errors, reads: () => reads, advance: (ms: number) => (now += ms) };
}

describe('a model that fails its integrity check', () => {
  it('is answered 503 model-not-ready with Retry-After, from a cached failure, without paths', async () => {
    const { app, dir, classify, errors, reads, advance } = await setup();
    const before = reads();
    const first = await classify();
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('5');
    const problem = (await first.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({
      type: '/problems/model-not-ready',
      model: 'bad',
      attempts: 1,
      retryAfterSeconds: 5,
      reason: "its ONNX file does not match the manifest's sha256: it was changed or only partly written",
    });
    expect(problem.detail).toMatch(/^model 'bad' could not be loaded \(.*\); it is tried again in 5 s$/);
    expect(reads() - before).toBe(1);

    // Within the backoff: the same answer, the file neither read nor hashed again, nothing logged.
    advance(2500);
    for (let i = 0; i < 5; i++) {
      const again = await classify();
      expect(again.status).toBe(503);
      expect(again.headers.get('retry-after')).toBe('3');
      await again.text();
    }
    expect(reads() - before).toBe(1);
    expect(errors).toHaveLength(1);

    const detail = await (await app.request('/v1/models/bad')).text();
    expect(JSON.parse(detail).load.model).toMatchObject({
      state: 'failed',
      attempts: 1,
      retryAt: '2026-12-01T00:00:05.000Z',
    });
    for (const text of [detail, JSON.stringify(problem)]) {
      expect(text).not.toContain(dir);
      expect(text).not.toMatch(/"\/(tmp|work|home|usr)\//);
    }

    // After the backoff: one more attempt (read, hashed, logged), and the next wait doubles.
    advance(2500);
    const second = await classify();
    expect([second.status, second.headers.get('retry-after')]).toEqual([503, '10']);
    expect(reads() - before).toBe(2);
    expect(errors).toHaveLength(2);
  });

  it('loads once the file is repaired and the backoff has passed', async () => {
    const { restore, classify, advance } = await setup();
    expect((await classify()).status).toBe(503);
    restore();
    expect((await classify()).status).toBe(503); // still within the backoff
    advance(5000);
    expect((await classify()).status).toBe(200);
  });
});
