import { NetlensError } from '../../core/errors.js';
import type { KerasTensor, KerasWeights } from '../keras/types.js';

type H5Module = typeof import('h5wasm');
type H5File = InstanceType<H5Module['File']>;
type H5Group = InstanceType<H5Module['Group']>;
type H5Dataset = InstanceType<H5Module['Dataset']>;

let loaded: Promise<H5Module> | undefined;
async function h5wasm(): Promise<H5Module> {
  loaded ??= import('h5wasm/node').then(async (m) => {
    await m.ready;
    return m as unknown as H5Module;
  });
  return loaded;
}

/** An open HDF5 file; datasets are read from disk one at a time. Always close(). */
export class H5Reader {
  readonly path: string;
  private readonly module: H5Module;
  private readonly file: H5File;

  private constructor(path: string, module: H5Module, file: H5File) {
    this.path = path;
    this.module = module;
    this.file = file;
  }

  static async open(path: string): Promise<H5Reader> {
    const module = await h5wasm();
    let file: H5File;
    try {
      file = new module.File(path, 'r');
      // Touch the root so a truncated or corrupt file fails here, not halfway through.
      file.keys();
    } catch (cause) {
      throw new NetlensError(
        'invalid_model_file',
        `'${path}' has an HDF5 signature but cannot be read (truncated or corrupt: ${(cause as Error).message ?? cause}). ` +
          `Download or save the file again.`,
        { cause, details: { file: path } },
      );
    }
    return new H5Reader(path, module, file);
  }

  close(): void {
    this.file.close();
  }

  group(path: string): H5Group | undefined {
    const entity = this.safeGet(path);
    return entity instanceof this.module.Group ? entity : undefined;
  }

  dataset(path: string): H5Dataset | undefined {
    const entity = this.safeGet(path);
    return entity instanceof this.module.Dataset ? entity : undefined;
  }

  /** A string or string-list attribute of the root or a group. */
  attribute(path: string, name: string): unknown {
    const entity = path === '/' ? this.file : this.safeGet(path);
    if (!entity) return undefined;
    const attrs = (entity as H5Group).attrs;
    if (!(name in attrs)) return undefined;
    try {
      return attrs[name]?.value;
    } catch (cause) {
      throw this.corrupt(`attribute '${name}' of '${path}'`, cause);
    }
  }

  stringAttribute(path: string, name: string): string | undefined {
    const v = this.attribute(path, name);
    if (v === undefined || v === null) return undefined;
    if (v instanceof Uint8Array) return new TextDecoder().decode(v);
    return String(v);
  }

  stringListAttribute(path: string, name: string): string[] | undefined {
    const v = this.attribute(path, name);
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v.map(String);
    if (typeof v === 'string') return [v];
    return [];
  }

  /** Reads one dataset as float32. */
  readFloat32(path: string): KerasTensor {
    const ds = this.dataset(path);
    if (!ds) throw this.corrupt(`dataset '${path}' is listed in weight_names but missing`);
    let value: unknown;
    try {
      value = ds.value;
    } catch (cause) {
      throw this.corrupt(`dataset '${path}'`, cause);
    }
    const dims = (ds.shape ?? []).map(Number);
    const name = path.split('/').slice(-1)[0] ?? path;
    if (value instanceof Float32Array) return { name, dims, data: value };
    if (value instanceof Float64Array) return { name, dims, data: Float32Array.from(value) };
    if (typeof value === 'number') return { name, dims, data: new Float32Array([value]) };
    if (typeof value === 'bigint') return { name, dims, data: new Float32Array([Number(value)]) };
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      return { name, dims, data: Float32Array.from(value as unknown as ArrayLike<number>, Number) };
    }
    throw new NetlensError(
      'invalid_model_file',
      `${this.path}: dataset '${path}' has type ${String(ds.dtype)}, which cannot be read as float32 ` +
        `(float16 HDF5 datasets are not supported: save the weights as float32)`,
      { details: { file: this.path, dataset: path } },
    );
  }

  private safeGet(path: string): unknown {
    try {
      return this.file.get(path) ?? undefined;
    } catch {
      return undefined;
    }
  }

  corrupt(what: string, cause?: unknown): NetlensError {
    return new NetlensError(
      'invalid_model_file',
      `${this.path}: ${what} cannot be read${cause ? ` (${(cause as Error).message ?? String(cause)})` : ''}; the file is truncated or corrupt`,
      { cause, details: { file: this.path } },
    );
  }
}

/**
 * Layer key for a weight: the path segment before the variable name ('block1_conv1/kernel:0' →
 * 'block1_conv1', 'sequential_1/conv2d_2/kernel' → 'conv2d_2'), so layers of nested models are keyed
 * by their own names; names without '/' ('block1_conv1_W_1:0') belong to the group's layer.
 */
export function weightLayerKey(groupLayer: string, weightName: string): string {
  const parts = weightName.split('/');
  return parts.length >= 2 ? (parts[parts.length - 2] as string) : groupLayer;
}

/** Reads Keras' weight layout under `root`: attr layer_names, per-layer attr weight_names. */
export function readKerasWeightGroups(
  h5: H5Reader,
  root: string,
  onLayer?: (done: number, total: number, name: string) => void,
): { layerNames: string[]; weights: KerasWeights } {
  const layerNames = h5.stringListAttribute(root, 'layer_names');
  if (!layerNames) {
    throw new NetlensError(
      'invalid_model_file',
      `${h5.path}: no Keras weights found (${root === '/' ? 'the root' : `group '${root}'`} has no 'layer_names' ` +
        `attribute). This HDF5 file was not written by Keras' model.save() or save_weights().`,
      { details: { file: h5.path } },
    );
  }
  const prefix = root === '/' ? '' : `${root}/`;
  const weights: KerasWeights = new Map();
  layerNames.forEach((layer, index) => {
    onLayer?.(index, layerNames.length, layer);
    const weightNames = h5.stringListAttribute(`${prefix}${layer}`, 'weight_names');
    if (weightNames === undefined) {
      if (!h5.group(`${prefix}${layer}`))
        throw h5.corrupt(`layer group '${prefix}${layer}' (listed in layer_names)`);
      return;
    }
    // One layer's weights share one key; several keys mean a nested model's group.
    const keys = new Set(weightNames.map((w) => weightLayerKey(layer, w)));
    for (const weightName of weightNames) {
      const tensor = h5.readFloat32(`${prefix}${layer}/${weightName}`);
      tensor.name = weightName;
      const key = keys.size > 1 ? weightLayerKey(layer, weightName) : layer;
      const list = weights.get(key) ?? [];
      list.push(tensor);
      weights.set(key, list);
    }
  });
  onLayer?.(layerNames.length, layerNames.length, '');
  return { layerNames, weights };
}
