#!/usr/bin/python3
"""Holds hbprep's ResizeTransformer(mode='skimage') kernel (adapters/steps/skimage_resize.h)
against scikit-image and NumPy themselves, bit for bit.

usage: check_skimage_resize.py PATH/TO/hbprep_kernel_probe TMPDIR

The reference is Horizon's ResizeTransformer.skimage_resize as the toolchain runs it:
NumPy's min/max and arithmetic on the image's own dtype around
skimage.transform.resize(im_std, target_size, order=method), then astype(np.float32).
Each case goes through the probe's `skimage_resize` row and must give the same float32 bits
as that reference: random sizes from 1 to 40 both ways (shrinking, enlarging, integer and
non-integer ratios, single pixels, rows and columns, constant images), orders 0 to 3,
uint8 images, float32 images in [0, 1] (img_as_float(uint8).astype(float32), what a
skimage read gives) and non-integer float32 in [0, 255], 1 and 3 channels; scikit-image's
own photos shrunk to 224x224 and 300x300 and enlarged; a 1920x1080 frame to 224x224;
images with large exact-zero regions enlarged by non-integer factors (orders 2 and 3: the
spline leaves ~1e-15 residues there, whose bits show any change in the order of the
float64 sums); EfficientNet-lite0's pipeline (PaddedCenterCrop 224, crop_pad 32, order 3)
on retina.jpg and color.png. Colour cases marked "stored BGR" go through the
`skimage_resize_reversed` row as the pipeline stores a skimage or pil read (the
transformer's RGB array with its channels reversed) and come back reversed: they must give
the RGB array's bits too (orders 2 and 3 run along the channel axis in the array's order).
Bad arguments must be refused with a message naming them. Needs Debian's python3-numpy,
python3-skimage (and its SciPy), python3-opencv and python3-imageio.
"""

import os
import shlex
import subprocess
import sys
import time

import cv2
import imageio
import numpy as np
import skimage
from skimage.transform import resize as sk_resize

DATA = os.path.join(os.path.dirname(skimage.__file__), "data")


def transformer(image, height, width, order):
    """ResizeTransformer((height, width), mode='skimage', method=order) on H x W x C."""
    im_min, im_max = image.min(), image.max()
    if im_max > im_min:
        im_std = (image - im_min) / (im_max - im_min)
        resized_std = sk_resize(im_std, (height, width), order=order)
        resized = resized_std * (im_max - im_min) + im_min
    else:
        constant = np.empty((height, width, image.shape[-1]), dtype=np.float32)
        constant.fill(im_min)
        return constant
    return resized.astype(np.float32)


class Probe:
    """The probe's skimage_resize row, one case per call or many."""

    def __init__(self, path, tmp):
        self.path = path
        self.tmp = tmp

    def run(self, image, height, width, order):
        """(returncode, stderr, result or None) for one case."""
        code, err, results = self.run_many([(image, height, width, order)])
        return code, err, results[0] if results else None

    def run_many(self, batch, row="skimage_resize"):
        """(returncode, stderr, results or None) for [(image, height, width, order)] through
        the probe's `row` (skimage_resize or skimage_resize_reversed)."""
        files = []
        arguments = []
        for index, (image, height, width, order) in enumerate(batch):
            source = os.path.join(self.tmp, f"case{index}_in.npy")
            result = os.path.join(self.tmp, f"case{index}_out.npy")
            np.save(source, image)
            if os.path.exists(result):
                os.remove(result)
            files.append(result)
            arguments += [source, result, str(height), str(width), str(order)]
        # The first case takes the probe's IN and OUT; the others follow the arguments.
        # A cross-build's CTest sets HBPREP_EMULATOR: the probe runs under it.
        command = [*shlex.split(os.environ.get("HBPREP_EMULATOR", "")), self.path, row,
                   arguments[0], arguments[1]] + arguments[2:]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            return done.returncode, done.stderr, None
        return 0, done.stderr, [np.load(file) for file in files]


def image_of(kind, shape, rng):
    """A test image: 'u8', 'f01' (a skimage read as float32) or 'f255' (non-integer)."""
    if kind == "u8":
        return rng.integers(0, 256, shape, dtype=np.uint8)
    if kind == "f01":
        return skimage.img_as_float(rng.integers(0, 256, shape, dtype=np.uint8)).astype(
            np.float32)
    return (rng.random(shape) * 255).astype(np.float32)


def as_kind(photo, kind):
    if kind == "u8":
        return photo
    if kind == "f01":
        return skimage.img_as_float(photo).astype(np.float32)
    return photo.astype(np.float32) * np.float32(0.9) + np.float32(0.37)


