/*
 * Pillow's 8-bit two-pass convolution resize (libImaging/Resample.c, ImagingResampleHorizontal_8bpc and
 * ImagingResampleVertical_8bpc) for netlens' fused preprocessing, in WebAssembly SIMD. Bit for bit the
 * TypeScript version (../fused-convolution.ts): int32 sums starting at 1 << 21, 22-bit fixed-point
 * weights, arithmetic shift, clip to 0..255 — only the sums are computed four or sixteen at a time.
 * Integer addition is exact (and wraps like JavaScript's `| 0`), so the order of lanes changes nothing.
 *
 * The caller (../wasm-resample.ts) owns the memory layout: every pointer is an offset into this
 * module's memory, and the source image has 16 bytes of padding after it.
 *
 * Build: scripts/build-wasm.sh (clang --target=wasm32 -msimd128, no libc).
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define PRECISION_BITS 22
#define BIAS (1 << (PRECISION_BITS - 1))

static inline uint8_t clip8(int32_t ss) {
  int32_t v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

/* Four int32 sums → four clipped bytes in lanes 0–3 (saturating narrows clip exactly to 0..255). */
static inline v128_t clip8x4(v128_t sums) {
  v128_t v = wasm_i32x4_shr(sums, PRECISION_BITS);
  v128_t h = wasm_i16x8_narrow_i32x4(v, v);
  return wasm_u8x16_narrow_i16x8(h, h);
}

/*
 * out[i] = clip8(BIAS + Σ_t src[t·stride + i] · w[t]) for i < len: n weighted lines added, sixteen
 * bytes at a time with the sums in registers. Pillow's vertical pass, and the horizontal pass of an
 * image whose rows run down the stored columns.
 */
static void weighted_lines(const uint8_t *src, int32_t stride, int32_t n, const int32_t *w, int32_t len,
                           uint8_t *out) {
  int32_t i = 0;
  const v128_t bias = wasm_i32x4_splat(BIAS);
  for (; i + 16 <= len; i += 16) {
    v128_t a0 = bias, a1 = bias, a2 = bias, a3 = bias;
    const uint8_t *s = src + i;
    for (int32_t t = 0; t < n; t++, s += stride) {
      v128_t v = wasm_v128_load(s);
      v128_t wt = wasm_i32x4_splat(w[t]);
      v128_t lo = wasm_u16x8_extend_low_u8x16(v);
      v128_t hi = wasm_u16x8_extend_high_u8x16(v);
      a0 = wasm_i32x4_add(a0, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), wt));
      a1 = wasm_i32x4_add(a1, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), wt));
      a2 = wasm_i32x4_add(a2, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(hi), wt));
      a3 = wasm_i32x4_add(a3, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(hi), wt));
    }
    v128_t h0 = wasm_i16x8_narrow_i32x4(wasm_i32x4_shr(a0, PRECISION_BITS), wasm_i32x4_shr(a1, PRECISION_BITS));
    v128_t h1 = wasm_i16x8_narrow_i32x4(wasm_i32x4_shr(a2, PRECISION_BITS), wasm_i32x4_shr(a3, PRECISION_BITS));
    wasm_v128_store(out + i, wasm_u8x16_narrow_i16x8(h0, h1));
  }
  for (; i < len; i++) {
    int32_t ss = BIAS;
    const uint8_t *s = src + i;
    for (int32_t t = 0; t < n; t++, s += stride) ss += (int32_t)*s * w[t];
    out[i] = clip8(ss);
  }
}

/* Pillow's vertical pass over the intermediate image (rows of `row` bytes, the first being `row_offset`). */
void vertical(const uint8_t *mid, int32_t row, int32_t out_h, int32_t row_offset, const int32_t *start,
              const int32_t *count, const int32_t *k, int32_t ksize, uint8_t *out) {
  for (int32_t yy = 0; yy < out_h; yy++) {
    weighted_lines(mid + (start[yy] - row_offset) * row, row, count[yy], k + yy * ksize, row, out + yy * row);
  }
}

/*
 * Horizontal pass along stored rows (orientations 1–4): output sample (y, xx) gathers count[xx] pixels
 * from start[xx], `step_x` bytes apart. Three samples per pixel are summed as one int32x4 (the fourth
 * lane reads the next byte and is dropped; the store of four bytes is overwritten by the next pixel or
 * lands in the padding after `mid`).
 */
void horizontal_rows(const uint8_t *src, int32_t base, int32_t step_x, int32_t step_y, int32_t samples,
                     int32_t first_row, int32_t rows, int32_t out_w, const int32_t *start, const int32_t *count,
                     const int32_t *k, int32_t ksize, uint8_t *mid) {
  const v128_t bias = wasm_i32x4_splat(BIAS);
  uint8_t *o = mid;
  for (int32_t y = 0; y < rows; y++) {
    const uint8_t *row = src + base + (first_row + y) * step_y;
    for (int32_t xx = 0; xx < out_w; xx++) {
      const uint8_t *s = row + start[xx] * step_x;
      const int32_t *w = k + xx * ksize;
      const int32_t n = count[xx];
      if (samples == 3) {
        v128_t acc = bias;
        for (int32_t x = 0; x < n; x++, s += step_x) {
          v128_t px = wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(s)));
          acc = wasm_i32x4_add(acc, wasm_i32x4_mul(px, wasm_i32x4_splat(w[x])));
        }
        wasm_v128_store32_lane(o, clip8x4(acc), 0);
        o += 3;
      } else {
        int32_t ss = BIAS;
        for (int32_t x = 0; x < n; x++, s += step_x) ss += (int32_t)*s * w[x];
        *o++ = clip8(ss);
      }
    }
  }
}

