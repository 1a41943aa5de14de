import { NetlensError } from '../../core/errors.js';
import type { Preprocessing } from '../../core/manifest.js';
import { defaultPreprocessing } from '../keras/defaults.js';
import type { KerasModelSpec } from '../keras/types.js';
import { readWeightsOnlyH5 } from '../readers/keras-h5.js';
import { buildArchitecture, type BuiltArchitecture } from './build.js';
import { detectWeights, type DetectedWeights } from './detect.js';
import { readImagenetLabels } from './imagenet-labels.js';
import { matchWeights, type WeightMatching } from './match-weights.js';
import {
  ARCHITECTURE_FACTS,
  assertArchitectureName,
  type ArchitectureName,
  type ArchitectureOptions,
} from './options.js';

export interface ArchitectureSpecOptions extends Partial<ArchitectureOptions> {
  /** Progress while reading the weight file. */
  onLayer?: (done: number, total: number, name: string) => void;
}

/** A KerasModelSpec for a built-in architecture plus the defaults `netlens convert --arch` uses. */
export interface ArchitectureSpec extends KerasModelSpec {
  architecture: ArchitectureName;
  built: BuiltArchitecture;
  detected: DetectedWeights;
  matching: WeightMatching;
  defaults: {
    name: string;
    architecture: ArchitectureName;
    /** Keras' preprocess_input for the architecture with load_img's nearest resize (the converter's table). */
    preprocessing: Preprocessing;
    /** Keras' ImageNet class index when the classifier has 1000 classes. */
    labels?: Record<string, [string, string]>;
    inputSize: number;
  };
}

function defaultName(arch: ArchitectureName, built: BuiltArchitecture): string {
  const naming = arch === 'resnet50' && built.options.resnet50Naming === 'keras-applications' ? '-ka' : '';
  return `${arch.replace(/_/g, '-')}${naming}${built.options.includeTop ? '' : '-notop'}`;
}

/**
 * Builds the model for an official Keras weights-only file (`vgg16_weights_tf_dim_ordering_tf_kernels.h5`,
 * its `_notop` variant, …): reads the file, detects include_top, classes, the VGG input size and the
 * ResNet50 naming generation, builds the architecture and pairs its weights (by name, else Keras'
 * order). Options override what is detected where that is meaningful (a notop build from a full file);
 * a notop model defaults to pooling 'avg' so it outputs a feature vector.
 */
export async function buildArchitectureSpec(
  archName: string,
  weightsPath: string,
  options: ArchitectureSpecOptions = {},
): Promise<ArchitectureSpec> {
  const arch = assertArchitectureName(archName);
  const { onLayer, ...overrides } = options;
  const file = await readWeightsOnlyH5(weightsPath, onLayer);
  const detected = detectWeights(arch, file, weightsPath);
  const includeTop = overrides.includeTop ?? detected.includeTop;
  if (includeTop && !detected.includeTop) {
    throw new NetlensError(
      'invalid_argument',
      `${weightsPath} has no classifier (a _notop file): convert it without the top (include_top false, pooling avg|max|none)`,
      { details: { file: weightsPath } },
    );
  }
  if (
    overrides.classes !== undefined &&
    includeTop &&
    detected.classes !== undefined &&
    overrides.classes !== detected.classes
  ) {
    throw new NetlensError(
      'invalid_argument',
      `${weightsPath}: the classifier has ${detected.classes} classes, not ${overrides.classes}`,
      { details: { file: weightsPath, classes: detected.classes } },
    );
  }
  if (
    overrides.resnet50Naming &&
    detected.resnet50Naming &&
    overrides.resnet50Naming !== detected.resnet50Naming
  ) {
    throw new NetlensError(
      'invalid_argument',
      `${weightsPath} uses ${detected.resnet50Naming} layer names, not ${overrides.resnet50Naming}`,
      { details: { file: weightsPath } },
    );
  }
  const size = detected.inputSize ?? ARCHITECTURE_FACTS[arch].defaultSize;
  const built = buildArchitecture(arch, {
    inputShape: overrides.inputShape ?? [size, size, 3],
    includeTop,
    pooling: overrides.pooling ?? (includeTop ? 'none' : 'avg'),
    ...(detected.classes !== undefined ? { classes: detected.classes } : {}),
    ...(detected.resnet50Naming ? { resnet50Naming: detected.resnet50Naming } : {}),
  });
  const { weights, matching } = matchWeights(built, file, weightsPath);
  const labels =
    built.options.includeTop && built.options.classes === 1000 ? await readImagenetLabels() : undefined;
  return {
    config: built.model,
    weights,
    format: 'keras-h5-weights',
    source: weightsPath,
    ...(file.kerasVersion ? { kerasVersion: file.kerasVersion } : {}),
    architecture: arch,
    built,
    detected,
    matching,
    defaults: {
      name: defaultName(arch, built),
      architecture: arch,
      preprocessing: defaultPreprocessing(arch, 3),
      ...(labels ? { labels } : {}),
      inputSize: built.options.inputShape[0],
    },
  };
}
