#!/usr/bin/python3
"""What a user writes today to prepare a J6 pyramid model's inputs: decode, the float model's
resize and crop, the transformer's NV12 formula, np.save. The baseline of tests/bench's
end-to-end scenario (`hbprep prepare` on the same files) and, through prepare(), of
python_api_bench.py (hbprep.Model.prepare in the same process).

Usage: user_script.py OUT_DIR IMAGE...
"""
import os
import sys

import cv2
import numpy as np


def prepare(img):
    """The script's work on one decoded BGR image: the (1, 224, 224, 1) Y and (1, 112, 112, 2)
    UV planes."""
    h, w = img.shape[:2]
    if h < w:
        img = cv2.resize(img, (int(256 * (w / h)), 256), interpolation=cv2.INTER_LINEAR)
    else:
        img = cv2.resize(img, (256, int(256 * (h / w))), interpolation=cv2.INTER_LINEAR)
    h, w = img.shape[:2]
    img = img[h // 2 - 112:h // 2 + 112, w // 2 - 112:w // 2 + 112]
    b, g, r = [img[..., i].astype(np.float64) for i in range(3)]
    y = (0.299 * r + 0.587 * g + 0.114 * b).astype(np.uint8)
    u = (-0.169 * r - 0.331 * g + 0.5 * b + 128).astype(np.uint8)[::2, ::2]
    v = (0.5 * r - 0.419 * g - 0.081 * b + 128).astype(np.uint8)[::2, ::2]
    return y[None, :, :, None], np.stack([u, v], -1)[None]


if __name__ == "__main__":
    out = sys.argv[1]
    for index, path in enumerate(sys.argv[2:]):
        y, uv = prepare(cv2.imread(path))
        folder = os.path.join(out, str(index))
        os.makedirs(folder, exist_ok=True)
        np.save(os.path.join(folder, "images_y.npy"), y)
        np.save(os.path.join(folder, "images_uv.npy"), uv)
