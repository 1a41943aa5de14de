#!/usr/bin/python3
"""Golden arrays for src/core/image from Debian's Pillow and numpy (what Keras' load_img uses).

Usage: /usr/bin/python3 scripts/golden/pil_reference.py IMAGE OUTDIR [IMAGE OUTDIR ...]

For each image writes OUTDIR/<case>.bin (raw C-order arrays) and OUTDIR/index.json describing them:
  source            PIL's decoded pixels, convert('RGB')
  source-L          convert('L')
  <method>-<W>x<H>  convert('RGB').resize((W, H), NEAREST|BILINEAR|BOX), uint8
  L-<method>-<W>x<H> convert('L').resize(...), uint8
  F-<method>-<W>x<H> convert('F') (float32 luma) .resize(...): Pillow's 32-bit float resampling
  source-RGBA, source-LA, RGBA-/LA-<method>-224x224  with a synthetic alpha, resized as Pillow does
  keras-<mode>-<method>-<W>x<H>  Keras load_img(target_size, interpolation) -> img_to_array ->
                    preprocess_input(mode) in numpy float32 (imagenet_utils._preprocess_numpy_input)
  keras-grayscale-tf-<method>-224x224  the same with color_mode='grayscale' (PIL 'L'), mode 'tf'
Exits non-zero (and the tests fail) when Pillow or numpy is missing.
"""
import json
import os
import sys

import numpy as np
from PIL import Image

FILTERS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "area": Image.BOX}
SIZES = [(224, 224), (299, 299)]
# Upscales and mixed (shrink one axis, enlarge the other) cases.
EXTRA_SIZES = [(640, 520), (150, 600), (1, 1), (37, 5)]
KERAS_MODES = ["caffe", "tf", "torch"]


def load_img(path, color_mode, size, interpolation):
    """keras.preprocessing.image.load_img (keras-preprocessing 1.1), minus the file handling."""
    img = Image.open(path)
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if img.size != size:
        img = img.resize(size, FILTERS[interpolation])
    return img


def preprocess_input(x, mode):
    """keras_applications.imagenet_utils._preprocess_numpy_input, channels_last, float32 input."""
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean = [0.485, 0.456, 0.406]
        std = [0.229, 0.224, 0.225]
    else:
        x = x[..., ::-1]
        mean = [103.939, 116.779, 123.68]
        std = None
    x[..., 0] -= mean[0]
    x[..., 1] -= mean[1]
    x[..., 2] -= mean[2]
    if std is not None:
        x[..., 0] /= std[0]
        x[..., 1] /= std[1]
        x[..., 2] /= std[2]
    return x


def write(outdir, index, case, array):
    array = np.ascontiguousarray(array)
    channels = 1 if array.ndim == 2 else array.shape[2]
    with open(os.path.join(outdir, case + ".bin"), "wb") as f:
        f.write(array.tobytes())
    index.append(
        {
            "case": case,
            "width": int(array.shape[1]),
            "height": int(array.shape[0]),
            "channels": int(channels),
            "dtype": str(array.dtype),
        }
    )


def golden(path, outdir):
    os.makedirs(outdir, exist_ok=True)
    index = []
    rgb = Image.open(path).convert("RGB")
    grey = Image.open(path).convert("L")
    floats = rgb.convert("F")
    write(outdir, index, "source", np.asarray(rgb))
    write(outdir, index, "source-L", np.asarray(grey))
    write(outdir, index, "source-F", np.asarray(floats))
    for method, flt in FILTERS.items():
        # Plus one axis unchanged each way (Pillow skips that pass).
        for w, h in SIZES + EXTRA_SIZES + [(rgb.width, 224), (224, rgb.height)]:
            write(outdir, index, f"{method}-{w}x{h}", np.asarray(rgb.resize((w, h), flt)))
        for w, h in SIZES:
            write(outdir, index, f"L-{method}-{w}x{h}", np.asarray(grey.resize((w, h), flt)))
        write(outdir, index, f"F-{method}-224x224", np.asarray(floats.resize((224, 224), flt)))
    # Alpha: the photo with a synthetic alpha covering 0..255 (Pillow resizes RGBA/LA premultiplied).
    h, w = rgb.height, rgb.width
    alpha = Image.fromarray((np.add.outer(np.arange(h) * 3, np.arange(w) * 7) % 256).astype(np.uint8), "L")
    rgba = rgb.copy()
    rgba.putalpha(alpha)
    la = grey.convert("LA")
    la.putalpha(alpha)
    write(outdir, index, "source-RGBA", np.asarray(rgba))
    write(outdir, index, "source-LA", np.asarray(la))
    for method, flt in FILTERS.items():
        write(outdir, index, f"RGBA-{method}-224x224", np.asarray(rgba.resize((224, 224), flt)))
        write(outdir, index, f"LA-{method}-224x224", np.asarray(la.resize((224, 224), flt)))
    for mode in KERAS_MODES:
        for method in ("nearest", "bilinear"):
            img = load_img(path, "rgb", (224, 224), method)
            x = preprocess_input(np.asarray(img, dtype="float32").copy(), mode)
            write(outdir, index, f"keras-{mode}-{method}-224x224", x.astype(np.float32))
    for method in ("nearest", "bilinear"):
        img = load_img(path, "grayscale", (224, 224), method)
        x = preprocess_input(np.asarray(img, dtype="float32")[..., np.newaxis].copy(), "tf")
        write(outdir, index, f"keras-grayscale-tf-{method}-224x224", x.astype(np.float32))
    # Write the index last: its presence marks a complete cache entry.
    with open(os.path.join(outdir, "index.json"), "w") as f:
        json.dump({"pillow": Image.__version__, "numpy": np.__version__, "cases": index}, f)


def main(argv):
    if len(argv) < 2 or len(argv) % 2:
        sys.exit("usage: pil_reference.py IMAGE OUTDIR [IMAGE OUTDIR ...]")
    for i in range(0, len(argv), 2):
        golden(argv[i], argv[i + 1])


if __name__ == "__main__":
    main(sys.argv[1:])
