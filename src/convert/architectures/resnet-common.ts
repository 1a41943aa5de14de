import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import type { KerasFlavour } from './keras-json.js';
import {
  activation,
  add,
  batchNorm,
  conv2d,
  dense,
  globalAveragePool,
  input,
  maxPool,
  zeroPadding,
} from './layers.js';
import type { ArchitectureOptions } from './options.js';
import { poolFeatures } from './vgg.js';

/**
 * keras-applications `resnet_common` (ResNet101/152 and the V2 family; tf.keras' `resnet`/`resnet_v2`
 * are the same code): conv1_conv / conv2_block1_1_conv names, BN epsilon 1.001e-5.
 */

type Stack = (b: FunctionalBuilder, x: TensorRef) => TensorRef;
const BN_EPSILON = 1.001e-5;

export interface ResNetVariant {
  modelName: string;
  flavour: KerasFlavour;
  /** The classifier's name: 'probs' in keras-applications, 'predictions' in tf.keras. */
  top: string;
  /** V2: pre-activation blocks, no BN after conv1, post_bn/post_relu before the top. */
  preact: boolean;
  stack: Stack;
}

function bn(b: FunctionalBuilder, x: TensorRef, name: string): TensorRef {
  return batchNorm(b, x, { epsilon: BN_EPSILON, axis: 3 }, name);
}

function conv(
  b: FunctionalBuilder,
  x: TensorRef,
  filters: number,
  k: number,
  name: string,
  o: { stride?: number; padding?: 'same' | 'valid'; useBias?: boolean } = {},
): TensorRef {
  const s = o.stride ?? 1;
  return conv2d(
    b,
    x,
    { filters, kernel: [k, k], strides: [s, s], padding: o.padding ?? 'valid', useBias: o.useBias ?? true },
    name,
  );
}

/** block1: the bottleneck block with post-activation; the shortcut (conv or identity) comes first in the Add. */
function block1(
  b: FunctionalBuilder,
  x: TensorRef,
  filters: number,
  stride: number,
  convShortcut: boolean,
  name: string,
): TensorRef {
  const shortcut = convShortcut
    ? bn(b, conv(b, x, 4 * filters, 1, `${name}_0_conv`, { stride }), `${name}_0_bn`)
    : x;
  let y = activation(
    b,
    bn(b, conv(b, x, filters, 1, `${name}_1_conv`, { stride }), `${name}_1_bn`),
    'relu',
    `${name}_1_relu`,
  );
  y = activation(
    b,
    bn(b, conv(b, y, filters, 3, `${name}_2_conv`, { padding: 'same' }), `${name}_2_bn`),
    'relu',
    `${name}_2_relu`,
  );
  y = bn(b, conv(b, y, 4 * filters, 1, `${name}_3_conv`), `${name}_3_bn`);
  return activation(b, add(b, [shortcut, y], `${name}_add`), 'relu', `${name}_out`);
}

/** stack1: `blocks` block1s; the first projects the shortcut and strides by `stride1`. */
export function stack1(filters: number, blocks: number, stride1: number, name: string): Stack {
  return (b, x) => {
    let y = block1(b, x, filters, stride1, true, `${name}_block1`);
    for (let i = 2; i <= blocks; i++) y = block1(b, y, filters, 1, false, `${name}_block${i}`);
    return y;
  };
}

/** block2: pre-activation bottleneck; the shortcut is a conv of the pre-activation, a 1×1 max pool (stride 2) or x. */
function block2(
  b: FunctionalBuilder,
  x: TensorRef,
  filters: number,
  stride: number,
  convShortcut: boolean,
  name: string,
): TensorRef {
  const preact = activation(b, bn(b, x, `${name}_preact_bn`), 'relu', `${name}_preact_relu`);
  const shortcut = convShortcut
    ? conv(b, preact, 4 * filters, 1, `${name}_0_conv`, { stride })
    : stride > 1
      ? maxPool(b, x, { pool: [1, 1], strides: [stride, stride] })
      : x;
  let y = conv(b, preact, filters, 1, `${name}_1_conv`, { useBias: false });
  y = activation(b, bn(b, y, `${name}_1_bn`), 'relu', `${name}_1_relu`);
  y = zeroPadding(b, y, 1, `${name}_2_pad`);
  y = conv(b, y, filters, 3, `${name}_2_conv`, { stride, useBias: false });
  y = activation(b, bn(b, y, `${name}_2_bn`), 'relu', `${name}_2_relu`);
  y = conv(b, y, 4 * filters, 1, `${name}_3_conv`);
  return add(b, [shortcut, y], `${name}_out`);
}

