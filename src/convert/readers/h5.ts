import { Worker } from 'node:worker_threads';
import { NetlensError } from '../../core/errors.js';
import type { KerasWeights } from '../keras/types.js';

/** Root facts of a Keras HDF5 file. */
export interface H5Info {
  attrs: { keras_version?: string; backend?: string; model_config?: string; layer_names?: string[] };
  /** The model_weights group of a full-model file, or null. */
  modelWeights: { layer_names?: string[] } | null;
}

export interface H5WeightEntry {
  /** The HDF5 group (layer) the weight is stored under. */
  layer: string;
  weightName: string;
  dims: number[];
  data: Float32Array;
}

type WorkerReply<T> =
  | { result: T }
  | { error: { kind: string; message: string } }
  | { progress: { done: number; layer: string } };

const WORKER_URL = new URL('./h5-worker.mjs', import.meta.url);

/** Runs one read in a fresh worker (see h5-worker.mjs for why) and maps its failures to NetlensError. */
function runWorker<T>(
  path: string,
  data: Record<string, unknown>,
  onProgress?: (layer: string) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: { path, ...data } });
    let settled = false;
    // Settles only once the worker has ended, so its h5wasm heap is gone before the next read starts.
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      worker.terminate().then(fn, fn);
    };
    worker.on('message', (reply: WorkerReply<T>) => {
      if ('progress' in reply) {
        onProgress?.(reply.progress.layer);
        return;
      }
      if ('result' in reply) {
        finish(() => resolve(reply.result));
        return;
      }
      const { kind, message } = reply.error;
      const text =
        kind === 'open'
          ? `'${path}' has an HDF5 signature but ${message}. Download or save the file again.`
          : kind === 'corrupt'
            ? `${path}: ${message}; the file is truncated or corrupt`
            : `${path}: ${message}`;
      finish(() =>
        reject(
          new NetlensError(kind === 'internal' ? 'internal' : 'invalid_model_file', text, {
            details: { file: path },
          }),
        ),
      );
    });
    worker.on('error', (error) =>
      finish(() =>
        reject(
          new NetlensError('internal', `HDF5 reader failed on ${path}: ${error.message}`, { cause: error }),
        ),
      ),
    );
    worker.on('exit', (code) => {
      if (!settled)
        finish(() => reject(new NetlensError('internal', `HDF5 reader exited (${code}) on ${path}`)));
    });
  });
}

export function h5Info(path: string): Promise<H5Info> {
  return runWorker<H5Info>(path, { op: 'info' });
}

/** Reads Keras' weight layout under `root` ('/' or 'model_weights'); layerNames is null without layer_names. */
export function h5KerasGroups(
  path: string,
  root: string,
  onLayer?: (layer: string) => void,
): Promise<{ layerNames: string[] | null; entries: H5WeightEntry[] }> {
  return runWorker(path, { op: 'keras-groups', root }, onLayer);
}

/** Reads `<path>/vars/0…k` of each Keras 3 layer object path. */
export function h5Keras3Vars(
  path: string,
  layerPaths: { layer: string; path: string }[],
): Promise<H5WeightEntry[]> {
  return runWorker(path, { op: 'keras3-vars', layerPaths });
}

/**
 * Layer key for a weight: the path before the variable name ('block1_conv1/kernel:0' → 'block1_conv1',
 * 'sequential_1/conv2d_2/kernel' → 'conv2d_2'), so layers of nested models are keyed by their own names.
 * Layer names may hold '/' themselves (DenseNet's 'conv1/conv', tf.keras MobileNetV3's 'Conv/BatchNorm'):
 * given the model's layer names, the longest suffix of the path that is one of them wins. Names without
 * '/' ('block1_conv1_W_1:0') belong to the group's layer.
 */
export function weightLayerKey(
  groupLayer: string,
  weightName: string,
  layerNames: ReadonlySet<string> = new Set(),
): string {
  const parts = weightName.split('/').slice(0, -1);
  if (parts.length === 0) return groupLayer;
  for (let i = 0; i < parts.length; i++) {
    const candidate = parts.slice(i).join('/');
    if (layerNames.has(candidate)) return candidate;
  }
  return parts[parts.length - 1] as string;
}

/**
 * Groups weights by layer in file order. A group whose weights name several layers is a nested model:
 * its weights are keyed by the inner layer names; otherwise the group (layer) name is the key.
 * `layerNames` (every layer name of the model config, nested ones included) resolves names with '/'.
 */
export function groupWeights(
  entries: readonly H5WeightEntry[],
  layerNames: ReadonlySet<string> = new Set(),
): KerasWeights {
  const byGroup = new Map<string, H5WeightEntry[]>();
  for (const e of entries) byGroup.set(e.layer, [...(byGroup.get(e.layer) ?? []), e]);
  const weights: KerasWeights = new Map();
  for (const [group, list] of byGroup) {
    const keys = new Set(list.map((e) => weightLayerKey(group, e.weightName, layerNames)));
    for (const e of list) {
      const key = keys.size > 1 ? weightLayerKey(group, e.weightName, layerNames) : group;
      const tensors = weights.get(key) ?? [];
      tensors.push({ name: e.weightName, dims: e.dims, data: e.data });
      weights.set(key, tensors);
    }
  }
  return weights;
}
