import { readFile } from 'node:fs/promises';

/** Keras' imagenet_class_index.json shipped with the project ({"0": ["n01440764", "tench"], …}). */
export const IMAGENET_LABELS_URL = new URL(
  '../../../models/labels/imagenet_class_index.json',
  import.meta.url,
);

export async function readImagenetLabels(): Promise<Record<string, [string, string]>> {
  return JSON.parse(await readFile(IMAGENET_LABELS_URL, 'utf8')) as Record<string, [string, string]>;
}