/** stack2: the first block projects the shortcut, the last one strides by `stride1`. */
export function stack2(filters: number, blocks: number, stride1: number, name: string): Stack {
  return (b, x) => {
    let y = block2(b, x, filters, 1, true, `${name}_block1`);
    for (let i = 2; i < blocks; i++) y = block2(b, y, filters, 1, false, `${name}_block${i}`);
    return block2(b, y, filters, stride1, false, `${name}_block${blocks}`);
  };
}

export function stacks(...list: Stack[]): Stack {
  return (b, x) => list.reduce((y, stack) => stack(b, y), x);
}

/** resnet_common.ResNet: the stem, the stacks and the top shared by every ResNet. */
export function resnet(v: ResNetVariant, o: ArchitectureOptions): BuiltModel {
  const b = new FunctionalBuilder(v.flavour);
  const img = input(b, o.inputShape);
  let x = zeroPadding(b, img, 3, 'conv1_pad');
  x = conv(b, x, 64, 7, 'conv1_conv', { stride: 2 });
  if (!v.preact) x = activation(b, bn(b, x, 'conv1_bn'), 'relu', 'conv1_relu');
  x = zeroPadding(b, x, 1, 'pool1_pad');
  x = maxPool(b, x, { pool: [3, 3], strides: [2, 2] }, 'pool1_pool');
  x = v.stack(b, x);
  if (v.preact) x = activation(b, bn(b, x, 'post_bn'), 'relu', 'post_relu');
  if (o.includeTop) {
    x = globalAveragePool(b, x, 'avg_pool');
    x = dense(b, x, o.classes, 'softmax', v.top);
  } else {
    x = poolFeatures(b, x, o.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  return b.toJson(v.modelName, img, x);
}

const v1 = (modelName: string, blocks: [number, number, number, number]): ResNetVariant => ({
  modelName,
  flavour: 'keras-2.2',
  top: 'probs',
  preact: false,
  stack: stacks(
    stack1(64, blocks[0], 1, 'conv2'),
    stack1(128, blocks[1], 2, 'conv3'),
    stack1(256, blocks[2], 2, 'conv4'),
    stack1(512, blocks[3], 2, 'conv5'),
  ),
});

const v2 = (modelName: string, blocks: [number, number, number, number]): ResNetVariant => ({
  modelName,
  flavour: 'keras-2.2',
  top: 'probs',
  preact: true,
  stack: stacks(
    stack2(64, blocks[0], 2, 'conv2'),
    stack2(128, blocks[1], 2, 'conv3'),
    stack2(256, blocks[2], 2, 'conv4'),
    stack2(512, blocks[3], 1, 'conv5'),
  ),
});

/** keras.applications.ResNet101 (44,707,176 parameters with the top). */
export const resnet101 = (o: ArchitectureOptions): BuiltModel => resnet(v1('resnet101', [3, 4, 23, 3]), o);
/** keras.applications.ResNet152 (60,419,944). */
export const resnet152 = (o: ArchitectureOptions): BuiltModel => resnet(v1('resnet152', [3, 8, 36, 3]), o);
/** keras.applications.ResNet50V2 (25,613,800). */
export const resnet50V2 = (o: ArchitectureOptions): BuiltModel => resnet(v2('resnet50v2', [3, 4, 6, 3]), o);
/** keras.applications.ResNet101V2 (44,675,560). */
export const resnet101V2 = (o: ArchitectureOptions): BuiltModel =>
  resnet(v2('resnet101v2', [3, 4, 23, 3]), o);
/** keras.applications.ResNet152V2 (60,380,648). */
export const resnet152V2 = (o: ArchitectureOptions): BuiltModel =>
  resnet(v2('resnet152v2', [3, 8, 36, 3]), o);
