#!/usr/bin/python3
"""Makes tests/fixtures/pillow-resize/cases.json: Pillow's own BILINEAR resize of generated
8-bit images, for the bit-exact test of SegSam.Imaging.PillowBilinearResize.

Usage: scripts/make_pillow_resize_fixture.py [OUT_JSON]

Run with Debian 12's python3-pil (Pillow 9.4.0, the Pillow that python3-torchvision 0.14 uses):
    apt-get install -y python3-pil python3-numpy
    /usr/bin/python3 scripts/make_pillow_resize_fixture.py

Each image is Image.fromarray(H×W×3 uint8) ("RGB") or of an H×W array ("L"), resized with
img.resize((out_w, out_h), Image.BILINEAR): the call torchvision's resize makes on a PIL image
(torchvision/transforms/functional_pil.py: img.resize(tuple(size[::-1]), interpolation)), with
Pillow's defaults box=None (the whole image) and reducing_gap=None.

Inputs are not stored: every byte comes from a small integer hash of (seed, index) that the C#
test recomputes (it checks input_sha256 first, so a drift in the generator fails loudly).
Pattern "noise": the low byte of murmur3's 32-bit finaliser of (index + seed · 0x9E3779B9) mod 2³²;
pattern "binary": 0 or 255 by the lowest bit of the same hash. Every case stores the SHA-256 of
Pillow's output bytes (H×W×C, channels last); small outputs are also stored whole (base64) so a
failing test can say where it differs.
"""
import base64
import hashlib
import json
import random
import sys

import numpy as np
import PIL
from PIL import Image

MASK32 = 0xFFFFFFFF
STORE_WHOLE_UP_TO = 768  # bytes


def hash_bytes(seed, n):
    x = ((np.arange(n, dtype=np.uint64) + (seed * 0x9E3779B9)) & MASK32).astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x85EBCA6B)
    x ^= x >> np.uint32(13)
    x *= np.uint32(0xC2B2AE35)
    x ^= x >> np.uint32(16)
    return x


def make_input(pattern, seed, h, w, c):
    x = hash_bytes(seed, h * w * c)
    if pattern == "noise":
        v = (x & np.uint32(0xFF)).astype(np.uint8)
    elif pattern == "binary":
        v = ((x & np.uint32(1)) * np.uint32(255)).astype(np.uint8)
    else:
        raise ValueError(pattern)
    return v.reshape((h, w, c) if c == 3 else (h, w))


def longest_side(h, w, long_side):
    # segment_anything/utils/transforms.py ResizeLongestSide.get_preprocess_shape
    scale = long_side * 1.0 / max(h, w)
    return int(h * scale + 0.5), int(w * scale + 0.5)


def cases():
    rng = random.Random(20240613)
    out = []
    # Random small sizes, up- and downscaling on each axis independently, RGB and gray.
    for i in range(160):
        h, w = rng.randint(1, 40), rng.randint(1, 40)
        oh, ow = rng.randint(1, 80), rng.randint(1, 80)
        c = 3 if i % 4 else 1
        out.append(("noise", i + 1, h, w, c, oh, ow))
    # Edges: single pixels and lines, one axis unchanged (its pass skipped), identity, heavy
    # reduction, and the 0/255 pattern that sums whole weights.
    edges = [(1, 1, 1, 1), (1, 1, 7, 5), (1, 9, 4, 1), (9, 1, 1, 4), (2, 2, 1, 1), (5, 5, 5, 9),
             (5, 5, 9, 5), (3, 4, 3, 4), (300, 5, 2, 1), (7, 256, 3, 2), (1, 200, 1, 1024),
             (17, 13, 34, 26), (64, 64, 16, 16), (10, 10, 3, 3)]
    for j, (h, w, oh, ow) in enumerate(edges):
        out.append(("noise", 1000 + j, h, w, 3, oh, ow))
        out.append(("binary", 2000 + j, h, w, 1, oh, ow))
    # Sizes SAM meets: longest side to 1024 or to the tiny 64 encoder, up and down.
    for j, (h, w, long_side) in enumerate([(181, 217, 1024), (45, 71, 64), (80, 60, 64), (157, 101, 64),
                                           (2000, 1500, 1024), (600, 1100, 1024), (512, 512, 1024),
                                           (1024, 700, 1024)]):
        oh, ow = longest_side(h, w, long_side)
        out.append(("noise", 3000 + j, h, w, 3, oh, ow))
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/pillow-resize/cases.json"
    records = []
    for pattern, seed, h, w, c, oh, ow in cases():
        pixels = make_input(pattern, seed, h, w, c)
        resized = np.asarray(Image.fromarray(pixels).resize((ow, oh), Image.BILINEAR))
        assert resized.shape == ((oh, ow, 3) if c == 3 else (oh, ow)), resized.shape
        data = np.ascontiguousarray(resized).tobytes()
        record = dict(pattern=pattern, seed=seed, height=h, width=w, channels=c, out_height=oh, out_width=ow,
                      input_sha256=hashlib.sha256(pixels.tobytes()).hexdigest(),
                      output_sha256=hashlib.sha256(data).hexdigest())
        if len(data) <= STORE_WHOLE_UP_TO:
            record["output"] = base64.b64encode(data).decode()
        records.append(record)
    with open(path, "w") as f:  # one case a line
        f.write(f'{{"pillow": "{PIL.__version__}", "numpy": "{np.__version__}", "cases": [\n')
        f.write(",\n".join(json.dumps(r) for r in records))
        f.write("\n]}\n")
    print(f"{path}: {len(records)} cases, Pillow {PIL.__version__}")


if __name__ == "__main__":
    main()
