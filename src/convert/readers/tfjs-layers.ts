import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { NetlensError } from '../../core/errors.js';
import type { KerasModelSpec, KerasTensor, KerasWeights } from '../keras/types.js';

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}
interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}
interface ModelJson {
  modelTopology: Record<string, unknown>;
  weightsManifest: WeightGroup[];
}

/** Keras' weight order within a layer, used to order TF.js manifests (which may list weights in any order). */
const ROLE_ORDER = [
  'depthwise_kernel',
  'pointwise_kernel',
  'kernel',
  'bias',
  'gamma',
  'beta',
  'moving_mean',
  'moving_variance',
  'mean',
  'variance',
  'count',
];

const BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2, float32: 4, int32: 4 };

function fail(source: string, message: string): never {
  throw new NetlensError('invalid_model_file', `${source}: ${message}`, { details: { file: source } });
}

/** IEEE 754 half → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Decodes one weight: float32/int32 as stored, uint8/uint16 as q·scale + min, float16 widened. */
export function decodeWeight(bytes: Uint8Array, entry: WeightEntry, source: string): Float32Array {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  const q = entry.quantization;
  const storage = q?.dtype ?? entry.dtype;
  if (storage === 'uint8' || storage === 'uint16') {
    const scale = q?.scale ?? 1;
    const min = q?.min ?? 0;
    for (let i = 0; i < count; i++) {
      const v = storage === 'uint8' ? (bytes[i] as number) : view.getUint16(i * 2, true);
      out[i] = v * scale + min;
    }
  } else if (storage === 'float16') {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else if (storage === 'float32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (storage === 'int32') {
    for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
  } else {
    fail(
      source,
      `weight '${entry.name}' has unsupported dtype '${storage}' (float32, float16, int32, uint8, uint16)`,
    );
  }
  return out;
}

async function loadJsModule(file: string): Promise<unknown> {
  const require = createRequire(import.meta.url);
  try {
    const m = require(path.resolve(file)) as { default?: unknown };
    return m.default ?? m;
  } catch (cause) {
    return fail(file, `cannot load the CommonJS model module (${(cause as Error).message})`);
  }
}

async function loadShard(dir: string, shard: string, asJs: boolean, source: string): Promise<Uint8Array> {
  if (asJs) {
    const file = path.join(dir, shard.endsWith('.js') ? shard : `${shard}.min.js`);
    const content = await loadJsModule(file);
    if (typeof content !== 'string') fail(source, `shard module ${file} does not export a base64 string`);
    return new Uint8Array(Buffer.from(content, 'base64'));
  }
  try {
    return new Uint8Array(await readFile(path.join(dir, shard)));
  } catch (cause) {
    return fail(
      source,
      `weight shard '${shard}' cannot be read (${(cause as Error).message}); keep the shards next to model.json`,
    );
  }
}

function layerAndRole(weightName: string): [string, string] {
  const parts = weightName.split('/');
  const role = (parts[parts.length - 1] ?? '').replace(/:\d+$/, '');
  return [parts.length >= 2 ? (parts[parts.length - 2] as string) : weightName, role];
}

/** The model JSON of a TF.js layers model (model.json, or nsfwjs' CommonJS model.min.js). */
async function readModelJson(file: string): Promise<ModelJson> {
  let json: unknown;
  if (/\.(c)?js$/.test(file)) json = await loadJsModule(file);
  else {
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (cause) {
      return fail(file, `not valid JSON (${(cause as Error).message})`);
    }
  }
  const model = json as Partial<ModelJson>;
  if (
    typeof model !== 'object' ||
    model === null ||
    !model.modelTopology ||
    !Array.isArray(model.weightsManifest)
  ) {
    return fail(
      file,
      'not a TF.js layers model (needs modelTopology and weightsManifest; graph models are not Keras)',
    );
  }
  return model as ModelJson;
}

/**
 * The files of a TF.js layers model as TF.js' own loader takes them (io.ModelArtifacts): the topology,
 * the weight specs of every group in order, and all shards' bytes, undecoded. The verification reference
 * loads these with tf.loadLayersModel, so TF.js decodes the weights (dequantisation included) itself,
 * independently of readTfjsLayers.
 */
export async function readTfjsArtifacts(file: string): Promise<{
  modelTopology: Record<string, unknown>;
  weightSpecs: WeightEntry[];
  weightData: ArrayBuffer;
}> {
  const model = await readModelJson(file);
  const asJs = /\.(c)?js$/.test(file);
  const shards: Uint8Array[] = [];
  for (const group of model.weightsManifest) {
    for (const p of group.paths) shards.push(await loadShard(path.dirname(file), p, asJs, file));
  }
  const weightData = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
  let at = 0;
  for (const s of shards) {
    weightData.set(s, at);
    at += s.byteLength;
  }
  return {
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap((g) => g.weights),
    weightData: weightData.buffer,
  };
}

/**
 * Reads a TensorFlow.js layers model: model.json + binary shards, or the CommonJS `.min.js` modules
 * nsfwjs ships (model module exporting the JSON, shard modules exporting base64).
 */
export async function readTfjsLayers(file: string): Promise<KerasModelSpec> {
  const asJs = /\.(c)?js$/.test(file);
  const model = await readModelJson(file);
  const topology = model.modelTopology;
  const config = topology['model_config'] ?? topology;
  const dir = path.dirname(file);
  const byLayer = new Map<string, { role: string; tensor: KerasTensor; index: number }[]>();
  let index = 0;
  for (const group of model.weightsManifest) {
    const shards = await Promise.all(group.paths.map((p) => loadShard(dir, p, asJs, file)));
    const total = shards.reduce((s, b) => s + b.byteLength, 0);
    const buffer = new Uint8Array(total);
    let at = 0;
    for (const s of shards) {
      buffer.set(s, at);
      at += s.byteLength;
    }
    let offset = 0;
    for (const entry of group.weights) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const bytes = count * (BYTES[entry.quantization?.dtype ?? entry.dtype] ?? 4);
      if (offset + bytes > buffer.byteLength) {
        fail(
          file,
          `the weight shards end before weight '${entry.name}' (truncated shards: ${group.paths.join(', ')})`,
        );
      }
      const data = decodeWeight(buffer.subarray(offset, offset + bytes), entry, file);
      offset += bytes;
      const [layer, role] = layerAndRole(entry.name);
      const list = byLayer.get(layer) ?? [];
      list.push({ role, tensor: { name: entry.name, dims: [...entry.shape], data }, index: index++ });
      byLayer.set(layer, list);
    }
  }
  const rank = (role: string): number => {
    const r = ROLE_ORDER.indexOf(role);
    return r === -1 ? ROLE_ORDER.length : r;
  };
  const weights: KerasWeights = new Map();
  for (const [layer, list] of byLayer) {
    list.sort((a, b) => rank(a.role) - rank(b.role) || a.index - b.index);
    weights.set(
      layer,
      list.map((w) => w.tensor),
    );
  }
  const kerasVersion = typeof topology['keras_version'] === 'string' ? topology['keras_version'] : undefined;
  return {
    config,
    weights,
    format: 'tfjs-layers',
    source: file,
    path: path.resolve(file),
    ...(kerasVersion ? { kerasVersion } : {}),
  };
}
