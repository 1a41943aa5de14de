/**
 * Rebuilds models/calibration, the default calibration photos of `netlens quantize`, from scikit-image's
 * sample data as Debian packages it (python3-skimage 0.19.3-8, /usr/lib/python3/dist-packages/skimage/data).
 * Only photos whose scikit-image docstring states CC0 or public domain are taken (models/calibration/README.md
 * lists each with its licence); each is scaled to at most 400 px on its longer side and stored as JPEG q90.
 *
 *   apt-get download python3-skimage && dpkg -x python3-skimage_*.deb /tmp/skimage
 *   npx tsx scripts/quantize/make-calibration-set.ts /tmp/skimage/usr/lib/python3/dist-packages/skimage/data
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export const CALIBRATION_PHOTOS: readonly { file: string; licence: string }[] = [
  { file: 'astronaut.png', licence: 'public domain (NASA)' },
  { file: 'camera.png', licence: 'CC0 (Lav Varshney)' },
  { file: 'chelsea.png', licence: 'CC0 (Stefan van der Walt)' },
  { file: 'coffee.png', licence: 'CC0 (Rachel Michetti)' },
  { file: 'rocket.jpg', licence: 'public domain (SpaceX)' },
  { file: 'hubble_deep_field.jpg', licence: 'public domain (NASA)' },
  { file: 'retina.jpg', licence: 'CC0 1.0 (Mikael Häggström, Wikimedia Commons)' },
  { file: 'clock_motion.png', licence: 'public domain (Stefan van der Walt)' },
  { file: 'horse.png', licence: 'CC0 (Andreas Preuss)' },
  { file: 'brick.png', licence: 'CC0 (CC0Textures)' },
  { file: 'grass.png', licence: 'CC0 (CC0Textures)' },
  { file: 'gravel.png', licence: 'CC0 (CC0Textures)' },
  { file: 'text.png', licence: 'public domain' },
  { file: 'cell.png', licence: 'CC0' },
  { file: 'microaneurysms.png', licence: 'CC0 (Andreas Maier)' },
];

const [source] = process.argv.slice(2);
if (!source) {
  console.error('usage: make-calibration-set.ts <skimage data dir>');
  process.exit(2);
}
const out = path.resolve(import.meta.dirname, '../../models/calibration');
mkdirSync(out, { recursive: true });
for (const { file } of CALIBRATION_PHOTOS) {
  const target = path.join(out, `${path.parse(file).name}.jpg`);
  const info = await sharp(path.join(source, file))
    .resize(400, 400, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: 90, mozjpeg: false })
    .toFile(target);
  console.error(
    `${file} → ${path.relative(process.cwd(), target)} ${info.width}×${info.height} ${info.size} B`,
  );
}
