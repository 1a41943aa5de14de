import * as tf from '@tensorflow/tfjs';
import { NetlensError, messageOf } from '../../core/errors.js';
import { normaliseModelConfig } from '../keras/keras3-config.js';
import type { KerasModelSpec } from '../keras/types.js';
import { tfjsBackend } from './tfjs-backend.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The model JSON TF.js reads: Keras 2 form, initialisers set to Zeros (the weights are replaced anyway;
 * random init of 100 M+ parameters would dominate), regularisers and constraints dropped.
 */
export function tfjsTopology(config: unknown): unknown {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (!isRecord(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k.endsWith('_initializer')) out[k] = { class_name: 'Zeros', config: {} };
      else if (k.endsWith('_regularizer') || k.endsWith('_constraint')) out[k] = null;
      else out[k] = visit(v);
    }
    return out;
  };
  return visit(normaliseModelConfig(config));
}

function setWeightsRecursively(layers: readonly tf.layers.Layer[], spec: KerasModelSpec): void {
  for (const layer of layers) {
    const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
    if (Array.isArray(nested)) {
      setWeightsRecursively(nested, spec);
      continue;
    }
    if (layer.weights.length === 0) continue;
    const tensors = spec.weights.get(layer.name);
    if (!tensors || tensors.length !== layer.weights.length) {
      throw new NetlensError(
        'invalid_model_file',
        `TF.js reference: layer '${layer.name}' has ${layer.weights.length} weights in TF.js but ${tensors?.length ?? 0} in ${spec.source}`,
      );
    }
    const values = tensors.map((t) => tf.tensor(t.data, t.dims, 'float32'));
    try {
      layer.setWeights(values);
    } finally {
      tf.dispose(values);
    }
  }
}

/** Builds the same model in TensorFlow.js layers (an independent Keras implementation) with the same weights. */
export async function buildTfjsReference(
  spec: KerasModelSpec,
  outputLayer?: string,
): Promise<tf.LayersModel> {
  await tfjsBackend();
  let model: tf.LayersModel;
  try {
    model = await tf.models.modelFromJSON({
      modelTopology: tfjsTopology(spec.config),
    } as unknown as tf.io.ModelJSON);
  } catch (cause) {
    throw new NetlensError(
      'invalid_model_file',
      `TF.js cannot build the reference model from ${spec.source}: ${messageOf(cause)}`,
      {
        cause,
      },
    );
  }
  setWeightsRecursively(model.layers, spec);
  if (outputLayer === undefined || model.outputs[0]?.sourceLayer.name === outputLayer) return model;
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(outputLayer).output as tf.SymbolicTensor });
}

/** Runs the reference on one NHWC batch; returns the flat output. */
export function runTfjs(model: tf.LayersModel, data: Float32Array, dims: readonly number[]): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor(data, [...dims], 'float32')) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}
