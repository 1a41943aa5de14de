#!/usr/bin/env bash
# Debian packages the tests need (run as root once per machine; CI's .ci/run calls it).
#   python3-pil, python3-numpy: Pillow golden references (Keras' load_img uses Pillow)
#   python3-h5py: Keras-layout HDF5 test files
#   chromium: browser tests (driven by playwright-core) and its SwiftShader Vulkan driver for the WebGPU test
#   libvulkan1: the Vulkan loader; fonts-dejavu-core: the font for annotated images
#   clang, lld: build src/core/image/wasm/resample.wasm (wasm32 + SIMD128; test/wasm-build.test.ts checks it)
#   redis-server: the shared job queue of the scale-out tests (NETLENS_QUEUE=redis://…; .ci/run starts it)
#   dataset-fashion-mnist: the transfer-learning test's data (idx files in /usr/share/datasets/fashion-mnist)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  python3-pil python3-numpy python3-h5py chromium libvulkan1 fonts-dejavu-core util-linux clang lld redis-server \
  dataset-fashion-mnist >/dev/null
