import { open } from 'node:fs/promises';
import { NetlensError } from '../../core/errors.js';

export type FileKind = 'hdf5' | 'zip' | 'json' | 'js';

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Identifies a model file by its first bytes (not its name). */
export async function detectFileKind(path: string): Promise<FileKind> {
  let head: Buffer;
  let size: number;
  try {
    const handle = await open(path, 'r');
    try {
      size = (await handle.stat()).size;
      head = Buffer.alloc(Math.min(size, 64));
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new NetlensError('not_found', `cannot read model file '${path}': ${(cause as Error).message}`, {
      cause,
      details: { file: path },
    });
  }
  if (size === 0)
    throw new NetlensError('invalid_model_file', `'${path}' is empty`, { details: { file: path } });
  if (HDF5_MAGIC.every((b, i) => head[i] === b)) return 'hdf5';
  if (head[0] === 0x50 && head[1] === 0x4b) return 'zip';
  const text = head.toString('utf8').trimStart();
  if (text.startsWith('{')) return 'json';
  if (/\.(c|m)?js$/.test(path)) return 'js';
  const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new NetlensError(
    'invalid_model_file',
    `'${path}' is not a Keras model file: it starts with bytes ${hex}, not the HDF5 signature (89 48 44 46 0d 0a 1a 0a), ` +
      `a zip (.keras) or TF.js model.json. Supported: Keras .h5/.hdf5 (model.save or weights-only), Keras 3 .keras, ` +
      `TF.js layers model.json (+ shards).`,
    { details: { file: path, firstBytes: hex } },
  );
}
