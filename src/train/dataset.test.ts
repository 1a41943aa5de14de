import { mkdtempSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countPerLabel, relabel, requireImagesPerLabel, scanDataset } from './dataset.js';
import { seededRandom } from './random.js';
import { splitValidation } from './split.js';

describe('scanDataset', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netlens-dataset-'));
    const files = [
      'cats/b.jpg',
      'cats/a.PNG',
      'cats/nested/c.webp',
      'cats/notes.txt',
      'cats/.hidden.jpg',
      'dogs/d.jpeg',
      'readme.md',
      '.cache/e.jpg',
    ];
    for (const file of files) {
      await mkdir(join(dir, file, '..'), { recursive: true });
      await writeFile(join(dir, file), 'x'); // never decoded: scanning goes by name
    }
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads one folder per label in name order, images by extension (sub-folders too), hidden entries skipped', async () => {
    const dataset = await scanDataset(dir);
    expect(dataset.labels).toEqual(['cats', 'dogs']);
    expect(dataset.images.map((i) => [i.file.slice(dir.length + 1), i.label])).toEqual([
      ['cats/a.PNG', 0],
      ['cats/b.jpg', 0],
      ['cats/nested/c.webp', 0],
      ['dogs/d.jpeg', 1],
    ]);
    expect(dataset.ignored.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      'cats/notes.txt',
      'readme.md',
    ]);
    expect(countPerLabel(dataset.images, 2)).toEqual([3, 1]);
  });

  it('labels a test set with the training indices and refuses labels training does not have', async () => {
    const test = await scanDataset(join(dir), 1);
    expect(relabel(test, ['birds', 'cats', 'dogs']).map((i) => i.label)).toEqual([1, 1, 1, 2]);
    expect(() => relabel(test, ['cats'])).toThrow(/has label folder\(s\) the training set does not: dogs/);
  });

  it('names every label with too few images', () => {
    expect(() => requireImagesPerLabel(['a', 'b', 'c'], [5, 1, 0], 2)).toThrow(
      'every label needs at least 2 images (--min-images); too few in: b (1), c (0)',
    );
    expect(() => requireImagesPerLabel(['a', 'b'], [2, 2], 2)).not.toThrow();
  });
});

describe('splitValidation', () => {
  const images = [
    ...Array.from({ length: 10 }, (_, i) => ({ file: `a${i}`, label: 0 })),
    ...Array.from({ length: 5 }, (_, i) => ({ file: `b${i}`, label: 1 })),
    { file: 'c0', label: 2 },
    { file: 'c1', label: 2 },
  ];

  it('holds out the fraction of each label (at least one, never all), the same for the same seed', () => {
    const split = splitValidation(images, 3, 0.2, seededRandom(42));
    const held = countPerLabel(split.validation, 3);
    expect(held).toEqual([2, 1, 1]);
    expect(split.train.length + split.validation.length).toBe(images.length);
    expect(splitValidation(images, 3, 0.2, seededRandom(42))).toEqual(split);
    expect(splitValidation(images, 3, 0.2, seededRandom(43)).validation).not.toEqual(split.validation);
    expect(splitValidation(images, 3, 0, seededRandom(42)).validation).toEqual([]);
  });
});
