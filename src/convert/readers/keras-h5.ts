import { NetlensError } from '../../core/errors.js';
import { ARCHITECTURE_NAMES } from '../architectures/options.js';
import type { KerasModelSpec, KerasWeights } from '../keras/types.js';
import { groupWeights, h5Info, h5KerasGroups, type H5Info } from './h5.js';

export interface WeightsOnlyH5 {
  layerNames: string[];
  weights: KerasWeights;
  kerasVersion?: string;
}

type LayerProgress = (done: number, total: number, name: string) => void;

function rejectKeras1(path: string, version: string | undefined): void {
  if (version !== undefined && /^1\./.test(version)) {
    throw new NetlensError(
      'invalid_model_file',
      `${path}: written by Keras ${version}. Keras 1 files are not supported: load the model in Keras 2.x ` +
        `(which converts Keras 1 configs) and save it again with model.save().`,
      { details: { file: path, kerasVersion: version } },
    );
  }
}

function noWeights(path: string, where: string): NetlensError {
  return new NetlensError(
    'invalid_model_file',
    `${path}: no Keras weights found (${where} has no 'layer_names' attribute). This HDF5 file was not written ` +
      `by Keras' model.save() or save_weights().`,
    { details: { file: path } },
  );
}

async function readGroups(
  path: string,
  root: string,
  info: H5Info,
  onLayer?: LayerProgress,
  modelLayerNames?: ReadonlySet<string>,
): Promise<{ layerNames: string[]; weights: KerasWeights }> {
  const total = (root === '/' ? info.attrs.layer_names : info.modelWeights?.layer_names)?.length ?? 0;
  let done = 0;
  const { layerNames, entries } = await h5KerasGroups(path, root, (layer) => onLayer?.(++done, total, layer));
  if (!layerNames) throw noWeights(path, root === '/' ? 'the root' : `group '${root}'`);
  onLayer?.(total, total, '');
  return { layerNames, weights: groupWeights(entries, modelLayerNames) };
}

/** Every layer name in a model config, nested models' layers included (`{class_name, config: {name}}` objects). */
function configLayerNames(config: unknown): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const record = value as Record<string, unknown>;
    const inner = record['config'];
    if (typeof record['class_name'] === 'string' && typeof inner === 'object' && inner !== null) {
      const name = (inner as Record<string, unknown>)['name'];
      if (typeof name === 'string') names.add(name);
    }
    if (typeof record['name'] === 'string' && 'class_name' in record) names.add(record['name']);
    for (const v of Object.values(record)) visit(v);
  };
  visit(config);
  return names;
}

/** Reads a weights-only Keras HDF5 file (save_weights / official ImageNet weights): root attr layer_names. */
export async function readWeightsOnlyH5(path: string, onLayer?: LayerProgress): Promise<WeightsOnlyH5> {
  const info = await h5Info(path);
  const kerasVersion = info.attrs.keras_version;
  rejectKeras1(path, kerasVersion);
  const root = info.attrs.layer_names ? '/' : info.modelWeights ? 'model_weights' : '/';
  const { layerNames, weights } = await readGroups(path, root, info, onLayer);
  return { layerNames, weights, ...(kerasVersion ? { kerasVersion } : {}) };
}

/** True when the HDF5 file holds a full model (model.save): a model_config attribute. */
export async function h5HasModelConfig(path: string): Promise<boolean> {
  return (await h5Info(path)).attrs.model_config !== undefined;
}

/**
 * Reads a full Keras model saved with model.save('x.h5') (Keras 2.x, tf.keras 2.x, Keras 3 legacy h5):
 * attr model_config (JSON) + group model_weights. training_config and optimizer_weights are ignored.
 */
export async function readKerasH5Model(path: string, onLayer?: LayerProgress): Promise<KerasModelSpec> {
  const info = await h5Info(path);
  const kerasVersion = info.attrs.keras_version;
  rejectKeras1(path, kerasVersion);
  const configText = info.attrs.model_config;
  if (configText === undefined) {
    throw new NetlensError(
      'invalid_model_file',
      `${path}: this HDF5 file has no model_config attribute, so it holds weights only. ` +
        `Pass --arch (${ARCHITECTURE_NAMES.join(', ')}) to convert it with a built-in architecture.`,
      { details: { file: path, valid: [...ARCHITECTURE_NAMES] } },
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
  if (!info.modelWeights) {
    throw new NetlensError(
      'invalid_model_file',
      `${path}: the file has a model_config but no model_weights group (saved without weights?). ` +
        `Save the model with model.save() including its weights.`,
      { details: { file: path } },
    );
  }
  const { weights } = await readGroups(path, 'model_weights', info, onLayer, configLayerNames(config));
  return {
    config,
    weights,
    format: 'keras-h5-model',
    source: path,
    ...(kerasVersion ? { kerasVersion } : {}),
  };
}
