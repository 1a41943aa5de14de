// HDF5 reads for the converter, run in a worker thread (plain JavaScript on purpose: no TypeScript
// loader in this thread). h5wasm stages reads in WebAssembly memory, which never shrinks; in a worker
// that memory is returned when the worker ends, and loading h5wasm here costs tens of MB, not the
// hundreds it costs on the main thread under the tsx loader. Float32Arrays are transferred, not copied.
import { TextDecoder } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';

const CHUNK_BYTES = 16 * 1024 * 1024;

class ReadError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

function readAttribute(entity, name) {
  if (!entity || !(name in entity.attrs)) return undefined;
  const value = entity.attrs[name].value;
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String);
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (ArrayBuffer.isView(value)) return Array.from(value, String);
  return String(value);
}

function readFloat32(h5, file, path) {
  let ds;
  try {
    ds = file.get(path);
  } catch (cause) {
    throw new ReadError('corrupt', `dataset '${path}' cannot be opened (${cause.message ?? cause})`);
  }
  if (!(ds instanceof h5.Dataset)) throw new ReadError('corrupt', `dataset '${path}' is listed but missing`);
  const dims = (ds.shape ?? []).map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const dtype = String(ds.dtype);
  try {
    if (dtype === '<f') {
      const rows = dims[0] ?? 1;
      const rowSize = rows > 0 ? count / rows : 0;
      if (count * 4 > CHUNK_BYTES && rows > 1) {
        const out = new Float32Array(count);
        const step = Math.max(1, Math.floor(CHUNK_BYTES / (rowSize * 4)));
        for (let start = 0; start < rows; start += step) {
          const end = Math.min(rows, start + step);
          const part = ds.slice([[start, end]]);
          if (!(part instanceof Float32Array) || part.length !== (end - start) * rowSize) {
            throw new ReadError('corrupt', `dataset '${path}' rows ${start}…${end} cannot be read`);
          }
          out.set(part, start * rowSize);
        }
        return { dims, data: out };
      }
    }
    const value = ds.value;
    if (value instanceof Float32Array) {
      // h5wasm returns a fresh copy out of its heap; transfer it as is unless it is a view of a larger buffer.
      const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
      return { dims, data: whole ? value : value.slice() };
    }
    if (typeof value === 'number' || typeof value === 'bigint')
      return { dims, data: new Float32Array([Number(value)]) };
    if (dtype === '<d' || dtype.startsWith('<i') || dtype.startsWith('<u') || dtype.startsWith('>')) {
      return { dims, data: Float32Array.from(value, Number) };
    }
  } catch (cause) {
    if (cause instanceof ReadError) throw cause;
    throw new ReadError('corrupt', `dataset '${path}' cannot be read (${cause.message ?? cause})`);
  }
  throw new ReadError(
    'dtype',
    `dataset '${path}' has type ${dtype}, which cannot be read as float32 (float16 HDF5 datasets are not supported: save the weights as float32)`,
  );
}

function info(h5, file) {
  const attrs = {};
  for (const name of ['keras_version', 'backend', 'model_config', 'layer_names']) {
    const v = readAttribute(file, name);
    if (v !== undefined) attrs[name] = v;
  }
  const mw = file.get('model_weights');
  return {
    attrs,
    modelWeights: mw instanceof h5.Group ? { layer_names: readAttribute(mw, 'layer_names') } : null,
  };
}

/** Keras layout: `<root>` attr layer_names; per layer attr weight_names; datasets at <layer>/<weight_name>. */
function kerasGroups(h5, file, root, transfers) {
  const group = root === '/' ? file : file.get(root);
  const layerNames = readAttribute(group, 'layer_names');
  if (!Array.isArray(layerNames)) return { layerNames: null, entries: [] };
  const prefix = root === '/' ? '' : `${root}/`;
  const entries = [];
  for (const layer of layerNames) {
    let g;
    try {
      g = file.get(`${prefix}${layer}`);
    } catch (cause) {
      throw new ReadError(
        'corrupt',
        `layer group '${prefix}${layer}' cannot be opened (${cause.message ?? cause})`,
      );
    }
    if (!(g instanceof h5.Group))
      throw new ReadError('corrupt', `layer group '${prefix}${layer}' (listed in layer_names) is missing`);
    const weightNames = readAttribute(g, 'weight_names') ?? [];
    for (const weightName of Array.isArray(weightNames) ? weightNames : [weightNames]) {
      const { dims, data } = readFloat32(h5, file, `${prefix}${layer}/${weightName}`);
      transfers.push(data.buffer);
      entries.push({ layer, weightName, dims, data });
    }
    parentPort.postMessage({ progress: { done: entries.length, layer } });
  }
  return { layerNames, entries };
}

/** Keras 3 model.weights.h5: `<path>/vars/0…k` for each requested layer path. */
function keras3Vars(h5, file, layerPaths, transfers) {
  const out = [];
  for (const { layer, path } of layerPaths) {
    let vars;
    try {
      vars = file.get(`${path}/vars`);
    } catch {
      vars = null;
    }
    if (!(vars instanceof h5.Group)) continue;
    const keys = vars
      .keys()
      .filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b));
    for (const k of keys) {
      const { dims, data } = readFloat32(h5, file, `${path}/vars/${k}`);
      transfers.push(data.buffer);
      out.push({ layer, weightName: `${path.split('/').slice(-1)[0]}/vars/${k}`, dims, data });
    }
  }
  return out;
}

async function main() {
  const { path, op, root, layerPaths } = workerData;
  const h5 = await import('h5wasm/node');
  await h5.ready;
  let file;
  try {
    file = new h5.File(path, 'r');
    file.keys();
  } catch (cause) {
    throw new ReadError('open', `cannot be read (truncated or corrupt: ${cause.message ?? cause})`);
  }
  try {
    const transfers = [];
    let result;
    if (op === 'info') result = info(h5, file);
    else if (op === 'keras-groups') result = kerasGroups(h5, file, root, transfers);
    else if (op === 'keras3-vars') result = keras3Vars(h5, file, layerPaths, transfers);
    else throw new Error(`unknown op ${op}`);
    parentPort.postMessage({ result }, transfers);
  } finally {
    file.close();
  }
}

main().catch((error) => {
  parentPort.postMessage({
    error: { kind: error.kind ?? 'internal', message: error.message ?? String(error) },
  });
});
