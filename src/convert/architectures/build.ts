import { inceptionV3 } from './inception-v3.js';
import type { KerasModelJson } from './keras-json.js';
import { type ArchitectureName, type ArchitectureOptions, resolveOptions } from './options.js';
import { resnet50 } from './resnet50.js';
import { vgg16, vgg19 } from './vgg.js';
import { countParameters, inferModel, type LayerWeightSpec } from './weight-specs.js';
import { xception } from './xception.js';

const BUILDERS: Record<ArchitectureName, (o: ArchitectureOptions) => KerasModelJson> = {
  vgg16,
  vgg19,
  resnet50,
  inception_v3: inceptionV3,
  xception,
};

export interface BuiltArchitecture {
  arch: ArchitectureName;
  options: ArchitectureOptions;
  /** The JSON `model.to_json()` writes for `keras.applications.<Arch>(weights=None, …)`. */
  model: KerasModelJson;
  /** Weighted layers in Keras' `model.layers` order, each with its weights in Keras' order. */
  weights: LayerWeightSpec[];
  parameters: number;
  /** Output shape without the batch dimension. */
  outputShape: number[];
}

/** Builds one of the five ImageNet architectures with Keras' exact layer names, order and weights. */
export function buildArchitecture(
  arch: ArchitectureName,
  options: Partial<ArchitectureOptions> = {},
): BuiltArchitecture {
  const resolved = resolveOptions(arch, options);
  const model = BUILDERS[arch](resolved);
  const { shapes, weights } = inferModel(model);
  const output = model.config.output_layers[0]?.[0] ?? '';
  return {
    arch,
    options: resolved,
    model,
    weights,
    parameters: countParameters(weights),
    outputShape: shapes.get(output) ?? [],
  };
}
