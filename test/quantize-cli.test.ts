/**
 * `netlens quantize` end to end on a real trained Keras model (../shared/data/keras/resnet8_cifar10.h5,
 * tf.keras 2.4, CIFAR-10) converted by the converter: the int8 and fp16 variants are written with their
 * manifests, their agreement with float32 is measured on held-out photos, onnxruntime fuses the int8 one,
 * and both are served by name by `netlens classify` and the HTTP service. Bad input gets typed errors.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, type Manifest } from '../src/core/manifest.js';
import { convertModelFile } from '../src/convert/convert-file.js';
import { readPhotoSet } from '../src/quantize/photo-set.js';
import { DEFAULT_CALIBRATION_DIR } from '../src/quantize/photo-sets.js';
import { netlens, PHOTOS } from './cli-helpers.js';
import { startServerProcess } from './server-process.js';

const KERAS = resolve(import.meta.dirname, '../../shared/data/keras/resnet8_cifar10.h5');
const tmp = mkdtempSync(join(tmpdir(), 'netlens-quantize-'));
const models = join(tmp, 'models');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function manifestOf(name: string): Manifest {
  return parseManifest(JSON.parse(readFileSync(join(models, `${name}.json`), 'utf8')));
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const quantize = (args: string[]) => netlens(['quantize', ...args, '--models-dir', models]);
/** Agreement measured on the shared photos × the first `variants` augmentations. */
const heldOut = (variants: number) => ['--holdout', PHOTOS, '--variants', String(variants)];

