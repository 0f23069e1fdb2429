#!/usr/bin/python3
"""Cross-check of hbprep's PilResize (adapters/steps/pillow_resample.h) against Pillow 9.4 itself,
called as Horizon's PILResizeTransformer calls it: Image.fromarray(data.astype('uint8'),
'RGB') (mode 'L' for one channel), img.resize((ow, oh), filter), np.array(...). Every result
must match byte for byte:
  - BILINEAR (the transformer's default) for every pair of source and target sides 1..48 on
    each axis (each pair at least once horizontally and once vertically), 1 and 3 channels;
  - the five other filters for every pair of sides 1..24, likewise;
  - random larger sizes and extreme ratios for all six filters;
  - photos from scikit-image's data to 224 x 224, 299 x 299, short side 256 (the
    transformer's int size) and enlarged, all six filters.
Small cases run batched: hbprep_kernel_probe's pil_resize_batch row resizes views of one
packed canvas into views of another, whose pixels outside the views must stay untouched;
the grids and random sizes run through both the SIMD loops and the portable ones.
Usage: check_pil_resize.py KERNEL_PROBE WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import shlex
import subprocess
import sys

import numpy as np
from PIL import Image

PROBE, WORK = sys.argv[1:3]
# A cross-build's CTest sets HBPREP_EMULATOR: the probe runs under it, Pillow natively.
EMULATOR = shlex.split(os.environ.get("HBPREP_EMULATOR", ""))
os.makedirs(WORK, exist_ok=True)
DATA = "/usr/lib/python3/dist-packages/skimage/data"
FILTERS = {"NEAREST": Image.NEAREST, "BOX": Image.BOX, "BILINEAR": Image.BILINEAR,
           "HAMMING": Image.HAMMING, "BICUBIC": Image.BICUBIC, "LANCZOS": Image.LANCZOS}
SENTINEL = 0xA5  # what pil_resize_batch fills its canvas with
failures = []
checks = 0


def pillow(src, oh, ow, name):
    """The transformer's arithmetic: through PIL's RGB (or L) image and back to uint8."""
    if src.shape[2] == 3:
        img = Image.fromarray(src.astype("uint8"), "RGB")
    else:
        img = Image.fromarray(np.ascontiguousarray(src[:, :, 0]).astype("uint8"), "L")
    return np.array(img.resize((ow, oh), FILTERS[name])).reshape(oh, ow, src.shape[2])


def compare(what, got, want):
    global checks
    checks += 1
    if got.shape != want.shape:
        failures.append("%s: shape %s, Pillow %s" % (what, got.shape, want.shape))
        return
    diff = np.argwhere(got != want)
    if len(diff):
        y, x, c = diff[0]
        failures.append("%s: %d bytes differ, first at (%d, %d, %d): %d, Pillow %d" % (
            what, len(diff), y, x, c, got[y, x, c], want[y, x, c]))


def pack(sizes, width):
    """Shelf packing of (h, w) boxes, one pixel apart: their (y, x) and the canvas height."""
    places, x, y, shelf = [], 0, 0, 0
    for h, w in sizes:
        if x + w > width:
            x, y, shelf = 0, y + shelf + 1, 0
        places.append((y, x))
        x, shelf = x + w + 1, max(shelf, h)
    return places, y + shelf


def run_batch(label, sources, cases, portable=False, wants=None):
    """sources: images of one channel count; cases: (filter, source index, dh, dw);
    portable: PilResize's portable loops instead of its SIMD ones; wants: Pillow's results
    when already known. Returns Pillow's results."""
    width, channels = 2048, sources[0].shape[2]
    src_at, src_h = pack([img.shape[:2] for img in sources], width)
    dst_at, dst_h = pack([(c[2], c[3]) for c in cases], width)
    canvas = np.zeros((src_h, width, channels), np.uint8)
    for (y, x), img in zip(src_at, sources):
        canvas[y:y + img.shape[0], x:x + img.shape[1]] = img
    stem = os.path.join(WORK, "%s_c%d" % (label, channels))
    with open(stem + ".txt", "w") as f:
        for (name, i, dh, dw), (dy, dx) in zip(cases, dst_at):
            (sy, sx), (sh, sw) = src_at[i], sources[i].shape[:2]
            f.write("%s %d %d %d %d %d %d %d %d\n" % (name, sy, sx, sh, sw, dy, dx, dh, dw))
    np.save(stem + "_in.npy", canvas)
    subprocess.run([*EMULATOR, PROBE, "pil_resize_batch", stem + "_in.npy", stem + "_out.npy",
                    stem + ".txt", str(dst_h), str(width)] + (["portable"] if portable else []),
                   check=True)
    out = np.load(stem + "_out.npy")
    untouched = np.ones(out.shape[:2], bool)
    if wants is None:
        wants = [pillow(sources[i], dh, dw, name) for name, i, dh, dw in cases]
    for (name, i, dh, dw), (dy, dx), want in zip(cases, dst_at, wants):
        sh, sw = sources[i].shape[:2]
        compare("%s %s, %d channels, %d x %d -> %d x %d" % (label, name, channels, sh, sw, dh,
                                                           dw),
                out[dy:dy + dh, dx:dx + dw], want)
        untouched[dy:dy + dh, dx:dx + dw] = False
    if (out[untouched] != SENTINEL).any():
        failures.append("%s, %d channels: bytes outside the destination views were written"
                        % (label, channels))
    return wants


