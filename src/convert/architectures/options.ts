import { NetlensError } from '../../core/errors.js';

export const ARCHITECTURE_NAMES = [
  'vgg16',
  'vgg19',
  'resnet50',
  'inception_v3',
  'xception',
  'resnet101',
  'resnet152',
  'resnet50_v2',
  'resnet101_v2',
  'resnet152_v2',
  'inception_resnet_v2',
  'mobilenet',
  'mobilenet_v2',
  'densenet121',
  'densenet169',
  'densenet201',
  'nasnet_mobile',
  'nasnet_large',
  'mobilenet_v3_small',
  'mobilenet_v3_large',
  'efficientnet_b0',
  'efficientnet_b1',
  'efficientnet_b2',
  'efficientnet_b3',
  'efficientnet_b4',
  'efficientnet_b5',
  'efficientnet_b6',
  'efficientnet_b7',
] as const;
export type ArchitectureName = (typeof ARCHITECTURE_NAMES)[number];

export const POOLING_MODES = ['avg', 'max', 'none'] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

/** The two generations of ResNet50 weight files: keras-applications 1.0.x and tf.keras 2.x. */
export const RESNET50_NAMINGS = ['keras-applications', 'tf-keras'] as const;
export type ResNet50Naming = (typeof RESNET50_NAMINGS)[number];

/** The arguments of `keras.applications.<Arch>(weights=None, …)`. */
export interface ArchitectureOptions {
  includeTop: boolean;
  /** Only when includeTop is false: 'none' keeps the 4-D feature map, as Keras' pooling=None. */
  pooling: PoolingMode;
  classes: number;
  /** [height, width, channels]; channels must be 3. */
  inputShape: [number, number, number];
  /** ResNet50 only: which Keras generation's layer names and BN epsilon. */
  resnet50Naming: ResNet50Naming;
}

/**
 * Keras' `preprocess_input` of the architecture: caffe, tf or torch (see the manifest's modes), or 'raw'
 * for the models that normalise inside (EfficientNet, MobileNetV3: preprocess_input passes pixels
 * through, the model takes RGB in [0, 255]).
 */
export type KerasPreprocessMode = 'caffe' | 'tf' | 'torch' | 'raw';

export interface ArchitectureFacts {
  /** The Keras application function (`keras.applications.<keras>`). */
  keras: string;
  defaultSize: number;
  minSize: number;
  preprocess: KerasPreprocessMode;
}

const fact = (
  keras: string,
  defaultSize: number,
  minSize: number,
  preprocess: KerasPreprocessMode,
): ArchitectureFacts => ({ keras, defaultSize, minSize, preprocess });

export const ARCHITECTURE_FACTS: Record<ArchitectureName, ArchitectureFacts> = {
  vgg16: fact('VGG16', 224, 32, 'caffe'),
  vgg19: fact('VGG19', 224, 32, 'caffe'),
  resnet50: fact('ResNet50', 224, 32, 'caffe'),
  inception_v3: fact('InceptionV3', 299, 75, 'tf'),
  xception: fact('Xception', 299, 71, 'tf'),
  resnet101: fact('ResNet101', 224, 32, 'caffe'),
  resnet152: fact('ResNet152', 224, 32, 'caffe'),
  resnet50_v2: fact('ResNet50V2', 224, 32, 'tf'),
  resnet101_v2: fact('ResNet101V2', 224, 32, 'tf'),
  resnet152_v2: fact('ResNet152V2', 224, 32, 'tf'),
  inception_resnet_v2: fact('InceptionResNetV2', 299, 75, 'tf'),
  mobilenet: fact('MobileNet', 224, 32, 'tf'),
  mobilenet_v2: fact('MobileNetV2', 224, 32, 'tf'),
  densenet121: fact('DenseNet121', 224, 32, 'torch'),
  densenet169: fact('DenseNet169', 224, 32, 'torch'),
  densenet201: fact('DenseNet201', 224, 32, 'torch'),
  nasnet_mobile: fact('NASNetMobile', 224, 32, 'tf'),
  nasnet_large: fact('NASNetLarge', 331, 32, 'tf'),
  mobilenet_v3_small: fact('MobileNetV3Small', 224, 32, 'raw'),
  mobilenet_v3_large: fact('MobileNetV3Large', 224, 32, 'raw'),
  efficientnet_b0: fact('EfficientNetB0', 224, 32, 'raw'),
  efficientnet_b1: fact('EfficientNetB1', 240, 32, 'raw'),
  efficientnet_b2: fact('EfficientNetB2', 260, 32, 'raw'),
  efficientnet_b3: fact('EfficientNetB3', 300, 32, 'raw'),
  efficientnet_b4: fact('EfficientNetB4', 380, 32, 'raw'),
  efficientnet_b5: fact('EfficientNetB5', 456, 32, 'raw'),
  efficientnet_b6: fact('EfficientNetB6', 528, 32, 'raw'),
  efficientnet_b7: fact('EfficientNetB7', 600, 32, 'raw'),
};

