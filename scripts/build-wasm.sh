#!/usr/bin/env bash
# Builds src/core/image/wasm/resample.wasm, netlens' image kernels, from resample.c (the resize kernels)
# and png-unfilter.c (the Node decoder's PNG reconstruction) with Debian's clang + lld (wasm32, SIMD128,
# no libc). The .wasm is committed (5 KB); test/wasm-build.test.ts rebuilds it and compares the bytes.
# Usage: bash scripts/build-wasm.sh [OUT]   (default: the committed file)
set -euo pipefail
cd "$(dirname "$0")/.."
src=(src/core/image/wasm/resample.c src/core/image/wasm/png-unfilter.c)
out=${1:-src/core/image/wasm/resample.wasm}
exports=(vertical horizontal_rows horizontal_columns copy_rows align_corners look_up png_unfilter __heap_base)
clang --target=wasm32 -O3 -msimd128 -ffp-contract=off -nostdlib -fno-builtin -ffile-prefix-map="$PWD"=. \
  -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--strip-all "${exports[@]/#/-Wl,--export=}" \
  -o "$out" "${src[@]}"
