import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NetlensError } from '../../core/errors.js';
import { writeTinyModel } from '../../../test/node-engine-tiny-model.js';
import { INSTALLED_MODELS_DIR, createModelDirectorySource, modelsDirectory } from './model-dir.js';

const dir = mkdtempSync(join(tmpdir(), 'netlens-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = writeTinyModel(dir, 'tiny');
writeTinyModel(dir, 'another', { classes: 4, logits: true });
writeFileSync(join(dir, 'broken.json'), '{ "name": "broken" }');

async function error(promise: Promise<unknown>): Promise<NetlensError> {
  const e = await promise.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(NetlensError);
  return e as NetlensError;
}

describe('model directory source', () => {
  const source = createModelDirectorySource(dir);

  it('lists valid manifests by name and reports the invalid files', async () => {
    expect((await source.list()).map((m) => m.name)).toEqual(['another', 'tiny']);
    const { problems } = await source.scan();
    expect(problems.map((p) => p.file)).toEqual(['broken.json']);
    expect(problems[0]!.error).toMatch(/not a valid netlens manifest/);
  });

  it('returns the manifest and the sha256-verified bytes', async () => {
    const manifest = await source.manifest('tiny');
    expect(manifest.labels.map((l) => l.label)).toEqual(['Red', 'Green', 'Blue']);
    expect(Buffer.from(await source.modelBytes(manifest)).equals(Buffer.from(model.bytes))).toBe(true);
  });

  it('streams the verified file with its size', async () => {
    const manifest = await source.manifest('tiny');
    expect(await source.fileSize(manifest)).toBe(model.bytes.length);
    const file = await source.openModelFile(manifest);
    expect(file.size).toBe(model.bytes.length);
    const streamed = Buffer.from(await new Response(file.body).arrayBuffer());
    expect(streamed.equals(Buffer.from(model.bytes))).toBe(true);
  });

  it('refuses a model file that does not match its manifest', async () => {
    const manifest = await source.manifest('another');
    const path = join(dir, 'another.onnx');
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    writeFileSync(path, bytes);
    const e = await error(source.modelBytes(manifest));
    expect(e.code).toBe('integrity_error');
    expect(e.message).toMatch(/does not match its manifest/);
    // Streamed, the file breaks off with the same error instead of ending.
    const streamed = await source.openModelFile(manifest);
    const failure = await error(new Response(streamed.body).arrayBuffer());
    expect(failure.message).toMatch(/does not match its manifest/);
  });

  it('names installed models and how to build missing ones for an unknown model', async () => {
    for (const name of ['nsfw-mobilenet-v2', '../etc/passwd']) {
      const e = await error(source.manifest(name));
      expect(e.code).toBe('unknown_model');
      expect(e.message).toMatch(/installed in .*: another, tiny/);
      expect(e.message).toMatch(/npm run models/);
      expect(e.details.installed).toEqual(['another', 'tiny']);
    }
    expect((await error(source.modelBytes(await source.manifest('tiny'), 'features'))).code).toBe(
      'not_found',
    );
  });

  it('treats a missing directory as empty; a relative setting is taken from the working directory', async () => {
    const empty = createModelDirectorySource(join(dir, 'nope'));
    expect(await empty.list()).toEqual([]);
    expect((await error(empty.manifest('tiny'))).message).toMatch(/: none\./);
    expect(modelsDirectory('x/y')).toBe(resolve('x/y'));
    expect(modelsDirectory(undefined)).toBe(INSTALLED_MODELS_DIR);
    expect(INSTALLED_MODELS_DIR).toMatch(/models[/\\]onnx$/);
  });
});
