import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeTinyBase } from '../../test/support/tiny-base.js';
import { parseManifest } from '../core/manifest.js';
import { trainOptions } from './command.js';
import { TRAIN_DEFAULTS, type TrainOptions } from './options.js';
import { runTrain } from './train.js';

/** Solid-colour 10×10 PNGs with a little seeded noise: red, green and blue are easy to tell apart. */
const COLOURS: Record<string, [number, number, number]> = {
  red: [200, 40, 40],
  green: [40, 200, 40],
  blue: [40, 40, 200],
};

async function writeImages(dir: string, perLabel: Record<string, number>): Promise<void> {
  let seed = 1;
  for (const [label, count] of Object.entries(perLabel)) {
    await mkdir(join(dir, label), { recursive: true });
    for (let i = 0; i < count; i++) {
      const pixels = Buffer.alloc(10 * 10 * 3);
      for (let p = 0; p < pixels.length; p++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        pixels[p] = Math.max(0, Math.min(255, COLOURS[label]![p % 3]! + (seed % 61) - 30));
      }
      const png = await sharp(pixels, { raw: { width: 10, height: 10, channels: 3 } })
        .png()
        .toBuffer();
      await writeFile(join(dir, label, `${i}.png`), png);
    }
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function train(options: Partial<TrainOptions> & Pick<TrainOptions, 'dir' | 'modelsDir'>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const base = trainOptions(options.dir, {
      base: 'tiny-base',
      val: 0.25,
      epochs: 30,
      patience: TRAIN_DEFAULTS.patience,
      lr: 0.01,
      l2: TRAIN_DEFAULTS.l2,
      hidden: 0,
      batchSize: 8,
      seed: 7,
      minImages: 4,
      baselineSize: 4,
      baseline: true,
      progress: false,
    });
    const code = await runTrain({ ...base, name: 'colours', ...options });
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('netlens train on a tiny base model', () => {
  let root: string;
  let models: string;
  let data: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'netlens-train-'));
    models = join(root, 'models');
    data = join(root, 'colours');
    writeTinyBase(models);
    writeTinyBase(models, 'no-features', false);
    await writeImages(data, { red: 8, green: 8, blue: 8 });
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('trains, reports and installs a model; a second run reads every row from the cache and writes the same bytes', async () => {
    const first = await train({ dir: data, modelsDir: models });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/backbone head \(tiny-base features \(108\)\)\s+accuracy 100\.0%/);
    expect(first.stdout).toMatch(/raw-pixel baseline \(raw pixels \(4×4×3\)\)\s+accuracy/);
    expect(first.stderr).toMatch(/\[backbone head\] epoch 1\/30 — loss [\d.]+ accuracy [\d.]+% — val_loss/);
    expect(first.stderr).toMatch(/features of 24 images .* 0 from the cache/);
    const manifest = parseManifest(JSON.parse(readFileSync(join(models, 'colours.json'), 'utf8')));
    expect(manifest.labels.map((l) => l.label)).toEqual(['blue', 'green', 'red']);
    expect(manifest.preprocessing).toEqual(
      parseManifest(JSON.parse(readFileSync(join(models, 'tiny-base.json'), 'utf8'))).preprocessing,
    );
    expect(manifest.training).toMatchObject({
      base: { name: 'tiny-base', featuresSize: 108 },
      dataset: { images: 24, train: 18, validation: 6, skipped: 0 },
      head: { hidden: 0, seed: 7, augment: [], balance: false },
      evaluation: { split: 'validation', images: 6, accuracy: 1 },
    });
    const bytes = readFileSync(join(models, 'colours.onnx'));
    for (const file of ['report.json', 'confusion.svg', 'baseline-confusion.svg', 'curves.svg']) {
      expect(existsSync(join(models, 'colours.report', file)), file).toBe(true);
    }

    const second = await train({ dir: data, modelsDir: models, force: true });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/features of 24 images .* 24 from the cache/);
    expect(readFileSync(join(models, 'colours.onnx')).equals(bytes)).toBe(true); // bit-reproducible
  });

  it('shows a progress bar with images/s and rows from the cache when asked (--progress)', async () => {
    const run = await train({ dir: data, modelsDir: models, name: 'progress', progress: true });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /features \|[█░]+\| 24\/24 images \| [\d.]+ images\/s \| 24 from cache \| ETA/,
    );
    const quiet = await train({ dir: data, modelsDir: models, name: 'progress', force: true });
    expect(quiet.stderr).not.toContain('features |');
  });

  it('refuses to overwrite a model unless --force, and never overwrites the base', async () => {
    await expect(train({ dir: data, modelsDir: models, name: 'tiny-base', force: true })).rejects.toThrow(
      '--name tiny-base is the base model',
    );
    await train({ dir: data, modelsDir: models, name: 'taken' });
    await expect(train({ dir: data, modelsDir: models, name: 'taken' })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining("model 'taken' already exists"),
    });
  });

  it('refuses a base model without a features variant, naming the models that have one', async () => {
    await expect(train({ dir: data, modelsDir: models, base: 'no-features' })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(
        /--base no-features has no features variant .* models with one: .*tiny-base/,
      ),
    });
  });

  it('refuses a data set with fewer than two labels', async () => {
    const one = join(root, 'one-label');
    await writeImages(one, { red: 6 });
    await expect(train({ dir: one, modelsDir: models, name: 'one' })).rejects.toMatchObject({
      code: 'invalid_dataset',
      message: expect.stringContaining('has 1 label folder(s) (red); netlens train needs at least 2'),
    });
    await expect(train({ dir: join(root, 'missing'), modelsDir: models, name: 'x' })).rejects.toMatchObject({
      code: 'invalid_dataset',
    });
  });

  it('refuses a label with fewer than --min-images images, naming it', async () => {
    const few = join(root, 'few');
    await writeImages(few, { red: 6, green: 2, blue: 6 });
    await expect(train({ dir: few, modelsDir: models, name: 'few' })).rejects.toMatchObject({
      code: 'invalid_dataset',
      message: 'every label needs at least 4 images (--min-images); too few in: green (2)',
    });
  });

  it('skips and lists unreadable images (exit status 1) and still trains on the rest', async () => {
    const broken = join(root, 'broken');
    await writeImages(broken, { red: 6, green: 6 });
    await writeFile(
      join(broken, 'red', 'truncated.png'),
      readFileSync(join(broken, 'red', '0.png')).subarray(0, 40),
    );
    await writeFile(join(broken, 'green', 'not-an-image.jpg'), 'hello');
    const run = await train({ dir: broken, modelsDir: models, name: 'broken' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /netlens: skipped .*red\/truncated\.png: bad_image|netlens: skipped .*red\/truncated\.png: .*/,
    );
    expect(run.stderr).toMatch(
      /netlens: skipped .*green\/not-an-image\.jpg: .*not a recognised image format/,
    );
    const report = JSON.parse(readFileSync(join(models, 'broken.report', 'report.json'), 'utf8')) as {
      skipped: { file: string }[];
    };
    expect(report.skipped.map((s) => s.file.split('/').slice(-2).join('/')).sort()).toEqual([
      'green/not-an-image.jpg',
      'red/truncated.png',
    ]);
    expect(existsSync(join(models, 'broken.onnx'))).toBe(true);
  });

  it('says when too few readable images are left after skipping the unreadable ones', async () => {
    const mostlyBroken = join(root, 'mostly-broken');
    await writeImages(mostlyBroken, { red: 6, green: 3 });
    await writeFile(join(mostlyBroken, 'green', 'x.png'), 'not a png');
    await expect(train({ dir: mostlyBroken, modelsDir: models, name: 'mb' })).rejects.toMatchObject({
      code: 'invalid_dataset',
      message: 'every label needs at least 4 readable images (--min-images); too few in: green (3)',
    });
  });

  it('needs a held-out set when --val is 0', async () => {
    await expect(train({ dir: data, modelsDir: models, name: 'noval', validation: 0 })).rejects.toThrow(
      '--val 0 leaves nothing to evaluate the model on',
    );
  });
});
