import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../src/core/pipeline.js';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { decodeImage } from '../src/runtime/node/decode-image.js';
import { createModelDirectorySource } from '../src/runtime/node/model-dir.js';
import { netlens, PHOTOS } from './cli-helpers.js';
import { writeTinyModel } from './node-engine-tiny-model.js';

const tmp = mkdtempSync(join(tmpdir(), 'netlens-cli-'));
const models = join(tmp, 'models');
const env = { NETLENS_MODELS_DIR: models };
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KERAS_LINE = /^\d+\. \S+: \d{1,3}\.\d{2}%$/;

describe('netlens CLI (tiny model)', () => {
  beforeAll(() => {
    writeTinyModel(models, 'tiny');
    writeTinyModel(models, 'tiny-logits', { classes: 4, logits: true });
  });

  it('prints the Keras-style top-k for one image, equal to in-process classification', async () => {
    const photo = join(PHOTOS, 'jemma.png');
    const r = await netlens(['classify', photo, '--model', 'tiny'], env);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(photo);
    expect(lines.slice(1)).toHaveLength(3); // top defaults to min(5, classes)
    for (const line of lines.slice(1)) expect(line).toMatch(KERAS_LINE);
    expect(r.stderr).toMatch(
      /\[INFO\] model tiny \(tiny-test-net, 8×8×3, 3 classes\) on cpu — onnxruntime-node 1\.30/,
    );

    const source = createModelDirectorySource(models);
    const manifest = await source.manifest('tiny');
    const session = await createNodeEngine({ providers: ['cpu'] }).createSession(
      await source.modelBytes(manifest),
    );
    const bytes = readFileSync(photo);
    const [expected] = await classify(session, manifest, [{ bytes, decoded: await decodeImage(bytes) }], 3);
    await session.dispose();
    expect(lines.slice(1)).toEqual(
      expected!.map((p, i) => `${i + 1}. ${p.label}: ${(p.score * 100).toFixed(2)}%`),
    );

    const json = await netlens(['classify', photo, '--model', 'tiny', '--json', '--top', '2'], env);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as {
      provider: string;
      results: { file: string; predictions: { index: number; score: number }[] }[];
    };
    expect(doc.provider).toBe('cpu');
    expect(doc.results[0]!.predictions).toEqual(expected!.slice(0, 2));
  });

  it('runs a directory as a batch: bad files are reported by name and reason, the rest still run, exit 1', async () => {
    const dir = join(tmp, 'batch');
    mkdirSync(dir, { recursive: true });
    for (const f of ['bmw.png', 'soccer_ball.jpg'])
      writeFileSync(join(dir, f), readFileSync(join(PHOTOS, f)));
    const jpeg = readFileSync(join(PHOTOS, 'clint_eastwood.jpg'));
    writeFileSync(join(dir, 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    const r = await netlens(
      ['classify', dir, '--model', 'tiny-logits', '--batch-size', '2', '--top', '4', '--progress'],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`netlens: ${join(dir, 'truncated.jpg')}: bad_image: cannot decode JPEG: `);
    expect(r.stderr).toContain(
      `netlens: ${join(dir, 'notes.txt')}: unsupported_media_type: not a recognised image format`,
    );
    expect(r.stderr).toMatch(/classified 2 of 4 images in [\d.]+ s: [\d.]+ images\/s .*; 2 failed/);
    // The progress bar (cli-progress) goes to stderr; --progress forces it without a terminal.
    expect(r.stderr).toMatch(/classifying \|.+\| 4\/4 images \| [\d.]+ images\/s/);
    const blocks = r.stdout.trim().split('\n\n');
    expect(blocks.map((b) => b.split('\n')[0])).toEqual([join(dir, 'bmw.png'), join(dir, 'soccer_ball.jpg')]);
    for (const b of blocks) {
      const lines = b.split('\n').slice(1);
      expect(lines).toHaveLength(4);
      for (const line of lines) expect(line).toMatch(KERAS_LINE);
      // softmax applied to the logits model: the four percentages add up to ~100
      const total = lines.reduce((s, l) => s + Number(/([\d.]+)%$/.exec(l)![1]), 0);
      expect(total).toBeGreaterThan(99.9);
      expect(total).toBeLessThan(100.1);
    }
  });

  it('writes an annotated JPEG of the image size', async () => {
    const out = join(tmp, 'annotated.jpg');
    const photo = join(PHOTOS, 'clint_eastwood.jpg');
    const r = await netlens(['classify', photo, '--model', 'tiny', '--annotate', out], env);
    expect(r.code, r.stderr).toBe(0);
    const meta = await sharp(out).metadata();
    const original = await sharp(photo).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', original.width, original.height]);
    // The label band darkens the top rows.
    const { data } = await sharp(out)
      .extract({ left: 0, top: 0, width: meta.width, height: 4 })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { data: raw } = await sharp(photo)
      .extract({ left: 0, top: 0, width: meta.width, height: 4 })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const mean = (b: Buffer) => b.reduce((s, v) => s + v, 0) / b.length;
    expect(mean(data)).toBeLessThan(mean(raw) * 0.7);
  });

  it('names installed models for an unknown model (exit 3) and validates options (exit 2)', async () => {
    const unknown = await netlens(['classify', join(PHOTOS, 'bmw.png'), '--model', 'resnet-9000'], env);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(
      /unknown_model: unknown model 'resnet-9000'; installed in .*: tiny, tiny-logits\. .*npm run models/,
    );
    const badTop = await netlens(['classify', join(PHOTOS, 'bmw.png'), '--model', 'tiny', '--top', '9'], env);
    expect(badTop.code).toBe(2);
    expect(badTop.stderr).toMatch(/'top' must be an integer from 1 to 3/);
    const zero = await netlens(['classify', 'x.png', '--top', '0'], env);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--top must be a positive integer/);
  });

  it('reports provider fallbacks on stderr and lists models', async () => {
    const r = await netlens(
      ['classify', join(PHOTOS, 'bmw.png'), '--model', 'tiny', '--providers', 'nonexistent,cpu'],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/on cpu/);
    expect(r.stderr).toMatch(/\[WARN\] execution provider 'nonexistent' not used: /);
    const m = await netlens(['models'], env);
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/^\s+tiny\s+tiny-test-net\s+8×8×3\s+3\s+scale, bilinear\s+cpu$/m);
    expect(m.stdout).toMatch(/Not installed: nsfw-mobilenet-v2, nsfw-inception-v3 — run 'npm run models'/);
  });

  it('netlens bench times each stage and end to end, at batch 1 and 8', async () => {
    const r = await netlens(['bench', '--model', 'tiny', '--images', PHOTOS, '--seconds', '0.05'], env);
    expect(r.code, r.stderr).toBe(0);
    for (const stage of ['decode \\(sharp\\)', 'preprocess \\(bilinear\\)', 'inference', 'end to end']) {
      expect(r.stdout).toMatch(new RegExp(`^\\| ${stage}[^|]* \\| [18]? \\| [\\d.]+ \\| [\\d.]+ \\|$`, 'm'));
    }
    expect(r.stdout).toMatch(/^- inference batch 8 vs batch 1: [\d.]+× images\/s$/m);
  });
});