def padded_center_crop(image, image_size, crop_pad=32):
    """EfficientNet's PaddedCenterCrop as Horizon's transformer computes it."""
    h, w = image.shape[:2]
    side = int((float(image_size) / (image_size + crop_pad)) * np.minimum(h, w))
    top, left = ((h - side) + 1) // 2, ((w - side) + 1) // 2
    return image[top:top + side, left:left + side, :].astype(np.float32)


def zero_regions(shape, kind, rng):
    """An image of `kind` whose left third and top half (and a random speckle) are exactly 0."""
    image = image_of(kind, shape, rng)
    H, W = shape[:2]
    image[:(H + 1) // 2] = 0
    image[:, :(W + 2) // 3] = 0
    image[rng.random(shape[:2]) < 0.1] = 0
    return image


def cases():
    """(name, image, height, width, order, reversed): `reversed`, the image goes to the probe
    with its channels reversed (the pipeline's BGR frame of an RGB read)."""
    for case in plain_cases():
        yield case + (False,)
        image = case[1]
        if image.shape[-1] == 3 and (case[4] >= 2 or case[0].startswith("random")):
            yield (case[0] + " stored BGR",) + case[1:] + (True,)


def plain_cases():
    """(name, image, height, width, order)."""
    rng = np.random.default_rng(20240611)
    kinds = ("u8", "f01", "f255")
    # Random sizes, every combination of order, kind and channel count in turn.
    for i in range(480):
        H, W, h, w = (int(v) for v in rng.integers(1, 41, 4))
        order, kind, C = i % 4, kinds[(i // 4) % 3], (1, 3)[(i // 12) % 2]
        yield (f"random {H}x{W}x{C} {kind} -> {h}x{w} order {order}",
               image_of(kind, (H, W, C), rng), h, w, order)
    # Chosen geometry: integer ratios down and up, halves, single pixels, rows and columns.
    shapes = [
        (40, 40, 20, 20), (40, 40, 10, 8), (39, 27, 13, 9), (36, 36, 12, 18), (12, 9, 36, 27),
        (10, 10, 40, 40), (7, 5, 14, 15), (40, 30, 39, 29), (31, 33, 32, 34), (25, 25, 25, 25),
        (1, 1, 1, 1), (1, 1, 7, 5), (1, 1, 40, 1), (1, 23, 1, 7), (1, 23, 5, 40), (23, 1, 7, 1),
        (23, 1, 40, 3), (40, 40, 1, 1), (40, 3, 1, 40), (2, 2, 3, 3), (2, 3, 1, 1), (3, 2, 40, 39),
        (37, 40, 1, 40), (40, 37, 40, 1),
    ]
    for H, W, h, w in shapes:
        for order in range(4):
            for C in (1, 3):
                for kind in kinds:
                    yield (f"shape {H}x{W}x{C} {kind} -> {h}x{w} order {order}",
                           image_of(kind, (H, W, C), rng), h, w, order)
    # Constant images, and images of just two values.
    for order in range(4):
        for C in (1, 3):
            yield (f"constant uint8 C={C} order {order}",
                   np.full((9, 11, C), 77, np.uint8), 5, 13, order)
            yield (f"constant float32 C={C} order {order}",
                   np.full((9, 11, C), 0.3, np.float32), 13, 5, order)
            two = np.zeros((10, 12, C), np.uint8)
            two[3:7, 2:9] = 255
            yield f"two values uint8 C={C} order {order}", two, 7, 23, order
            yield (f"two values float32 C={C} order {order}",
                   two.astype(np.float32) / np.float32(255), 23, 7, order)
    # scikit-image's photos.
    photos = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png",
              "camera.png"]
    for index, file in enumerate(photos):
        photo = imageio.imread(os.path.join(DATA, file))
        if photo.ndim == 2:
            photo = photo[:, :, np.newaxis]
        H, W = photo.shape[:2]
        targets = [(224, 224), (300, 300), (H * 3 // 2, W * 5 // 4)]
        # Order 1 (the transformer's default) everywhere; the others on two photos.
        orders = range(4) if index in (0, 5) else (1,)
        for h, w in targets:
            for order in orders:
                for kind in ("u8", "f01"):
                    if order == 3 and (h, w) == targets[2] and kind == "u8":
                        continue  # the slowest case for scikit-image; f01 covers it
                    yield (f"{file} {kind} -> {h}x{w} order {order}", as_kind(photo, kind),
                           h, w, order)
    # A camera frame, as the measurement in the report uses.
    frame = cv2.resize(imageio.imread(os.path.join(DATA, "coffee.png")), (1920, 1080),
                       interpolation=cv2.INTER_CUBIC)
    frame = skimage.img_as_float(frame).astype(np.float32)
    yield "coffee 1920x1080 f01 -> 224x224 order 1", frame, 224, 224, 1
    # Exact zeros enlarged by non-integer factors (close to 1 and not), orders 2 and 3.
    for i in range(48):
        H, W = (int(v) for v in rng.integers(8, 61, 2))
        fy, fx = rng.uniform(1.02, 1.6, 2)
        h, w = int(H * fy) + 1, int(W * fx) + 1
        kind, C = kinds[i % 3], (3, 1)[(i // 3) % 4 == 3]
        yield (f"zeros {H}x{W}x{C} {kind} -> {h}x{w} order {2 + i % 2}",
               zero_regions((H, W, C), kind, rng), h, w, 2 + i % 2)
    # EfficientNet-lite0's pipeline: read skimage, PaddedCenterCrop(224, crop_pad=32), order 3
    # (retina.jpg: 1411 -> 1234 -> 224 over a black surround; color.png: 370 -> 323 -> 224).
    for file in ("retina.jpg", "color.png"):
        photo = skimage.img_as_float(imageio.imread(os.path.join(DATA, file))).astype(
            np.float32)
        yield (f"{file} f01 PaddedCenterCrop 224 -> 224x224 order 3",
               padded_center_crop(photo[:, :, :3], 224), 224, 224, 3)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    os.makedirs(sys.argv[2], exist_ok=True)
    probe = Probe(sys.argv[1], sys.argv[2])
    failures = []
    count = 0
    started = time.monotonic()
    # Cases go to the probe in batches (its start-up would otherwise dominate), one per row:
    # plain cases and reversed ones apart.
    pending = {False: [], True: []}

    def flush(reversed_channels):
        batch = pending[reversed_channels]
        pending[reversed_channels] = []
        # A reversed case's image goes in with its channels reversed and comes back so.
        flip = (lambda a: np.ascontiguousarray(a[..., ::-1])) if reversed_channels else (
            lambda a: a)
        code, err, results = probe.run_many(
            [(flip(image), height, width, order) for _, image, height, width, order, _ in batch],
            "skimage_resize_reversed" if reversed_channels else "skimage_resize")
        if code != 0:
            failures.append(f"the probe failed on a batch from {batch[0][0]!r}: {err.strip()}")
            return
        for (name, image, height, width, order, expected), got in zip(batch, results):
            got = flip(got)
            if got.shape != expected.shape or got.dtype != np.float32:
                failures.append(f"{name}: shape {got.shape} {got.dtype}, expected "
                                f"{expected.shape} float32")
            elif got.tobytes() != expected.tobytes():
                differ = got.view(np.uint32) != expected.view(np.uint32)
                worst = np.max(np.abs(got.astype(np.float64) - expected.astype(np.float64)))
                failures.append(f"{name}: {int(differ.sum())} of {got.size} elements differ, "
                                f"by at most {worst:g}")

    for name, image, height, width, order, reverse in cases():
        count += 1
        batch = pending[reverse]
        batch.append((name, image, height, width, order,
                      transformer(image, height, width, order)))
        if len(batch) == 200 or sum(case[1].nbytes for case in batch) > 64 << 20:
            flush(reverse)
    for reverse in (False, True):
        if pending[reverse]:
            flush(reverse)

    # Bad arguments: refused, naming the value.
    pixel = np.zeros((4, 4, 3), np.uint8)
    bad = [("order 4", pixel, 2, 2, 4, "order 4"), ("order -1", pixel, 2, 2, -1, "order -1"),
           ("height 0", pixel, 0, 2, 1, "0 x 2"), ("width -3", pixel, 2, -3, 1, "2 x -3"),
           ("two channels", np.zeros((4, 4, 2), np.uint8), 2, 2, 1, "2 channels"),
           ("NaN", np.full((4, 4, 1), np.nan, np.float32), 2, 2, 1, "nan")]
    for name, image, height, width, order, mention in bad:
        count += 1
        code, err, _ = probe.run(image, height, width, order)
        if code == 0 or "INVALID_ARGUMENT" not in err or mention not in err:
            failures.append(f"bad argument {name}: exit {code}, stderr {err.strip()!r} "
                            f"(expected INVALID_ARGUMENT naming {mention!r})")

    elapsed = time.monotonic() - started
    for failure in failures:
        print("FAIL", failure)
    print(f"{count} cases, {len(failures)} failing, {elapsed:.1f} s")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
