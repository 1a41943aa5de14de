import * as tf from '@tensorflow/tfjs';
import { NetlensError, messageOf } from '../../core/errors.js';
import { kerasSemantics } from '../keras/semantics.js';
import type { KerasModelSpec } from '../keras/types.js';
import { tfjsBackend } from './tfjs-backend.js';
import { tfjsTopology } from './tfjs-topology.js';

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

/**
 * The tensor `layerName` produces inside `model`'s own graph. A nested model used as a layer has
 * several calls (the one that built it and the outer model's), so `getLayer(name).output` is
 * ambiguous; walking back from the outputs finds the call this graph uses.
 */
export function layerOutputIn(model: tf.LayersModel, layerName: string): tf.SymbolicTensor {
  const seen = new Set<tf.SymbolicTensor>();
  const pending = [...model.outputs];
  while (pending.length > 0) {
    const t = pending.pop() as tf.SymbolicTensor;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.sourceLayer.name === layerName) return t;
    pending.push(...t.inputs);
  }
  throw new NetlensError('invalid_argument', `TF.js reference: the model has no layer '${layerName}'`, {
    details: { layers: model.layers.map((l) => l.name) },
  });
}

/** Builds the same model in TensorFlow.js layers (an independent Keras implementation) from its config. */
export async function buildTfjsModel(
  spec: Pick<KerasModelSpec, 'config' | 'format' | 'kerasVersion' | 'source'>,
) {
  await tfjsBackend();
  try {
    return await tf.models.modelFromJSON({
      modelTopology: tfjsTopology(spec.config, kerasSemantics(spec)),
    } as unknown as tf.io.ModelJSON);
  } catch (cause) {
    throw new NetlensError(
      'invalid_model_file',
      `TF.js cannot build the reference model from ${spec.source}: ${messageOf(cause)}`,
      { cause },
    );
  }
}

/** Cuts a TF.js model after `outputLayer` (the model itself when that is its output layer). */
export function cutTfjsModel(model: tf.LayersModel, outputLayer?: string): tf.LayersModel {
  if (outputLayer === undefined || model.outputs[0]?.sourceLayer.name === outputLayer) return model;
  return tf.model({ inputs: model.inputs, outputs: layerOutputIn(model, outputLayer) });
}

/** Builds the same model in TensorFlow.js layers with the same weights, cut after `outputLayer`. */
export async function buildTfjsReference(
  spec: KerasModelSpec,
  outputLayer?: string,
): Promise<tf.LayersModel> {
  const model = await buildTfjsModel(spec);
  setWeightsRecursively(model.layers, spec);
  return cutTfjsModel(model, outputLayer);
}

/** Runs the reference on one NHWC batch; returns the flat output and its dims. */
export function runTfjs(
  model: tf.LayersModel,
  data: Float32Array,
  dims: readonly number[],
): { data: Float32Array; dims: number[] } {
  return tf.tidy(() => {
    const out = model.predict(tf.tensor(data, [...dims], 'float32')) as tf.Tensor;
    return { data: out.dataSync() as Float32Array, dims: out.shape };
  });
}
