import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { convertKerasModel } from '../src/convert/keras/convert.js';
import { SUPPORTED_LAYERS } from '../src/convert/keras/lower/registry.js';
import { functionalConfig } from './convert-harness.js';

// Every refusal names the layer, its class and what is supported, so a user knows what to change.
async function refusal(className: string, config: Record<string, unknown> = {}): Promise<NetlensError> {
  const spec = {
    config: functionalConfig(
      [6, 6, 3],
      [{ class_name: className, config: { name: 'the_layer', ...config } }],
    ),
    weights: new Map(),
    format: 'keras-h5-model' as const,
    source: 'model.h5',
  };
  const error = await convertKerasModel(spec, { name: 'm' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NetlensError);
  return error as NetlensError;
}

describe('refused layers', () => {
  for (const className of [
    'LSTM',
    'Conv3D',
    'Conv1D',
    'LocallyConnected2D',
    'MultiHeadAttention',
    'Embedding',
    'GroupNormalization',
    'RandomFlip',
    'CustomBlock',
  ]) {
    it(`${className}: the layer, its class and every supported layer`, async () => {
      const e = await refusal(className);
      expect(e.code).toBe('unsupported_layer');
      expect(e.message).toContain(
        `model.h5: layer 'the_layer' has class ${className}, which the converter does not support.`,
      );
      expect(e.message).toContain(`Supported layers: ${SUPPORTED_LAYERS.join(', ')}`);
      expect(e.details).toMatchObject({ layer: 'the_layer', className, supported: SUPPORTED_LAYERS });
    });
  }

  it('the supported list names the layers of this converter, new ones included', () => {
    for (const name of [
      'Conv2DTranspose',
      'UpSampling2D',
      'PReLU',
      'ELU',
      'ThresholdedReLU',
      'LayerNormalization',
      'Permute',
      'Rescaling',
      'Normalization',
      'TFOpLambda',
      'Subtract',
    ]) {
      expect(SUPPORTED_LAYERS).toContain(name);
    }
  });

  it('a Lambda layer: why, and what to use instead', async () => {
    const e = await refusal('Lambda', { function: ['4wEAAAAA', null, null] });
    expect(e.message).toMatch(
      /layer 'the_layer' is a Lambda layer\..*Replace the Lambda with built-in layers/,
    );
    expect(e.details).toMatchObject({ layer: 'the_layer', className: 'Lambda', supported: SUPPORTED_LAYERS });
  });

  for (const [className, config, message] of [
    [
      'Activation',
      { activation: 'crelu' },
      /layer 'the_layer' \(Activation\) uses activation 'crelu'.*Supported activations: linear, /,
    ],
    [
      'UpSampling2D',
      { interpolation: 'lanczos3' },
      /layer 'the_layer' \(UpSampling2D\): interpolation 'lanczos3' is not supported \(nearest, bilinear\)/,
    ],
    [
      'MaxPooling2D',
      { pool_size: [2, 2], padding: 'causal' },
      /layer 'the_layer' \(MaxPooling2D\): padding 'causal' is not supported \(valid, same\)/,
    ],
    [
      'TFOpLambda',
      { function: 'image.resize' },
      /layer 'the_layer' \(TFOpLambda\) applies 'image\.resize'.*Supported operations: /,
    ],
    [
      'Normalization',
      { axis: [1, 2], mean: 0, variance: 1 },
      /layer 'the_layer' \(Normalization\): axis \[1,2\] is not supported/,
    ],
  ] as const) {
    it(`${className} with an unsupported option names the layer and the valid values`, async () => {
      const e = await refusal(className, config);
      expect(e.message).toMatch(message);
    });
  }
});

describe('input channels', () => {
  const modelTaking = (shape: number[]) => ({
    config: functionalConfig(shape, [
      { class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: [1, 1], use_bias: false } },
    ]),
    weights: new Map([
      [
        'c',
        [{ name: 'c/kernel:0', dims: [1, 1, shape[2] ?? 1, 2], data: new Float32Array(2 * (shape[2] ?? 1)) }],
      ],
    ]),
    format: 'keras-h5-model' as const,
    source: 'rgba.h5',
  });

  it('1 channel → grayscale, 3 → rgb', async () => {
    const gray = await convertKerasModel(modelTaking([8, 8, 1]), { name: 'g', output: 'features' });
    expect(gray.manifest.preprocessing.color).toBe('grayscale');
    const rgb = await convertKerasModel(modelTaking([8, 8, 3]), { name: 'c', output: 'features' });
    expect(rgb.manifest.preprocessing.color).toBe('rgb');
  });

  it('4 channels (RGBA) are refused before any work, naming the channel count and the supported ones', async () => {
    const progress: string[] = [];
    const error = await convertKerasModel(modelTaking([8, 8, 4]), {
      name: 'rgba',
      onProgress: (p) => progress.push(p.phase),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlensError);
    expect((error as NetlensError).code).toBe('invalid_model_file');
    expect((error as NetlensError).message).toMatch(
      /rgba\.h5: the model takes images with 4 channels\. netlens feeds models decoded images, RGB \(3 channels\) or grayscale \(1 channel, PIL 'L'\).*Supported inputs: \(H, W, 1\) and \(H, W, 3\)/,
    );
    expect((error as NetlensError).details).toMatchObject({
      inputShape: [8, 8, 4],
      supportedChannels: [1, 3],
    });
    expect(progress).toEqual([]);
  });

  it('a flat input is not an image', async () => {
    const spec = {
      config: functionalConfig([12], [{ class_name: 'Dense', config: { name: 'd', units: 2 } }]),
      weights: new Map(),
      format: 'keras-h5-model' as const,
      source: 'mlp.h5',
    };
    const error = await convertKerasModel(spec, { name: 'mlp' }).catch((e: unknown) => e);
    expect((error as NetlensError).message).toMatch(
      /takes a tensor of shape \[12\], not an image \(height, width, channels\)/,
    );
  });
});
