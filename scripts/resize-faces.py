#!/usr/bin/env python3
# Pre-resizes UTKFace crops to 64x64 (Lanczos, JPEG quality 90) so the set fits the GPU
# machine's 64 MiB transfer limit; the shipped faces model was trained on this copy.
# Usage: python3 scripts/resize-faces.py SRC_DIR DST_DIR   (needs Pillow)
import os, sys
from PIL import Image
from concurrent.futures import ProcessPoolExecutor
src = sys.argv[1]; dst = sys.argv[2]
def one(n):
    im = Image.open(os.path.join(src, n)).convert("RGB")
    im.resize((64, 64), Image.LANCZOS).save(os.path.join(dst, n), quality=90)
names = sorted(os.listdir(src))
with ProcessPoolExecutor(2) as ex: list(ex.map(one, names, chunksize=200))
print(len(names))
