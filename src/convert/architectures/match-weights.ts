import { NetlensError } from '../../core/errors.js';
import type { KerasTensor, KerasWeights } from '../keras/types.js';
import type { BuiltArchitecture } from './build.js';

/** A weights-only file's contents: its layer names in file order and each layer's tensors in Keras' order. */
export interface WeightFileContents {
  layerNames: readonly string[];
  weights: KerasWeights;
}

export type WeightMatching = 'by-name' | 'by-order';

function weightedLayers(file: WeightFileContents): string[] {
  return file.layerNames.filter((name) => (file.weights.get(name)?.length ?? 0) > 0);
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Pairs a weight file's layers with a built architecture's weighted layers: by name when every layer the
 * architecture needs is in the file, otherwise by Keras' topological order of weighted layers (what
 * Keras' `load_weights(by_name=False)` does, e.g. InceptionV3 files whose `conv2d_N` counters differ).
 * Every tensor is shape-checked; errors name the layer, the weight and both shapes.
 */
export function matchWeights(
  built: BuiltArchitecture,
  file: WeightFileContents,
  source: string,
): { weights: KerasWeights; matching: WeightMatching } {
  const fileLayers = weightedLayers(file);
  const fileSet = new Set(fileLayers);
  const missing = built.weights.filter((l) => !fileSet.has(l.layer)).map((l) => l.layer);
  let matching: WeightMatching = 'by-name';
  let pairs: [string, string][];
  if (missing.length === 0) {
    pairs = built.weights.map((l) => [l.layer, l.layer]);
  } else if (fileLayers.length === built.weights.length) {
    matching = 'by-order';
    pairs = built.weights.map((l, i) => [l.layer, fileLayers[i] ?? '']);
  } else {
    throw new NetlensError(
      'invalid_model_file',
      `${source}: the file has ${fileLayers.length} layers with weights but ${built.arch} ` +
        `(${built.options.includeTop ? 'with' : 'without'} top) has ${built.weights.length}, and ` +
        `${missing.length} of its layers are not in the file (first: ${missing.slice(0, 5).join(', ')}). ` +
        'Is this the right --arch, and a file with (or without, _notop) the classifier?',
      {
        details: {
          file: source,
          arch: built.arch,
          fileLayers: fileLayers.length,
          modelLayers: built.weights.length,
          missing: missing.slice(0, 20),
        },
      },
    );
  }

  const result: KerasWeights = new Map();
  for (const [[layer, fileLayer], spec] of pairs.map((p, i) => [p, built.weights[i]] as const)) {
    if (!spec) continue;
    const tensors = file.weights.get(fileLayer) ?? [];
    const where = fileLayer === layer ? `layer '${layer}'` : `layer '${layer}' (file layer '${fileLayer}')`;
    if (tensors.length !== spec.weights.length) {
      throw new NetlensError(
        'invalid_model_file',
        `${source}: ${where} has ${tensors.length} weights in the file, ${built.arch} expects ${spec.weights.length} ` +
          `(${spec.weights.map((w) => w.name).join(', ')})`,
        { details: { file: source, layer } },
      );
    }
    const matched: KerasTensor[] = spec.weights.map((w, i) => {
      const tensor = tensors[i] as KerasTensor;
      if (!sameDims(tensor.dims, w.shape)) {
        throw new NetlensError(
          'invalid_model_file',
          `${source}: ${where}: weight '${tensor.name}' has shape [${tensor.dims.join(', ')}] but ${built.arch} ` +
            `expects [${w.shape.join(', ')}] for ${w.name}`,
          { details: { file: source, layer, weight: tensor.name, shape: tensor.dims, expected: w.shape } },
        );
      }
      return { name: w.name, dims: tensor.dims, data: tensor.data };
    });
    result.set(layer, matched);
  }
  return { weights: result, matching };
}
