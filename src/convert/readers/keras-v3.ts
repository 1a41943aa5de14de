import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { NetlensError } from '../../core/errors.js';
import { parseModelConfig, type KerasGraphModel } from '../keras/config.js';
import type { KerasModelSpec, KerasWeights } from '../keras/types.js';
import { h5Keras3Vars } from './h5.js';

/** Keras 3's naming.to_snake_case, used for object paths in model.weights.h5. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * Keras 3 stores a model's layers under `layers/<snake_case(class)>[_<n>]` in model.layers order
 * (the counter starts at _1 for the second layer of a class), each with `vars/0…k` in Keras' order.
 */
export function keras3LayerPaths(
  base: string,
  model: KerasGraphModel,
  into: { layer: string; path: string }[] = [],
) {
  const used = new Map<string, number>();
  for (const layer of model.layers) {
    if (layer.className === 'InputLayer') continue;
    const snake = toSnakeCase(layer.className);
    const count = used.get(snake);
    const objectName = count === undefined ? snake : `${snake}_${count + 1}`;
    used.set(snake, count === undefined ? 0 : count + 1);
    const layerPath = `${base}/${objectName}`;
    if (layer.model) keras3LayerPaths(`${layerPath}/layers`, layer.model, into);
    else into.push({ layer: layer.name, path: layerPath });
  }
  return into;
}

function entry(files: Record<string, Uint8Array>, name: string, source: string): Uint8Array {
  const data = files[name];
  if (!data) {
    throw new NetlensError(
      'invalid_model_file',
      `${source}: the .keras archive has no ${name} (it holds: ${Object.keys(files).join(', ') || 'nothing'}); ` +
        `save the model with Keras 3 model.save('model.keras')`,
      { details: { file: source } },
    );
  }
  return data;
}

/** Reads a Keras 3 `.keras` zip: config.json, metadata.json, model.weights.h5 (optimizer vars ignored). */
export async function readKerasV3(file: string): Promise<KerasModelSpec> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(new Uint8Array(await readFile(file)), {
      filter: (f) => ['config.json', 'metadata.json', 'model.weights.h5'].includes(f.name),
    });
  } catch (cause) {
    throw new NetlensError(
      'invalid_model_file',
      `${file}: the .keras zip cannot be read (${(cause as Error).message}); the file is truncated or corrupt`,
      { cause, details: { file } },
    );
  }
  const decode = (name: string): unknown => {
    try {
      return JSON.parse(new TextDecoder().decode(entry(files, name, file)));
    } catch (cause) {
      if (cause instanceof NetlensError) throw cause;
      throw new NetlensError('invalid_model_file', `${file}: ${name} is not valid JSON`, {
        cause,
        details: { file },
      });
    }
  };
  const config = decode('config.json');
  const metadata = files['metadata.json'] ? decode('metadata.json') : {};
  const kerasVersion =
    typeof metadata === 'object' && metadata !== null && 'keras_version' in metadata
      ? String((metadata as { keras_version: unknown }).keras_version)
      : undefined;
  const model = parseModelConfig(config, file);
  const dir = await mkdtemp(path.join(tmpdir(), 'netlens-keras-'));
  try {
    const weightsPath = path.join(dir, 'model.weights.h5');
    await writeFile(weightsPath, entry(files, 'model.weights.h5', file));
    const entries = await h5Keras3Vars(weightsPath, keras3LayerPaths('layers', model));
    const weights: KerasWeights = new Map();
    for (const e of entries) {
      const list = weights.get(e.layer) ?? [];
      list.push({ name: e.weightName, dims: e.dims, data: e.data });
      weights.set(e.layer, list);
    }
    return { config, weights, format: 'keras-v3', source: file, ...(kerasVersion ? { kerasVersion } : {}) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
