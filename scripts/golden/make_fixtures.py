#!/usr/bin/python3
"""Writes the small committed image fixtures in test/fixtures/image (run once; commit the output).

Usage: /usr/bin/python3 scripts/golden/make_fixtures.py [OUTDIR]

- exif-<n>.jpg, n = 1..8: a 24x16 asymmetric pattern with EXIF orientation n (4:4:4, quality 95);
  (Pillow writes big-endian "MM" EXIF); exif-none.jpg without EXIF; exif-3-intel.jpg with a
  little-endian ("II") TIFF header;
  exif-6.png with an eXIf chunk; exif-8.webp (lossless) with an EXIF chunk;
  exif-5-trailing.png (eXIf after IDAT), exif-7-rawprofile.png (zTXt "Raw profile type exif"),
  exif-6-xmp.png (iTXt XMP tiff:Orientation, no EXIF); exif-6.tiff (Orientation in the TIFF's own IFD0); xmp-6.jpg (XMP orientation in JPEG: Pillow 9.4
  ignores it).
- rgba.png, la.png, l.png, palette-trns.png (P with a transparent index), gray.jpg: colour-mode cases.
Expected pixels are NOT stored: tests compute them with Pillow from these files (pil_decode.py).
"""
import os
import struct
import sys
import zlib

from PIL import Image, PngImagePlugin

W, H = 24, 16


def pattern():
    """Asymmetric: red block top-left, green bar along the top edge, blue column right, gradient elsewhere."""
    img = Image.new("RGB", (W, H))
    px = img.load()
    for y in range(H):
        for x in range(W):
            px[x, y] = (x * 10 % 256, y * 15 % 256, (x + y) * 5 % 256)
    for y in range(5):
        for x in range(7):
            px[x, y] = (250, 20, 20)
    for x in range(7, W):
        px[x, 0] = (20, 240, 20)
    for y in range(H):
        px[W - 2, y] = (20, 20, 250)
    return img


def exif_bytes(orientation, little_endian=False):
    """A minimal TIFF with one IFD0 entry: Orientation (0x0112, SHORT, 1).

    Pillow's Exif.tobytes() writes big-endian ("MM"); the little-endian ("II") variant is built by hand.
    """
    if little_endian:
        return b"Exif\x00\x00" + b"II" + struct.pack("<HI", 42, 8) + struct.pack(
            "<HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0
        )
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="%d"/></rdf:RDF></x:xmpmeta>'
)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_trailing_exif_png(img, path, exif):
    """A PNG whose eXIf chunk comes after the image data (Pillow still reads it when it loads the file)."""
    img.save(path)
    with open(path, "rb") as f:
        data = f.read()
    iend = data.rindex(b"IEND") - 4
    data = data[:iend] + png_chunk(b"eXIf", exif[6:]) + data[iend:]
    with open(path, "wb") as f:
        f.write(data)


def write_xmp_jpeg(img, path, xmp, options):
    """A JPEG with only an XMP APP1 segment (no EXIF)."""
    img.save(path, **options)
    with open(path, "rb") as f:
        data = f.read()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode()
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    with open(path, "wb") as f:
        f.write(data[:2] + segment + data[2:])


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    img = pattern()
    jpeg = dict(quality=95, subsampling=0)
    for n in range(1, 9):
        img.save(os.path.join(outdir, f"exif-{n}.jpg"), exif=exif_bytes(n), **jpeg)
    img.save(os.path.join(outdir, "exif-none.jpg"), **jpeg)
    img.save(os.path.join(outdir, "exif-3-intel.jpg"), exif=exif_bytes(3, little_endian=True), **jpeg)
    img.save(os.path.join(outdir, "exif-6.png"), exif=exif_bytes(6))
    img.save(os.path.join(outdir, "exif-8.webp"), exif=exif_bytes(8), lossless=True)

    img.save(os.path.join(outdir, "exif-6.tiff"), tiffinfo={0x0112: 6}, compression="tiff_deflate")
    write_trailing_exif_png(img, os.path.join(outdir, "exif-5-trailing.png"), exif_bytes(5))
    raw = PngImagePlugin.PngInfo()
    hexed = exif_bytes(7).hex()
    lines = "\n".join(hexed[i : i + 72] for i in range(0, len(hexed), 72))
    raw.add_text("Raw profile type exif", f"\nexif\n{len(exif_bytes(7)):8d}\n{lines}\n", zip=True)
    img.save(os.path.join(outdir, "exif-7-rawprofile.png"), pnginfo=raw)
    xmp = PngImagePlugin.PngInfo()
    xmp.add_itxt("XML:com.adobe.xmp", XMP % 6)
    img.save(os.path.join(outdir, "exif-6-xmp.png"), pnginfo=xmp)
    write_xmp_jpeg(img, os.path.join(outdir, "xmp-6.jpg"), XMP % 6, jpeg)

    rgba = img.convert("RGBA")
    alpha = Image.linear_gradient("L").resize((W, H))
    rgba.putalpha(alpha)
    rgba.save(os.path.join(outdir, "rgba.png"))
    la = img.convert("L").convert("LA")
    la.putalpha(alpha)
    la.save(os.path.join(outdir, "la.png"))
    img.convert("L").save(os.path.join(outdir, "l.png"))
    img.convert("L").save(os.path.join(outdir, "gray.jpg"), quality=95)
    palette = img.convert("P", palette=Image.ADAPTIVE, colors=16)
    palette.save(os.path.join(outdir, "palette-trns.png"), transparency=3)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "image"))
