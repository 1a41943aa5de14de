import type { OnnxAttributes } from '../../onnx/index.js';
import type { KerasLayer } from '../config.js';
import { finish } from './conv.js';
import { layerError, numberOr, pair, type LoweringContext, type Value } from './context.js';

function imageShape(ctx: LoweringContext, layer: KerasLayer, input: Value): [number, number, number] {
  const format = layer.config['data_format'];
  if (format !== undefined && format !== null && format !== 'channels_last') {
    throw layerError(ctx, layer, `data_format '${String(format)}' is not supported; only channels_last`);
  }
  if (input.shape.length !== 3) {
    throw layerError(ctx, layer, `expects an image tensor (H, W, C) but got [${input.shape.join(', ')}]`);
  }
  return input.shape as [number, number, number];
}

export const UPSAMPLING_INTERPOLATIONS = ['nearest', 'bilinear'] as const;

/**
 * UpSampling2D (keras/src/layers/reshaping/up_sampling2d.py): 'nearest' repeats rows and columns
 * (Resize nearest, asymmetric, floor); 'bilinear' is tf.image.resize — half-pixel centres, no
 * antialiasing — except in standalone Keras ≤ 2.3 on TF 1, whose resize_bilinear sampled at
 * out/scale (KerasSemantics.resizeHalfPixel).
 */
export function lowerUpSampling2D(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const [h, w, c] = imageShape(ctx, layer, input);
  const [sh, sw] = pair(layer.config['size'], [2, 2]);
  const interpolation = String(layer.config['interpolation'] ?? 'nearest').toLowerCase();
  if (!(UPSAMPLING_INTERPOLATIONS as readonly string[]).includes(interpolation)) {
    throw layerError(
      ctx,
      layer,
      `interpolation '${interpolation}' is not supported (${UPSAMPLING_INTERPOLATIONS.join(', ')})`,
    );
  }
  const scales = ctx.constFloat(`${layer.name}/scales`, Float32Array.from([1, 1, sh, sw]), [4]);
  const attributes: OnnxAttributes =
    interpolation === 'nearest'
      ? { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }
      : {
          mode: 'linear',
          coordinate_transformation_mode: ctx.options.semantics.resizeHalfPixel ? 'half_pixel' : 'asymmetric',
        };
  const y = ctx.op('Resize', [input.name, '', scales], layer.name, attributes);
  return { name: y, shape: [h * sh, w * sw, c] };
}

/**
 * One spatial axis of a Keras Conv2DTranspose: its output length (keras/src/backend/common/
 * backend_utils.py `_get_output_shape_given_tf_padding`, tf.keras' deconv_output_length) and the ONNX
 * pads and output_padding that give TensorFlow's conv2d_transpose (the gradient of a convolution whose
 * input has that length, so 'same' pads as that convolution would: total split floor/ceil).
 */
export function transposeAxis(
  size: number,
  kernel: number,
  stride: number,
  padding: 'same' | 'valid',
  outputPadding: number | undefined,
): { out: number; before: number; after: number; outputPadding: number } {
  const out =
    padding === 'valid'
      ? (size - 1) * stride + kernel + (outputPadding ?? Math.max(kernel, stride) - kernel)
      : outputPadding === undefined
        ? size * stride
        : (size - 1) * stride + (kernel % 2) + outputPadding;
  const full = (size - 1) * stride + kernel;
  const total = padding === 'valid' ? 0 : Math.max(full - out, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before, outputPadding: out - (full - total) };
}

/** Keras kernel [kh, kw, out, in] → ONNX ConvTranspose weight [in, out, kh, kw]. */
function transposeKernel(k: Float32Array, kh: number, kw: number, co: number, ci: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let o = 0; o < co; o++)
        for (let i = 0; i < ci; i++)
          out[((i * co + o) * kh + y) * kw + x] = k[((y * kw + x) * co + o) * ci + i] as number;
  return out;
}

/** Conv2DTranspose (keras/src/layers/convolutional/conv2d_transpose.py) with TensorFlow's padding. */
export function lowerConv2DTranspose(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  skipSoftmax = false,
): Value {
  const c = layer.config;
  const [h, w, cin] = imageShape(ctx, layer, input);
  const [kh, kw] = pair(c['kernel_size'], [1, 1]);
  const [sh, sw] = pair(c['strides'], [1, 1]);
  const dilation = pair(c['dilation_rate'], [1, 1]);
  if (dilation[0] !== 1 || dilation[1] !== 1) {
    throw layerError(
      ctx,
      layer,
      `dilation_rate ${JSON.stringify(c['dilation_rate'])} is not supported (1 only)`,
    );
  }
  const padding = String(c['padding'] ?? 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same') {
    throw layerError(ctx, layer, `padding '${padding}' is not supported (valid, same)`);
  }
  const op =
    c['output_padding'] === null || c['output_padding'] === undefined
      ? undefined
      : pair(c['output_padding'], [0, 0]);
  // Keras' rule (conv2d_transpose.py): output padding along an axis must be lower than the stride.
  if (op && (op[0] >= sh || op[1] >= sw || op[0] < 0 || op[1] < 0)) {
    throw layerError(
      ctx,
      layer,
      `output_padding ${JSON.stringify(c['output_padding'])} must be smaller than the strides`,
    );
  }
  const y = transposeAxis(h, kh, sh, padding, op?.[0]);
  const x = transposeAxis(w, kw, sw, padding, op?.[1]);
  const filters = numberOr(c['filters'], 0);
  if (filters <= 0) throw layerError(ctx, layer, `invalid filters ${String(c['filters'])}`);
  const expected = [{ role: 'kernel', dims: [kh, kw, filters, cin] }];
  if (c['use_bias'] !== false) expected.push({ role: 'bias', dims: [filters] });
  const [k, bias] = ctx.takeWeights(layer, expected);
  const inputs = [
    input.name,
    ctx.constFloat(`${layer.name}/kernel`, transposeKernel(k as Float32Array, kh, kw, filters, cin), [
      cin,
      filters,
      kh,
      kw,
    ]),
  ];
  if (bias) inputs.push(ctx.constFloat(`${layer.name}/bias`, bias, [filters]));
  const out = ctx.op('ConvTranspose', inputs, layer.name, {
    kernel_shape: [kh, kw],
    strides: [sh, sw],
    pads: [y.before, x.before, y.after, x.after],
    output_padding: [y.outputPadding, x.outputPadding],
  });
  return finish(ctx, layer, out, [y.out, x.out, filters], skipSoftmax);
}
