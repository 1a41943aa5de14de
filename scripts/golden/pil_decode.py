#!/usr/bin/python3
"""What Pillow makes of an image file, for the EXIF and colour-mode tests of src/core/image.

Usage: /usr/bin/python3 scripts/golden/pil_decode.py IMAGE OUTDIR [IMAGE OUTDIR ...]

Writes OUTDIR/{rgb,L,upright}.bin (uint8, C order) and OUTDIR/index.json with the file's mode, size,
EXIF orientation (Image.getexif()[0x0112], null when absent) and the arrays:
  rgb      Image.open(f).convert('RGB')
  L        Image.open(f).convert('L')
  upright  ImageOps.exif_transpose(Image.open(f)).convert('RGB'); for TIFF, Image.open(f).convert('RGB')
           (Pillow 9.4 orients TIFFs while loading; 'rgb' is then already upright)
"""
import json
import os
import sys

import numpy as np
from PIL import Image, ImageOps


def decode(path, outdir):
    os.makedirs(outdir, exist_ok=True)
    im = Image.open(path)
    arrays = {
        "rgb": np.asarray(Image.open(path).convert("RGB")),
        "L": np.asarray(Image.open(path).convert("L")),
        "upright": np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB")),
    }
    if im.format == "TIFF":
        # Pillow 9.4 applies a TIFF's orientation while loading it (what Keras' load_img sees), and its
        # exif_transpose would rotate a second time: the loaded pixels are the upright image.
        arrays["upright"] = arrays["rgb"]
    cases = []
    for name, a in arrays.items():
        with open(os.path.join(outdir, name + ".bin"), "wb") as f:
            f.write(np.ascontiguousarray(a).tobytes())
        cases.append(
            {
                "case": name,
                "width": int(a.shape[1]),
                "height": int(a.shape[0]),
                "channels": 1 if a.ndim == 2 else int(a.shape[2]),
                "dtype": str(a.dtype),
            }
        )
    info = {
        "mode": im.mode,
        "width": im.size[0],
        "height": im.size[1],
        "orientation": im.getexif().get(0x0112),
        "pillow": Image.__version__,
        "cases": cases,
    }
    with open(os.path.join(outdir, "index.json"), "w") as f:
        json.dump(info, f)


def main(argv):
    if len(argv) < 2 or len(argv) % 2:
        sys.exit("usage: pil_decode.py IMAGE OUTDIR [IMAGE OUTDIR ...]")
    for i in range(0, len(argv), 2):
        decode(argv[i], argv[i + 1])


if __name__ == "__main__":
    main(sys.argv[1:])
