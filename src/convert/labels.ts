import { readFile } from 'node:fs/promises';
import { NetlensError } from '../core/errors.js';
import type { ManifestInput } from '../core/manifest.js';
import { readImagenetLabels } from './architectures/index.js';

/**
 * `--labels`: 'imagenet' (Keras' class index shipped in models/labels), a JSON file (a list of names or
 * Keras' `{"0": ["n01440764", "tench"], …}`) or a text file with one label per line.
 */
export async function resolveLabels(value: string): Promise<ManifestInput['labels']> {
  if (value === 'imagenet') return readImagenetLabels();
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch (cause) {
    throw new NetlensError(
      'invalid_argument',
      `--labels: '${value}' is neither 'imagenet' nor a readable file`,
      {
        cause,
        details: { labels: value, valid: ['imagenet', 'a .json or .txt file'] },
      },
    );
  }
  if (/\.json$/i.test(value)) {
    try {
      return JSON.parse(text) as ManifestInput['labels'];
    } catch (cause) {
      throw new NetlensError('invalid_argument', `--labels: ${value} is not valid JSON`, { cause });
    }
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
