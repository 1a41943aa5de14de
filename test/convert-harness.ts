import * as tf from '@tensorflow/tfjs';
import { convertKerasModel } from '../src/convert/keras/convert.js';
import type {
  ConversionResult,
  ConvertOptions,
  KerasModelSpec,
  KerasWeights,
} from '../src/convert/keras/types.js';
import { buildTfjsModel } from '../src/convert/verify/tfjs-reference.js';
import { randomInputs, verifyAgainstTfjs, type VerificationResult } from '../src/convert/verify/verify.js';

/** A layer for a test graph: Keras class, config, and the names of the layers feeding it (default: previous). */
export interface TestLayer {
  class_name: string;
  config: Record<string, unknown>;
  inputs?: string[];
}

/** A tf.keras-style Functional config: input layer 'input_1' then the layers, chained unless `inputs` is given. */
export function functionalConfig(
  inputShape: number[],
  layers: TestLayer[],
  name = 'test_model',
): Record<string, unknown> {
  let previous = 'input_1';
  const json: Record<string, unknown>[] = [
    {
      class_name: 'InputLayer',
      name: 'input_1',
      config: { batch_input_shape: [null, ...inputShape], dtype: 'float32', name: 'input_1' },
      inbound_nodes: [],
    },
  ];
  for (const layer of layers) {
    const layerName = String(layer.config['name']);
    const inputs = layer.inputs ?? [previous];
    json.push({
      class_name: layer.class_name,
      name: layerName,
      config: layer.config,
      inbound_nodes: [inputs.map((i) => [i, 0, 0, {}])],
    });
    previous = layerName;
  }
  return {
    class_name: 'Functional',
    config: { name, layers: json, input_layers: [['input_1', 0, 0]], output_layers: [[previous, 0, 0]] },
  };
}

/** Seeded uniform values (mulberry32). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random weights for every layer of `config`, shaped as TF.js builds them (Keras order); BN variances
 * are positive and away from zero, like real statistics.
 */
export async function randomWeights(config: unknown, seed = 1): Promise<KerasWeights> {
  const model = await buildTfjsModel({ config, format: 'keras-h5-model', source: 'test-model' });
  const next = seeded(seed);
  const weights: KerasWeights = new Map();
  const visit = (layers: readonly tf.layers.Layer[]): void => {
    for (const layer of layers) {
      const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (Array.isArray(nested)) {
        visit(nested);
        continue;
      }
      if (layer.weights.length === 0) continue;
      weights.set(
        layer.name,
        layer.weights.map((w) => {
          const size = w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
          const variance = /variance/.test(w.originalName);
          const data = Float32Array.from({ length: size }, () => (variance ? 0.5 + next() : next() * 2 - 1));
          return { name: w.originalName, dims: w.shape.map((d) => d ?? 1), data };
        }),
      );
    }
  };
  visit(model.layers);
  model.dispose();
  return weights;
}

/** Converts a config with random weights and compares with TF.js on random inputs. */
export async function convertAndVerify(
  config: unknown,
  options: Partial<ConvertOptions> & {
    samples?: number;
    seed?: number;
    lo?: number;
    hi?: number;
    /** The Keras version that wrote the model (decides version-dependent semantics). */
    kerasVersion?: string;
  } = {},
): Promise<VerificationResult & { onnx: Uint8Array; spec: KerasModelSpec; result: ConversionResult }> {
  const { samples, seed, lo, hi, kerasVersion, ...convertOptions } = options;
  const spec: KerasModelSpec = {
    config,
    weights: await randomWeights(config, seed ?? 1),
    format: 'keras-h5-model',
    source: 'test-model',
    ...(kerasVersion ? { kerasVersion } : {}),
  };
  const result = await convertKerasModel(spec, { name: 'test', ...convertOptions });
  const inputs = randomInputs(samples ?? 2, result.summary.inputShape, seed ?? 1, lo ?? -2, hi ?? 2);
  const v = await verifyAgainstTfjs(spec, result.onnx, inputs, {
    outputLayer: result.summary.outputLayer,
    softmaxStripped: result.summary.softmaxStripped,
    softmaxAdded: result.summary.softmaxAdded,
    failAboveTolerance: false,
  });
  return { ...v, onnx: result.onnx, spec, result };
}
