/**
 * CMYK → RGB exactly as Pillow's `convert('RGB')` does it (libImaging/Convert.c `cmyk2rgb`: no colour
 * management, r = (255 − k) − (c·(255 − k))/255 with Pillow's rounding MULDIV255), so a CMYK JPEG gives
 * the pixels Keras' `load_img` sees. `stride` is the samples per pixel of the input (4, or 5 with alpha,
 * which is dropped as convert('RGB') drops it).
 */
export function cmykToRgbLikePillow(cmyk: Uint8Array, pixels: number, stride = 4): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += stride, o += 3) {
    const nk = 255 - (cmyk[i + 3] as number);
    for (let c = 0; c < 3; c++) {
      const tmp = (cmyk[i + c] as number) * nk + 128;
      rgb[o + c] = nk - (((tmp >> 8) + tmp) >> 8); // always within 0…255: no clipping needed
    }
  }
  return rgb;
}
