import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { convertModelFile } from '../src/convert/convert-file.js';
import { convertFixtures } from './convert-fixtures.js';

const REAL = path.resolve(import.meta.dirname, '../../shared/data/keras/resnet8_cifar10.h5');
let fixtures: string;
let scratch: string;

beforeAll(() => {
  fixtures = convertFixtures();
  scratch = mkdtempSync(path.join(tmpdir(), 'netlens-bad-'));
  const real = readFileSync(REAL);
  writeFileSync(path.join(scratch, 'truncated.h5'), real.subarray(0, Math.floor(real.length * 0.6)));
  const corrupt = Buffer.alloc(4096, 0x5a);
  Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]).copy(corrupt);
  writeFileSync(path.join(scratch, 'corrupt.h5'), corrupt);
  writeFileSync(path.join(scratch, 'photo.h5'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6]));
  writeFileSync(path.join(scratch, 'empty.h5'), Buffer.alloc(0));
});

/** Converts into a fresh folder, expects a NetlensError, and checks nothing was written. */
async function expectFailure(file: string, options: Record<string, unknown> = {}): Promise<NetlensError> {
  const outDir = mkdtempSync(path.join(tmpdir(), 'netlens-out-'));
  const error = await convertModelFile(file, { outDir, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetlensError);
  expect(readdirSync(outDir)).toEqual([]);
  return error as NetlensError;
}

describe('bad input: a specific NetlensError and no output file', () => {
  it('a truncated HDF5 file', async () => {
    const e = await expectFailure(path.join(scratch, 'truncated.h5'));
    expect(e.code).toBe('invalid_model_file');
    expect(e.message).toMatch(/truncated or corrupt/);
    expect(e.message).toContain('truncated.h5');
  });

  it('an HDF5 signature followed by garbage', async () => {
    const e = await expectFailure(path.join(scratch, 'corrupt.h5'));
    expect(e.code).toBe('invalid_model_file');
    expect(e.message).toMatch(/cannot be read \(truncated or corrupt/);
  });

  it('wrong magic bytes (a JPEG named .h5) lists the supported formats', async () => {
    const e = await expectFailure(path.join(scratch, 'photo.h5'));
    expect(e.code).toBe('invalid_model_file');
    expect(e.message).toMatch(/starts with bytes ff d8 ff e0.*not the HDF5 signature/);
    expect(e.message).toMatch(/Supported: Keras \.h5/);
  });

  it('an empty file', async () => {
    const e = await expectFailure(path.join(scratch, 'empty.h5'));
    expect(e.message).toMatch(/is empty/);
  });

  it('a missing file', async () => {
    const e = await expectFailure(path.join(scratch, 'nope.h5'));
    expect(e.code).toBe('not_found');
  });

  it('an HDF5 file without Keras weights, with and without --arch', async () => {
    for (const options of [{}, { arch: 'vgg16' }]) {
      const e = await expectFailure(path.join(fixtures, 'no_weights.h5'), options);
      expect(e.code).toBe('invalid_model_file');
      expect(e.message).toMatch(/no Keras weights found .*layer_names/);
    }
  });

  it('weight shapes that do not match the architecture name layer, weight and both shapes', async () => {
    const e = await expectFailure(path.join(fixtures, 'shape_mismatch.h5'));
    expect(e.code).toBe('invalid_model_file');
    expect(e.message).toMatch(
      /layer 'conv' \(Conv2D\) weight 'conv\/kernel:0' \(kernel\) has shape \[3, 3, 3, 5\] but the architecture needs \[3, 3, 3, 4\]/,
    );
  });

  it('a layer whose weights are missing', async () => {
    const e = await expectFailure(path.join(fixtures, 'missing_layer.h5'));
    expect(e.code).toBe('invalid_model_file');
    expect(e.message).toMatch(
      /layer 'fc' \(Dense\) needs 2 weight arrays \(kernel, bias\) but the file has none/,
    );
  });

  it('an unsupported layer names the layer, its class and the supported list', async () => {
    const e = await expectFailure(path.join(fixtures, 'unsupported_layer.h5'));
    expect(e.code).toBe('unsupported_layer');
    expect(e.message).toMatch(/layer 'local' has class LocallyConnected2D/);
    expect(e.message).toMatch(/Supported layers: .*BatchNormalization.*SeparableConv2D/);
    expect(e.details['className']).toBe('LocallyConnected2D');
  });

  it('a Lambda layer explains why it cannot be converted', async () => {
    const e = await expectFailure(path.join(fixtures, 'lambda_layer.h5'));
    expect(e.code).toBe('unsupported_layer');
    expect(e.message).toMatch(/'my_lambda' is a Lambda layer.*Python code.*Replace the Lambda/);
  });

  it('a Keras 1 file says how to upgrade it', async () => {
    const e = await expectFailure(path.join(fixtures, 'keras1.h5'));
    expect(e.code).toBe('invalid_model_file');
    expect(e.message).toMatch(/Keras 1\.2\.2.*Keras 1 files are not supported.*Keras 2/);
  });

  it('a weights-only file without --arch asks for it', async () => {
    const { execFileSync } = await import('node:child_process');
    const file = path.join(scratch, 'weights_only.h5');
    execFileSync('/usr/bin/python3', [
      '-c',
      `import h5py, numpy as np
f = h5py.File('${file}', 'w'); f.attrs['layer_names'] = [b'fc']
g = f.create_group('fc'); g.attrs['weight_names'] = [b'fc/kernel:0']; g.create_dataset('fc/kernel:0', data=np.zeros((2, 2), np.float32))`,
    ]);
    const e = await expectFailure(file);
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(
      /holds weights only .*--arch with one of vgg16, vgg19, resnet50, inception_v3, xception/,
    );
  });

  it('--cut-at an unknown layer lists the layers', async () => {
    const e = await expectFailure(REAL, { cutAt: 'no_such_layer' });
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(/--cut-at 'no_such_layer' is not a layer .*Layers: .*dense/);
  });

  it('a failed verification writes nothing', async () => {
    const e = await expectFailure(REAL, { verify: true, verifyRandom: 1, tolerance: -1 });
    expect(e.code).toBe('integrity_error');
    expect(e.message).toMatch(/verification failed .*tolerance -1/);
  });
});

describe('bad options', () => {
  it('a labels file with the wrong number of labels', async () => {
    const labels = path.join(scratch, 'three.txt');
    writeFileSync(labels, 'a\nb\nc\n');
    const e = await expectFailure(REAL, { labels });
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(/--labels gives 3 labels but model .* outputs 10 classes/);
  });
});

describe('model folders', () => {
  it('a TF.js model folder converts through its model file; a folder without one is an invalid_argument', async () => {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const dir = path.resolve(path.dirname(require.resolve('nsfwjs')), '../models/mobilenet_v2');
    const { readModelFile } = await import('../src/convert/read-model.js');
    const { spec } = await readModelFile(dir);
    expect(spec.format).toBe('tfjs-layers');
    expect(spec.source).toMatch(/model\.min\.js$/);
    const e = await expectFailure(scratch);
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(/folder without model\.json/);
  });
});
