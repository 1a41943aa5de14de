import { NetlensError } from '../../core/errors.js';

export const ARCHITECTURE_NAMES = ['vgg16', 'vgg19', 'resnet50', 'inception_v3', 'xception'] as const;
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

export interface ArchitectureFacts {
  defaultSize: number;
  minSize: number;
}

export const ARCHITECTURE_FACTS: Record<ArchitectureName, ArchitectureFacts> = {
  vgg16: { defaultSize: 224, minSize: 32 },
  vgg19: { defaultSize: 224, minSize: 32 },
  resnet50: { defaultSize: 224, minSize: 32 },
  inception_v3: { defaultSize: 299, minSize: 75 },
  xception: { defaultSize: 299, minSize: 71 },
};

export function isArchitectureName(value: string): value is ArchitectureName {
  return (ARCHITECTURE_NAMES as readonly string[]).includes(value);
}

export function assertArchitectureName(value: string): ArchitectureName {
  if (!isArchitectureName(value)) {
    throw new NetlensError(
      'invalid_argument',
      `unknown architecture '${value}': valid values are ${ARCHITECTURE_NAMES.join(', ')}`,
      {
        details: { arch: value, valid: [...ARCHITECTURE_NAMES] },
      },
    );
  }
  return value;
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
