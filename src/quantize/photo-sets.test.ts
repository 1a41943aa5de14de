import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPhotoSet } from './photo-set.js';
import { DEFAULT_CALIBRATION_DIR, choosePhotoSets } from './photo-sets.js';

const tmp = mkdtempSync(join(tmpdir(), 'netlens-photo-sets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A directory with the first `n` default calibration photos (and a file that is not a photo). */
function photos(name: string, n: number): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const f of readdirSync(DEFAULT_CALIBRATION_DIR)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, n)) {
    copyFileSync(join(DEFAULT_CALIBRATION_DIR, f), join(dir, f));
  }
  writeFileSync(join(dir, 'notes.txt'), 'not a photo');
  return dir;
}

describe('calibration and held-out photo sets', () => {
  it('ships 15 license-clean calibration photos and holds out every 4th when no --holdout is given', async () => {
    const sets = await choosePhotoSets({ kind: 'int8' });
    expect(sets.calibration?.files).toHaveLength(12);
    expect(sets.holdout.files).toHaveLength(3);
    expect(sets.holdout.files.some((f) => sets.calibration?.files.includes(f))).toBe(false);
    expect(sets.holdoutSource).toMatch(
      /every 4th photo of .*models\/calibration \(by name\), left out of calibration/,
    );
    expect(sets.warnings).toEqual([]);
    // The set hash is that of the sha256sum-style listing, so it changes with any photo's bytes or name.
    const all = await readPhotoSet(DEFAULT_CALIBRATION_DIR, 'calibration');
    expect(all.files).toHaveLength(15);
    expect(sets.calibration?.sha256).not.toBe(all.sha256);
  });

  it('warns below 12 calibration photos and refuses below 8, saying how to keep them all', async () => {
    const ten = photos('ten', 10);
    const given = await choosePhotoSets({
      kind: 'int8',
      calibration: ten,
      holdout: photos('other', 0),
    }).catch((e: Error) => e);
    expect(String(given)).toMatch(/no held-out photos in .*other/);
    const sets = await choosePhotoSets({
      kind: 'int8',
      calibration: photos('eleven', 11),
      holdout: join(tmp, 'held'),
    }).catch((e: Error) => e);
    expect(String(sets)).toMatch(/held-out photo directory .*held cannot be read/);
    mkdirSync(join(tmp, 'held'));
    copyFileSync(
      join(import.meta.dirname, '../../test/fixtures/image/exif-1.jpg'),
      join(tmp, 'held', 'x.jpg'),
    );
    const ok = await choosePhotoSets({ kind: 'int8', calibration: ten, holdout: join(tmp, 'held') });
    expect(ok.calibration?.files).toHaveLength(10);
    expect(ok.warnings[0]).toMatch(/calibration set is small: 10 photos \(12\+ recommended\)/);
    await expect(choosePhotoSets({ kind: 'int8', calibration: photos('nine', 9) })).rejects.toThrow(
      /calibration set too small: 7 photo\(s\) from .*nine after holding out 2 .*--holdout DIR/,
    );
    await expect(
      choosePhotoSets({ kind: 'int8', calibration: photos('seven', 7), holdout: join(tmp, 'held') }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      details: { photos: 7, minimum: 8 },
    });
  });

  it('fp16 calibrates nothing and measures on the default photos unless --holdout is given', async () => {
    const sets = await choosePhotoSets({ kind: 'fp16' });
    expect(sets.calibration).toBeUndefined();
    expect(sets.holdout.files).toHaveLength(15);
  });
});
