import { NetlensError } from '../../core/errors.js';
import type { KerasModelSpec, KerasWeights } from '../keras/types.js';
import { H5Reader, readKerasWeightGroups } from './h5.js';

export interface WeightsOnlyH5 {
  layerNames: string[];
  weights: KerasWeights;
  kerasVersion?: string;
}

type LayerProgress = (done: number, total: number, name: string) => void;

function rejectKeras1(h5: H5Reader, version: string | undefined): void {
  if (version !== undefined && /^1\./.test(version)) {
    throw new NetlensError(
      'invalid_model_file',
      `${h5.path}: written by Keras ${version}. Keras 1 files are not supported: load the model in Keras 2.x ` +
        `(which converts Keras 1 configs) and save it again with model.save().`,
      { details: { file: h5.path, kerasVersion: version } },
    );
  }
}

async function withH5<T>(path: string, body: (h5: H5Reader) => T): Promise<T> {
  const h5 = await H5Reader.open(path);
  try {
    return body(h5);
  } finally {
    h5.close();
  }
}

/** Reads a weights-only Keras HDF5 file (save_weights / official ImageNet weights): root attr layer_names. */
export async function readWeightsOnlyH5(path: string, onLayer?: LayerProgress): Promise<WeightsOnlyH5> {
  return withH5(path, (h5) => {
    const kerasVersion = h5.stringAttribute('/', 'keras_version');
    rejectKeras1(h5, kerasVersion);
    const root = h5.stringListAttribute('/', 'layer_names')
      ? '/'
      : h5.group('model_weights')
        ? 'model_weights'
        : '/';
    const { layerNames, weights } = readKerasWeightGroups(h5, root, onLayer);
    return { layerNames, weights, ...(kerasVersion ? { kerasVersion } : {}) };
  });
}

/** True when the HDF5 file holds a full model (model.save): a model_config attribute. */
export async function h5HasModelConfig(path: string): Promise<boolean> {
  return withH5(path, (h5) => h5.stringAttribute('/', 'model_config') !== undefined);
}

/**
 * Reads a full Keras model saved with model.save('x.h5') (Keras 2.x, tf.keras 2.x, Keras 3 legacy h5):
 * attr model_config (JSON) + group model_weights. training_config and optimizer_weights are ignored.
 */
export async function readKerasH5Model(path: string, onLayer?: LayerProgress): Promise<KerasModelSpec> {
  return withH5(path, (h5) => {
    const kerasVersion = h5.stringAttribute('/', 'keras_version');
    rejectKeras1(h5, kerasVersion);
    const configText = h5.stringAttribute('/', 'model_config');
    if (configText === undefined) {
      throw new NetlensError(
        'invalid_model_file',
        `${path}: this HDF5 file has no model_config attribute, so it holds weights only. ` +
          `Pass --arch (vgg16, vgg19, resnet50, inception_v3, xception) to convert it with a built-in architecture.`,
        { details: { file: path } },
      );
    }
    let config: unknown;
    try {
      config = JSON.parse(configText);
    } catch (cause) {
      throw new NetlensError(
        'invalid_model_file',
        `${path}: model_config is not valid JSON (${(cause as Error).message})`,
        {
          cause,
          details: { file: path },
        },
      );
    }
    if (!h5.group('model_weights')) {
      throw new NetlensError(
        'invalid_model_file',
        `${path}: the file has a model_config but no model_weights group (saved without weights?). ` +
          `Save the model with model.save() including its weights.`,
        { details: { file: path } },
      );
    }
    const { weights } = readKerasWeightGroups(h5, 'model_weights', onLayer);
    return {
      config,
      weights,
      format: 'keras-h5-model',
      source: path,
      ...(kerasVersion ? { kerasVersion } : {}),
    };
  });
}
