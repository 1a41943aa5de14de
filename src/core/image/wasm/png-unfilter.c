/*
 * PNG reconstruction (PNG specification §9.2, the five filter types of filter method 0) for the Node
 * decoder's fast path (src/runtime/node/png-decode.ts), built into the same module as the resize kernels.
 *
 * In place: `data` holds `height` rows of one filter-type byte followed by `stride` filtered bytes, as
 * zlib inflates them; afterwards its first height × stride bytes are the image. Row y is written from
 * y·stride on, which trails where its filtered bytes are read (y·(stride + 1) + 1 on), and the row above
 * is already in place when a row needs it.
 *
 * Build: scripts/build-wasm.sh (clang --target=wasm32 -msimd128, no libc).
 */
#include <stdint.h>

/* The Paeth predictor, exactly as §9.4 states it (ties go to a, then b). */
static inline int32_t paeth(int32_t a, int32_t b, int32_t c) {
  int32_t p = a + b - c;
  int32_t pa = p > a ? p - a : a - p;
  int32_t pb = p > b ? p - b : b - p;
  int32_t pc = p > c ? p - c : c - p;
  return (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
}

/*
 * `bpp`: bytes per complete pixel (1–8; the filters' "a" and "c" are bpp bytes back). Returns 0, or
 * 1 + the row index of the first row whose filter type is not 0–4 (the data is then partly rewritten).
 */
int32_t png_unfilter(uint8_t *data, int32_t height, int32_t stride, int32_t bpp) {
  for (int32_t y = 0; y < height; y++) {
    const uint8_t *s = data + y * (stride + 1) + 1;
    uint8_t *o = data + y * stride;
    const uint8_t *up = y > 0 ? o - stride : 0;
    const uint8_t type = s[-1];
    int32_t i = 0;
    if (type > 4) return 1 + y;
    if (type == 0 || (type == 2 && !up)) {
      for (; i < stride; i++) o[i] = s[i];
    } else if (type == 1 || (type == 4 && !up)) {
      /* Paeth with no row above predicts a: the Sub filter. */
      for (; i < bpp && i < stride; i++) o[i] = s[i];
      for (; i < stride; i++) o[i] = (uint8_t)(s[i] + o[i - bpp]);
    } else if (type == 2) {
      for (; i < stride; i++) o[i] = (uint8_t)(s[i] + up[i]);
    } else if (type == 3) {
      for (; i < bpp && i < stride; i++) o[i] = (uint8_t)(s[i] + (up ? up[i] >> 1 : 0));
      if (up)
        for (; i < stride; i++) o[i] = (uint8_t)(s[i] + ((o[i - bpp] + up[i]) >> 1));
      else
        for (; i < stride; i++) o[i] = (uint8_t)(s[i] + (o[i - bpp] >> 1));
    } else {
      for (; i < bpp && i < stride; i++) o[i] = (uint8_t)(s[i] + up[i]);
      for (; i < stride; i++) o[i] = (uint8_t)(s[i] + paeth(o[i - bpp], up[i], up[i - bpp]));
    }
  }
  return 0;
}
