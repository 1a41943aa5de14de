import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { NetlensError } from '../../core/errors.js';
import type { OnnxGraphBuilder } from './builder.js';

/**
 * Streams the model to `path` chunk by chunk (weights are written from their own arrays, never
 * gathered into one buffer) and returns its size and sha256.
 */
export function writeOnnxFile(builder: OnnxGraphBuilder, path: string): { bytes: number; sha256: string } {
  const { total, chunks } = builder.serialised();
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (const chunk of chunks()) {
      let offset = 0;
      while (offset < chunk.length) offset += writeSync(fd, chunk, offset, chunk.length - offset);
      hash.update(chunk);
      written += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  if (written !== total)
    throw new NetlensError('internal', `ONNX file ${path}: wrote ${written} of ${total} bytes`);
  return { bytes: written, sha256: hash.digest('hex') };
}
