import { densenet121, densenet169, densenet201 } from './densenet.js';
import { efficientnetBuilder, efficientnetKeras3, type EfficientNetName } from './efficientnet.js';
import type { BuiltModel } from './functional-builder.js';
import { inceptionResNetV2 } from './inception-resnet-v2.js';
import { inceptionV3 } from './inception-v3.js';
import type { KerasModelJson } from './keras-json.js';
import { mobilenet, mobilenetV2 } from './mobilenet.js';
import { mobilenetV3Keras3, mobilenetV3Large, mobilenetV3Small } from './mobilenet-v3.js';
import { nasnetLarge, nasnetMobile } from './nasnet.js';
import { type ArchitectureName, type ArchitectureOptions, resolveOptions } from './options.js';
import { resnet101, resnet101V2, resnet152, resnet152V2, resnet50V2 } from './resnet-common.js';
import { resnet50 } from './resnet50.js';
import { vgg16, vgg19 } from './vgg.js';
import { countParameters, inferModel, type LayerWeightSpec } from './weight-specs.js';
import { xception } from './xception.js';

const BUILDERS: Record<ArchitectureName, (o: ArchitectureOptions) => BuiltModel> = {
  vgg16,
  vgg19,
  resnet50,
  inception_v3: inceptionV3,
  xception,
  resnet101,
  resnet152,
  resnet50_v2: resnet50V2,
  resnet101_v2: resnet101V2,
  resnet152_v2: resnet152V2,
  inception_resnet_v2: inceptionResNetV2,
  mobilenet,
  mobilenet_v2: mobilenetV2,
  densenet121,
  densenet169,
  densenet201,
  nasnet_mobile: nasnetMobile,
  nasnet_large: nasnetLarge,
  mobilenet_v3_small: mobilenetV3Small,
  mobilenet_v3_large: mobilenetV3Large,
  efficientnet_b0: efficientnetBuilder('efficientnet_b0'),
  efficientnet_b1: efficientnetBuilder('efficientnet_b1'),
  efficientnet_b2: efficientnetBuilder('efficientnet_b2'),
  efficientnet_b3: efficientnetBuilder('efficientnet_b3'),
  efficientnet_b4: efficientnetBuilder('efficientnet_b4'),
  efficientnet_b5: efficientnetBuilder('efficientnet_b5'),
  efficientnet_b6: efficientnetBuilder('efficientnet_b6'),
  efficientnet_b7: efficientnetBuilder('efficientnet_b7'),
};

export interface BuiltArchitecture {
  arch: ArchitectureName;
  options: ArchitectureOptions;
  /** The JSON `model.to_json()` writes for `keras.applications.<Arch>(weights=None, …)`. */
  model: KerasModelJson;
  /**
   * Layers of `model` with no counterpart in Keras' own model (parts of a Lambda expressed with
   * supported layers); Keras' weight files do not list them.
   */
  standIns: string[];
  /** Weighted layers in Keras' `model.layers` order, each with its weights in Keras' order. */
  weights: LayerWeightSpec[];
  parameters: number;
  /** Output shape without the batch dimension. */
  outputShape: number[];
}

/** Builds a built-in ImageNet architecture with Keras' exact layer names, order and weights. */
export function buildArchitecture(
  arch: ArchitectureName,
  options: Partial<ArchitectureOptions> = {},
): BuiltArchitecture {
  const resolved = resolveOptions(arch, options);
  return assemble(arch, resolved, BUILDERS[arch](resolved));
}

/**
 * EfficientNet and MobileNetV3 as Keras 3 builds them (Keras 3's layer names; still in the Keras 2 JSON
 * form, which scripts/convert/keras3-json.ts turns into Keras 3's), for Keras 3 test files.
 */
export function buildKeras3Architecture(
  arch: EfficientNetName | 'mobilenet_v3_small' | 'mobilenet_v3_large',
  options: Partial<ArchitectureOptions> = {},
): BuiltArchitecture {
  const resolved = resolveOptions(arch, options);
  const built =
    arch === 'mobilenet_v3_small' || arch === 'mobilenet_v3_large'
      ? mobilenetV3Keras3(arch === 'mobilenet_v3_small' ? 'small' : 'large', resolved)
      : efficientnetKeras3(arch, resolved);
  return assemble(arch, resolved, built);
}

function assemble(
  arch: ArchitectureName,
  resolved: ArchitectureOptions,
  built: BuiltModel,
): BuiltArchitecture {
  const { model, standIns } = built;
  const { shapes, weights } = inferModel(model);
  const output = model.config.output_layers[0]?.[0] ?? '';
  return {
    arch,
    options: resolved,
    model,
    standIns,
    weights,
    parameters: countParameters(weights),
    outputShape: shapes.get(output) ?? [],
  };
}