/*
 * Horizontal pass of an image whose upright rows run down the stored columns (orientations 5–8): output
 * column xx adds count[xx] stored rows, each a contiguous run of `rows` pixels of `pixel` bytes, into
 * `line` (every byte of each pixel), then scatters the first `samples` bytes of each pixel into column
 * xx of `mid` — in upright order, which runs backwards along the stored row when step_y < 0.
 */
void horizontal_columns(const uint8_t *src, int32_t base, int32_t step_x, int32_t step_y, int32_t pixel,
                        int32_t samples, int32_t first_row, int32_t rows, int32_t out_w, const int32_t *start,
                        const int32_t *count, const int32_t *k, int32_t ksize, uint8_t *line, uint8_t *mid) {
  const int32_t len = rows * pixel;
  const int32_t row_out = out_w * samples;
  for (int32_t xx = 0; xx < out_w; xx++) {
    /* Upright pixel (start + x, first_row + y) is stored at base + (start + x)·step_x + (first_row + y)·step_y. */
    const uint8_t *first = src + base + start[xx] * step_x + first_row * step_y;
    const uint8_t *lowest = step_y > 0 ? first : first + (rows - 1) * step_y;
    weighted_lines(lowest, step_x, count[xx], k + xx * ksize, len, line);
    uint8_t *o = mid + xx * samples;
    for (int32_t y = 0; y < rows; y++, o += row_out) {
      const uint8_t *p = line + (step_y > 0 ? y : rows - 1 - y) * pixel;
      for (int32_t c = 0; c < samples; c++) o[c] = p[c];
    }
  }
}

/* The upright rows first_row … first_row + rows as they are (a pass whose size does not change). */
void copy_rows(const uint8_t *src, int32_t base, int32_t step_x, int32_t step_y, int32_t samples, int32_t width,
               int32_t first_row, int32_t rows, uint8_t *mid) {
  uint8_t *o = mid;
  for (int32_t y = 0; y < rows; y++) {
    const uint8_t *p = src + base + (first_row + y) * step_y;
    for (int32_t x = 0; x < width; x++, p += step_x) {
      for (int32_t c = 0; c < samples; c++) *o++ = p[c];
    }
  }
}

/*
 * TF.js resizeBilinear(alignCorners = true) of normalised samples (../fused-align-corners.ts): each output
 * sample interpolates the table values of its four source samples in double precision, in TF.js' order,
 * and is stored as float32. Row and column positions come computed from JavaScript (the same arithmetic
 * as the TypeScript version); built with -ffp-contract=off so no multiply-add is fused.
 */
void align_corners(const uint8_t *src, int32_t out_w, int32_t out_h, int32_t channels, const int32_t *rows_top,
                   const int32_t *rows_bottom, const double *rows_frac, const int32_t *left, const int32_t *right,
                   const double *frac, const int32_t *offsets, const double *lut, float *out) {
  for (int32_t y = 0; y < out_h; y++) {
    const uint8_t *top = src + rows_top[y];
    const uint8_t *bottom = src + rows_bottom[y];
    const double rf = rows_frac[y];
    for (int32_t x = 0; x < out_w; x++) {
      const int32_t l = left[x], r = right[x];
      const double cf = frac[x];
      for (int32_t k = 0; k < channels; k++) {
        const double *v = lut + k * 256;
        const int32_t s = offsets[k];
        const double a = v[top[l + s]], b = v[top[r + s]], c = v[bottom[l + s]], d = v[bottom[r + s]];
        const double t = a + (b - a) * cf;
        const double u = c + (d - c) * cf;
        *out++ = (float)(t + (u - t) * rf);
      }
    }
  }
}

/*
 * Normalisation of resized 8-bit samples by table lookup (../preprocess.ts: lookUp): output channel k of
 * pixel i is lut[k·256 + samples[i·per_pixel + offsets[k]]], a float32 copied from the table, so exact.
 */
void look_up(const uint8_t *samples, int32_t pixels, int32_t per_pixel, int32_t channels, const int32_t *offsets,
             const float *lut, float *out) {
  if (channels == 1) {
    for (int32_t i = 0; i < pixels; i++) out[i] = lut[samples[i * per_pixel]];
    return;
  }
  const int32_t a = offsets[0], b = offsets[1], c = offsets[2];
  for (int32_t i = 0; i < pixels; i++, samples += per_pixel, out += 3) {
    out[0] = lut[samples[a]];
    out[1] = lut[256 + samples[b]];
    out[2] = lut[512 + samples[c]];
  }
}
