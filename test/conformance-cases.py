"""Generates the decoder edge cases for the conformance test (run with Debian's /usr/bin/python3 + PIL).

usage: /usr/bin/python3 test/conformance-cases.py SOURCE_PHOTOS_DIR OUT_DIR

Every case is derived from the shared photos so the set is reproducible. The Adobe RGB cases embed
the free 'compatibleWithAdobeRGB1998.icc' profile (Debian icc-profiles-free, 580 bytes, inlined here)
without converting the pixels: a decoder that applies the profile returns different RGB than one that
ignores it, which is exactly what the conformance test must detect.
"""
import base64
import io
import os
import sys

from PIL import Image

ADOBE_RGB_ICC = base64.b64decode("AAACRGFyZ2wCIAAAbW50clJHQiBYWVogB9YABwAIAAMAHAAvYWNzcE1TRlQAAAAAbm9uZQAAAAAAAAAAAAAAAAAAAAAAAPbWAAEAAAAA0y1hcmdsAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAKZGVzYwAAAPwAAAB7Y3BydAAAAXgAAAA1d3RwdAAAAbAAAAAUYmtwdAAAAcQAAAAUclhZWgAAAdgAAAAUZ1hZWgAAAewAAAAUYlhZWgAAAgAAAAAUclRSQwAAAhQAAAAOZ1RSQwAAAiQAAAAOYlRSQwAAAjQAAAAOZGVzYwAAAAAAAAAhQ29tcGF0aWJsZSB3aXRoIEFkb2JlIFJHQiAoMTk5OCkAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAHRleHQAAAAAUHVibGljIERvbWFpbi4gTm8gV2FycmFudHksIFVzZSBhdCBvd24gcmlzay4AAAAAWFlaIAAAAAAAAPNRAAEAAAABFsxYWVogAAAAAAAAAAAAAAAAAAAAAFhZWiAAAAAAAACcGAAAT6UAAAT8WFlaIAAAAAAAADSNAACgLAAAD5VYWVogAAAAAAAAJjEAABAvAAC+nGN1cnYAAAAAAAAAAQIzAABjdXJ2AAAAAAAAAAECMwAAY3VydgAAAAAAAAABAjMAAA==")


def main(src: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    dog = Image.open(os.path.join(src, "jemma.png")).convert("RGB")
    ball = Image.open(os.path.join(src, "soccer_ball.jpg")).convert("RGB")
    car = Image.open(os.path.join(src, "bmw.png")).convert("RGB")

    def save(name: str, image: Image.Image, **kwargs) -> None:
        image.save(os.path.join(out, name), **kwargs)

    save("case-gray.jpg", dog.convert("L"), quality=90)
    save("case-gray.png", dog.convert("L"))
    gray_alpha = dog.convert("L")
    gray_alpha.putalpha(Image.linear_gradient("L").resize(dog.size))
    save("case-gray-alpha.png", gray_alpha)
    rgba = car.copy()
    rgba.putalpha(Image.linear_gradient("L").rotate(90).resize(car.size))
    save("case-alpha.png", rgba)
    save("case-palette.png", car.quantize(colors=200))
    palette_trns = ball.quantize(colors=64)
    save("case-palette-trns.png", palette_trns, transparency=0)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 CW to display
    save("case-exif-rot6.jpg", dog.transpose(Image.Transpose.ROTATE_90), quality=92, exif=exif.tobytes())
    exif[0x0112] = 3
    save("case-exif-rot3.jpg", ball.transpose(Image.Transpose.ROTATE_180), quality=92, exif=exif.tobytes())
    save("case-progressive.jpg", ball, quality=85, progressive=True)
    save("case-444.jpg", car, quality=95, subsampling=0)
    save("case-lossy.webp", dog, quality=80)
    save("case-lossless.webp", car, lossless=True)
    save("case-alpha.webp", rgba, quality=85)
    save("case-adobergb.jpg", ball, quality=92, icc_profile=ADOBE_RGB_ICC)
    save("case-adobergb.png", car, icc_profile=ADOBE_RGB_ICC)
    # 16-bit grey PNG: decoders must reduce to 8 bits the same way.
    wide = Image.linear_gradient("L").resize((300, 200)).convert("I")
    save("case-gray16.png", wide.point(lambda v: v * 257))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