describe('netlens quantize (resnet8_cifar10, a trained tf.keras model)', () => {
  beforeAll(async () => {
    await convertModelFile(KERAS, { outDir: models, name: 'resnet8', features: false });
  }, 120_000);

  it('--int8 writes a fused int8 variant with its calibration, provenance and agreement in the manifest', async () => {
    const r = await quantize(['resnet8', '--int8', ...heldOut(4), '--min-agreement', '0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf('resnet8-int8');
    const source = manifestOf('resnet8');
    expect(m.file).toBe('resnet8-int8.onnx');
    expect(m.sha256.model).toBe(sha256(join(models, m.file)));
    expect(m.input).toEqual(source.input);
    expect(m.preprocessing).toEqual(source.preprocessing);
    expect(m.features).toBeUndefined();
    const q = m.quantization;
    expect(q).toMatchObject({
      kind: 'int8',
      from: { model: 'resnet8', sha256: source.sha256.model },
      weights: 'int8',
      activations: 'uint8',
      perChannel: true,
      method: 'percentile',
      biasCorrection: true,
      tunedFor: 'cpu',
      float32Ops: { Conv: 1, Relu: 1, Softmax: 1 },
      integerOps: { QLinearConv: 8, QLinearAdd: 3, QLinearAveragePool: 1, QGemm: 1 },
    });
    const calibration = await readPhotoSet(DEFAULT_CALIBRATION_DIR, 'calibration');
    expect(q?.calibration).toEqual({
      photos: DEFAULT_CALIBRATION_DIR,
      sha256: calibration.sha256,
      images: 15,
    });
    const holdout = await readPhotoSet(PHOTOS, 'held-out');
    expect(q?.agreement).toMatchObject({
      photos: PHOTOS,
      sha256: holdout.sha256,
      images: 8,
      variants: 4,
      samples: 32,
    });
    expect(q?.agreement.top1).toBeGreaterThanOrEqual(0.95);
    expect(q?.agreement.meanAbsDiff).toBeLessThan(0.01);
    const bytes = readFileSync(join(models, m.file)).length;
    const ratio = readFileSync(join(models, source.file)).length / bytes;
    expect(ratio).toBeGreaterThan(2.8); // a small model: scales, zero points and the float first conv weigh in
    const json = JSON.parse(r.stdout) as { agreement: { samples: number; top1: number } };
    expect(json.agreement.samples).toBe(32);
    expect(json.agreement.top1).toBe(q?.agreement.top1);
    // --min-agreement 0: measured on the validation inputs, nothing kept float32 for accuracy.
    expect(q?.mixedPrecision).toMatchObject({ target: 0, rounds: 0, trials: 1, float32Nodes: [] });
    // ResNet8's AveragePool feeds the classifier, not a 1×1 Conv: pool-after-conv has no site, is not tried.
    expect(q?.speedRewrites).toEqual([{ name: 'pool-after-conv', mode: 'try', sites: 0, applied: false }]);
    expect(q?.poolsMovedBelowConv).toBeUndefined();
  });

  it('--pool-after-conv forces the rewrite and says when the graph has no site for it', async () => {
    const r = await quantize([
      'resnet8',
      '--int8',
      ...heldOut(1),
      '--min-agreement',
      '0',
      '--name',
      'r8-pool',
      '--pool-after-conv',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(manifestOf('r8-pool').quantization?.speedRewrites).toEqual([
      { name: 'pool-after-conv', mode: 'on', sites: 0, applied: false },
    ]);
    expect(r.stdout).toMatch(/rewrites {4}pool-after-conv forced, but the graph has no site for it/);
  }, 120_000);

  it('--tune-for wasm writes <model>-int8-wasm: Convs with dot products shorter than 64 float32, the others QLinearConv', async () => {
    const r = await quantize([
      'resnet8',
      '--int8',
      '--tune-for',
      'wasm',
      ...heldOut(2),
      '--min-agreement',
      '0',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('tuned for onnxruntime-web WASM (--tune-for wasm)');
    const q = manifestOf('resnet8-int8-wasm').quantization;
    // Dot products shorter than 64 stay float32: the first Conv (3×3×3 = 27) and the two 1×1 shortcut
    // Convs (16 and 32 channels); the 3×3 Convs on 16–64 channels (144–576) stay integer.
    expect(q).toMatchObject({ kind: 'int8', tunedFor: 'wasm', float32Ops: { Conv: 3 } });
    expect(q?.integerOps?.['QLinearConv']).toBe(6);
    expect(q?.agreement.top1).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('--int8 keeps the most sensitive nodes float32 until the validation agreement reaches 99% (the default), and says so', async () => {
    const r = await quantize(['resnet8', '--int8', ...heldOut(4), '--name', 'r8-mixed']);
    expect(r.code, r.stderr).toBe(0);
    const q = manifestOf('r8-mixed').quantization;
    const m = q?.mixedPrecision;
    const calibration = await readPhotoSet(DEFAULT_CALIBRATION_DIR, 'calibration');
    // Validation: the 15 calibration photos under the 15 augmentations not used to calibrate.
    expect(m?.validation).toEqual({
      photos: DEFAULT_CALIBRATION_DIR,
      sha256: calibration.sha256,
      images: 15,
      variants: 15,
      samples: 225,
    });
    expect(m?.target).toBe(0.99);
    expect(m?.before.top1).toBeLessThan(0.99); // all-int8: 97.3% here
    expect(m?.reached).toBe(true);
    expect(m?.after.top1).toBeGreaterThanOrEqual(0.99);
    expect(m?.after.kl).toBeLessThan(m?.before.kl ?? 0);
    const kept = m?.float32Nodes ?? [];
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBe(m?.rounds);
    const keptConvs = kept.filter((n) => n.opType === 'Conv').length;
    expect(q?.float32Ops?.['Conv']).toBeGreaterThanOrEqual(1 + keptConvs);
    expect(q?.integerOps?.['QLinearConv']).toBeLessThanOrEqual(8 - keptConvs);
    expect(r.stdout).toMatch(
      /validation {2}all-int8 top-1 9\d\.\d% on 225 validation inputs .* below the target 99\.0%/,
    );
    expect(r.stdout).not.toContain('rewrites'); // none has a site in ResNet8
    expect(r.stdout).toContain(
      `target met: top-1 ${((m?.after.top1 ?? 0) * 100).toFixed(1)}% with ${kept.length} node(s) kept float32: ${kept[0]?.node} (`,
    );
  }, 120_000);

  it('refuses a variant whose agreement collapsed, naming the method that measured better; --force writes it with the warning', async () => {
    const args = ['resnet8', '--int8', '--method', 'entropy', ...heldOut(2), '--name', 'r8-entropy'];
    const refused = await quantize(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /agreement collapsed: top-1 \d+\.\d% on the held-out inputs \(below 90%\); not written \(--force writes it anyway\)/,
    );
    expect(refused.stderr).toMatch(
      /entropy calibration collapsed: top-1 \d+\.\d% on the validation inputs \(below 90\.0%\); use --method (percentile|minmax) \(validation top-1: /,
    );
    expect(existsSync(join(models, 'r8-entropy.json'))).toBe(false);
    const forced = await quantize([...args, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/warning {5}entropy calibration collapsed: top-1/);
    const q = manifestOf('r8-entropy').quantization;
    expect(q?.agreement.top1).toBeLessThan(0.9);
    expect(q?.warnings?.join('\n')).toMatch(
      /use --method (percentile|minmax)[\s\S]*written because of --force/,
    );
    expect(q?.mixedPrecision).toMatchObject({ rounds: 0, float32Nodes: [] }); // no fallback on a collapse
  }, 120_000);

  it('serves the variants by name: netlens classify and models, and the HTTP API', async () => {
    const fp16 = await quantize(['resnet8', '--fp16', ...heldOut(2)]);
    expect(fp16.code, fp16.stderr).toBe(0);
    expect(fp16.stdout).toMatch(/agreement {3}top-1 100\.0%/);
    expect(manifestOf('resnet8-fp16').quantization?.agreement.maxAbsDiff).toBeLessThan(1e-2);
    const photo = join(PHOTOS, 'bmw.png');
    const top1 = async (model: string) => {
      const r = await netlens(['classify', photo, '--model', model, '--models-dir', models, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { results: { predictions: { label: string; score: number }[] }[] })
        .results[0]?.predictions[0];
    };
    const [a, b, c] = [await top1('resnet8'), await top1('resnet8-int8'), await top1('resnet8-fp16')];
    expect(b?.label).toBe(a?.label);
    expect(c?.label).toBe(a?.label);
    expect(Math.abs((c?.score ?? 0) - (a?.score ?? 0))).toBeLessThan(1e-2);
    const listed = await netlens(['models', '--models-dir', models, '--json']);
    expect(listed.stdout).toContain('resnet8-int8');
    const server = await startServerProcess([], {
      NETLENS_MODELS_DIR: models,
      NETLENS_MODEL: 'resnet8-int8',
    });
    try {
      const response = await fetch(`${server.url}/v1/models/resnet8-int8/classify?top=3`, {
        method: 'POST',
        body: readFileSync(photo),
        headers: { 'content-type': 'image/png' },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { model: string; predictions: { label: string }[] };
      expect(JSON.stringify(body)).toContain(b?.label ?? '?');
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('refuses bad requests with typed errors and exit status 2 or 3', async () => {
    const small = join(tmp, 'three-photos');
    mkdirSync(small);
    for (const f of ['bmw.png', 'boat.png', 'tv.png']) copyFileSync(join(PHOTOS, f), join(small, f));
    const cases: [string[], number, RegExp][] = [
      [
        ['resnet8', '--int8', '--calibration', small],
        2,
        /calibration set too small: 3 photo\(s\) from .*three-photos; int8 needs at least 8/,
      ],
      [
        ['resnet8', '--int8', '--calibration', PHOTOS, '--holdout', small],
        2,
        /held-out photos must not be calibration photos: bmw\.png, boat\.png, tv\.png/,
      ],
      [['resnet8-int8', '--int8'], 2, /already a int8 variant of 'resnet8'/],
      [['nope', '--int8'], 3, /unknown model 'nope'.*resnet8/],
      [['resnet8'], 2, /exactly one of --int8 or --fp16/],
      [['resnet8', '--fp16', '--method', 'entropy'], 2, /apply to --int8 only/],
      [
        ['resnet8', '--fp16', '--pool-after-conv'],
        2,
        /--pool-after-conv \/ --no-pool-after-conv and --tune-for apply to --int8 only/,
      ],
      [
        ['resnet8', '--fp16', '--no-pool-after-conv'],
        2,
        /--pool-after-conv \/ --no-pool-after-conv and --tune-for apply to --int8 only/,
      ],
      [['resnet8', '--fp16', '--tune-for', 'wasm'], 2, /--tune-for apply to --int8 only/],
      [['resnet8', '--int8', '--tune-for', 'gpu'], 2, /Allowed choices are cpu, wasm/],
      [['resnet8', '--int8', '--method', 'mean'], 2, /Allowed choices are minmax, percentile, entropy/],
      [
        ['resnet8', '--int8', '--holdout', join(tmp, 'missing')],
        2,
        /held-out photo directory .*missing cannot be read/,
      ],
      [['resnet8', '--int8', '--variants', '40'], 2, /--variants must be an integer from 1 to 16/],
      [['resnet8', '--int8', '--min-agreement', '99'], 2, /--min-agreement must be a fraction from 0 to 1/],
      [['resnet8', '--int8', '--max-float', '-1'], 2, /--max-float must be an integer from 0 to 1000/],
    ];
    for (const [args, code, message] of cases) {
      const r = await quantize(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), code]);
      expect(r.stderr).toMatch(message);
    }
  }, 240_000); // 15 CLI processes: minutes on a loaded 2-core machine
});