def random_batch(label, cases, channels, rng):
    """cases: (filter, sh, sw, dh, dw), each on a random source of its own, through the SIMD
    loops and the portable ones."""
    sources = [rng.integers(0, 256, (sh, sw, channels), dtype=np.uint8)
               for _, sh, sw, _, _ in cases]
    indexed = [(f, i, dh, dw) for i, (f, _, _, dh, dw) in enumerate(cases)]
    wants = run_batch(label, sources, indexed)
    run_batch(label + "_portable", sources, indexed, portable=True, wants=wants)


def grid_cases(filters, top, rng):
    """Every (source, target) side pair 1..top on both axes: case i pairs the i-th horizontal
    pair with a shuffled vertical one; filters cycle."""
    pairs = [(a, b) for a in range(1, top + 1) for b in range(1, top + 1)]
    order = rng.permutation(len(pairs))
    cases = []
    for f in filters:
        for i, (sw, dw) in enumerate(pairs):
            sh, dh = pairs[order[i]]
            cases.append((f, sh, sw, dh, dw))
    return cases


def random_cases(rng):
    cases = []
    for f in FILTERS:
        for _ in range(10):
            sh, sw, dh, dw = rng.integers(1, 480, 4)
            cases.append((f, sh, sw, dh, dw))
        # Extreme ratios: to one pixel, from one pixel, strong reductions and enlargements.
        cases += [(f, 900, 7, 1, 5), (f, 1, 1, 300, 200), (f, 2, 700, 311, 3),
                  (f, 640, 480, 17, 480), (f, 480, 640, 480, 11), (f, 999, 1000, 3, 997)]
    return [(f, int(a), int(b), int(c), int(d)) for f, a, b, c, d in cases]


def photos():
    import imageio
    names = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg",
             "motorcycle_left.png", "camera.png"]
    images = []
    for name in names:
        img = np.asarray(imageio.imread(os.path.join(DATA, name)))
        img = img[:, :, :3] if img.ndim == 3 else img[:, :, None]
        images.append((name, np.ascontiguousarray(img)))
    return images


def photo_targets(h, w):
    short = (256, int(256 * w / h)) if h <= w else (int(256 * h / w), 256)  # transformer: int
    return [(224, 224), (299, 299), short, (int(h * 1.7), int(w * 1.3))]


def probe_errors():
    """Bad arguments give a message naming the value and exit 1, never a crash."""
    src = os.path.join(WORK, "small.npy")
    np.save(src, np.zeros((4, 5, 3), np.uint8))
    for args, text in [(["0", "5", "BILINEAR"], "to 0 x 5"),
                       (["4", "70000", "BOX"], "to 4 x 70000"),
                       (["4", "5", "bilinear"], "'bilinear'")]:
        r = subprocess.run([*EMULATOR, PROBE, "pil_resize", src, os.path.join(WORK, "x.npy"), *args],
                           capture_output=True, text=True)
        if r.returncode != 1 or text not in r.stderr:
            failures.append("probe %s: exit %d, %r (wanted exit 1 naming %s)"
                            % (" ".join(args), r.returncode, r.stderr.strip(), text))


rng = np.random.default_rng(20240607)
for channels in (3, 1):
    random_batch("grid48", grid_cases(["BILINEAR"], 48, rng), channels, rng)
    others = [f for f in FILTERS if f != "BILINEAR"]
    random_batch("grid24", grid_cases(others, 24, rng), channels, rng)
    random_batch("random", random_cases(rng), channels, rng)

# Photos: BILINEAR one probe call each (the plain, whole-image path), the rest batched.
images = photos()
for name, img in images:
    path = os.path.join(WORK, "photo.npy")
    np.save(path, img)
    for oh, ow in photo_targets(*img.shape[:2]):
        out = os.path.join(WORK, "photo_out.npy")
        subprocess.run([*EMULATOR, PROBE, "pil_resize", path, out, str(oh), str(ow), "BILINEAR"],
                       check=True)
        compare("%s BILINEAR -> %d x %d" % (name, oh, ow), np.load(out),
                pillow(img, oh, ow, "BILINEAR"))
for channels in (3, 1):
    sources = [img for _, img in images if img.shape[2] == channels]
    cases = [(f, i, oh, ow) for i, img in enumerate(sources) for f in FILTERS
             if f != "BILINEAR" for oh, ow in photo_targets(*img.shape[:2])]
    run_batch("photos", sources, cases)
probe_errors()

for failure in failures[:40]:
    print("FAIL", failure)
print("%d resizes compared with Pillow %s, %d mismatches" % (
    checks, Image.__version__, len(failures)))
sys.exit(1 if failures else 0)
