import * as tf from '@tensorflow/tfjs';

/** Shared pieces of the Keras-exact TF.js layers (tfjs-keras-*.ts). */

export type Shape = (number | null)[];
/** What TF.js passes a layer's constructor: the Keras config with camelCase keys. */
export type LayerConfig = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export function shapesOf(inputShape: tf.Shape | tf.Shape[]): Shape[] {
  return Array.isArray(inputShape[0]) ? (inputShape as Shape[]) : [inputShape as Shape];
}

export function tensorsOf(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

/** layers/merging/base_merge.py `_compute_elemwise_op_output_shape`, over the shapes without batch. */
export function broadcastShape(shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = new Array<number | null>(rank).fill(1);
  out[0] = null;
  for (const shape of shapes) {
    const offset = rank - shape.length;
    for (let i = 1; i < shape.length; i++) {
      const a = out[offset + i] ?? null;
      const b = shape[i] ?? null;
      out[offset + i] = a === 1 ? b : b === 1 ? a : a;
    }
  }
  return out;
}

/** base_merge.py `call`: lower-rank inputs get axes of size 1 after the batch axis. */
export function expandToSameRank(xs: tf.Tensor[]): tf.Tensor[] {
  const rank = Math.max(...xs.map((x) => x.rank));
  return xs.map((x) => {
    let y = x;
    while (y.rank < rank) y = tf.expandDims(y, 1);
    return y;
  });
}