/** 'ResNet50V2', 'resnet50v2', 'resnet-50-v2' → 'resnet50v2': spellings compared without case, '_' or '-'. */
function squash(value: string): string {
  return value.toLowerCase().replace(/[-_\s]/g, '');
}

const BY_SPELLING = new Map<string, ArchitectureName>(
  ARCHITECTURE_NAMES.flatMap((name) => [
    [squash(name), name] as const,
    [squash(ARCHITECTURE_FACTS[name].keras), name] as const,
  ]),
);

/** The architecture a name means: its own name, Keras' function name, or either without '_'/'-'/case. */
export function findArchitecture(value: string): ArchitectureName | undefined {
  return BY_SPELLING.get(squash(value));
}

export function isArchitectureName(value: string): value is ArchitectureName {
  return (ARCHITECTURE_NAMES as readonly string[]).includes(value);
}

/** Validates `--arch`: accepts the names listed in ARCHITECTURE_NAMES and Keras' spellings (EfficientNetB0). */
export function assertArchitectureName(value: string): ArchitectureName {
  const found = findArchitecture(value);
  if (!found) {
    throw new NetlensError(
      'invalid_argument',
      `unknown architecture '${value}': valid values are ${ARCHITECTURE_NAMES.join(', ')}`,
      {
        details: { arch: value, valid: [...ARCHITECTURE_NAMES] },
      },
    );
  }
  return found;
}

/** Fills defaults and validates as keras-applications' `_obtain_input_shape` does. */
export function resolveOptions(
  arch: ArchitectureName,
  options: Partial<ArchitectureOptions> = {},
): ArchitectureOptions {
  const facts = ARCHITECTURE_FACTS[arch];
  const inputShape = options.inputShape ?? [facts.defaultSize, facts.defaultSize, 3];
  const [height, width, channels] = inputShape;
  if (channels !== 3) {
    throw new NetlensError(
      'invalid_argument',
      `${arch}: the input must have 3 channels, got input shape [${inputShape.join(', ')}]`,
    );
  }
  if (
    !Number.isInteger(height) ||
    !Number.isInteger(width) ||
    height < facts.minSize ||
    width < facts.minSize
  ) {
    throw new NetlensError(
      'invalid_argument',
      `${arch}: input height and width must be integers ≥ ${facts.minSize}, got [${inputShape.join(', ')}]`,
    );
  }
  const classes = options.classes ?? 1000;
  if (!Number.isInteger(classes) || classes < 1) {
    throw new NetlensError('invalid_argument', `${arch}: classes must be a positive integer, got ${classes}`);
  }
  const pooling = options.pooling ?? 'none';
  if (!(POOLING_MODES as readonly string[]).includes(pooling)) {
    throw new NetlensError(
      'invalid_argument',
      `${arch}: pooling '${pooling}' is not one of ${POOLING_MODES.join(', ')}`,
    );
  }
  const resnet50Naming = options.resnet50Naming ?? 'tf-keras';
  if (!(RESNET50_NAMINGS as readonly string[]).includes(resnet50Naming)) {
    throw new NetlensError(
      'invalid_argument',
      `resnet50Naming '${resnet50Naming}' is not one of ${RESNET50_NAMINGS.join(', ')}`,
    );
  }
  return {
    includeTop: options.includeTop ?? true,
    pooling,
    classes,
    inputShape: [height, width, channels],
    resnet50Naming,
  };
}
