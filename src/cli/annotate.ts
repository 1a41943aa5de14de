import sharp from 'sharp';
import { formatPercent, type Prediction } from '../core/decode.js';

/** Text drawn on the image, as the Keras tutorial's classify_image.py does: "Label: beagle, 94.48%". */
export function annotationText(top: Prediction): string {
  return `Label: ${top.label}, ${formatPercent(top.score)}`;
}

/**
 * Writes the image upright (EXIF orientation applied, for viewing) as a JPEG with the top prediction drawn
 * in the top-left corner: an SVG text overlay composited by sharp, in DejaVu Sans (Debian fonts-dejavu-core).
 * Returns the written image's size.
 */
export async function writeAnnotatedImage(
  source: Uint8Array,
  top: Prediction,
  outPath: string,
): Promise<{ width: number; height: number }> {
  const upright = await sharp(source, { pages: 1 }).rotate().toBuffer({ resolveWithObject: true });
  const { width, height } = upright.info;
  const text = annotationText(top);
  // DejaVu Sans Bold averages ~0.63 em per character: shrink the font until a long label fits the width.
  const fontSize = Math.max(8, Math.floor(Math.min(48, width / 22, (width * 0.95) / (text.length * 0.63))));
  const band = Math.min(height, Math.round(fontSize * 1.6));
  const padding = Math.round(fontSize * 0.4);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${band}">` +
    `<rect width="${width}" height="${band}" fill="#000" fill-opacity="0.55"/>` +
    `<text x="${padding}" y="${Math.round(band / 2 + fontSize * 0.36)}" font-family="DejaVu Sans, sans-serif" ` +
    `font-weight="bold" font-size="${fontSize}" fill="#ff4040">${escapeXml(text)}</text></svg>`;
  const info = await sharp(upright.data)
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .jpeg({ quality: 92 })
    .toFile(outPath);
  return { width: info.width, height: info.height };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
