#!/usr/bin/python3
"""Horizon's sample pipelines, reproduced: for each sample whose preprocessing hbprep can
express, its descriptor (tests/fixtures/samples/<name>.yaml) through `hbprep prepare
--target board` against the sample's own infer pipeline (tests/reference/samples.py: the
transformers as they compute, with Debian's OpenCV, NumPy, scikit-image, SciPy and Pillow),
byte for byte, on real photos (scikit-image's data folder, from python3-skimage) as PNG and
re-encoded JPEG, plus a grey and an odd-sized one.

Prints one table row per sample (the README's table) and fails on any difference.
Usage: check_samples.py HBPREP_BINARY FIXTURES_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import shlex
import subprocess
import sys

import cv2
import numpy as np
import skimage
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import samples as S  # noqa: E402

HBPREP, FIXTURES, WORK = sys.argv[1:4]
# A cross-build's CTest sets HBPREP_EMULATOR ("qemu-aarch64 -L SYSROOT"): hbprep runs under it,
# the reference natively.
EMULATOR = shlex.split(os.environ.get("HBPREP_EMULATOR", ""))
os.makedirs(WORK, exist_ok=True)
DATA = os.path.join(os.path.dirname(skimage.__file__), "data")

# (fixture, the sample's infer pipeline returning (y, uv)).
SAMPLES = [
    ("mobilenet", S.mobilenet_infer),
    ("googlenet", S.googlenet_infer),
    ("mobilenetv2", S.mobilenetv2_infer),
    ("resnet50", S.resnet50_eval),
    ("yolov2", S.yolov2_infer),
    ("yolov3", S.yolov3_infer),
    ("yolov5", S.yolov5_infer),
    ("mobilenet_ssd", S.mobilenet_ssd_infer),
    ("efficient_det", S.efficient_det_infer),
    ("centernet", S.centernet_infer),
    ("fcos", S.fcos_infer),
    ("fcos_efficientnetb0", S.fcos_efficientnetb0_eval),
    ("vargconvnet", S.vargconvnet_eval),
    ("yolov3_vargdarknet", S.yolov3_vargdarknet_eval),
] + [("efficientnet_lite%d" % k, lambda p, size=size: S.efficientnet_lite_infer(p, size))
     for k, size in sorted(S.EFFICIENTNET_LITE_SIZES.items())] + [
    # 1024 x 2048: four photos are enough (and the reference is slow there).
    ("mobilenet_unet", S.mobilenet_unet_infer, 4),
    # The YUV step's NV12: Y and each block's top-left chroma of its YUV444, which is
    # OpenCV's I420 of the same data.
    ("yuv_step", lambda p: S._nv12_opencv(S._center_crop(
        S._f32(S._short_side_resize(S.read_opencv(p), 256)), 224), cv2.COLOR_BGR2YUV_I420)),
]

def yuv444_128(img):
    """BGR2YUV444_128Transformer('HWC') on float32 data: the full-range formulas in float32,
    then += -128. (float32)."""
    b, g, r = img[:, :, 0], img[:, :, 1], img[:, :, 2]
    yuv = np.array([0.299 * r + 0.587 * g + 0.114 * b,
                    -0.169 * r - 0.331 * g + 0.5 * b + 128,
                    0.5 * r - 0.419 * g - 0.081 * b + 128]).transpose((1, 2, 0))
    yuv += -128.
    return yuv.astype(np.float32)


# (fixture, --dtype, the sample's calibration pipeline returning the saved array).
CALIBRATION = [
    ("mobilenet", "float32", S.mobilenet_calibration),
    ("googlenet", "uint8", S.googlenet_calibration),
    ("mobilenetv2", "uint8", S.mobilenetv2_calibration),
    ("yolov2", "float32", S.yolov2_calibration),
    ("efficient_det", "float32", S.efficient_det_calibration),
    # Order 3 on a skimage read: the float32 bits hold the resize's channel order (RGB).
    ("efficientnet_lite0", "float32", lambda p: S.efficientnet_lite_calibration(p, 224)),
    ("centernet_calibration", "float32", S.centernet_calibration),
    ("mobilenet_unet_calibration", "float32", S.mobilenet_unet_calibration, 4),
    ("yuv444_128", "float32", lambda p: yuv444_128(S._center_crop(
        S._f32(S._short_side_resize(S.read_opencv(p), 256)), 224))),
    ("yuv_step", "float32", lambda p: S._yuv_transformer(S._center_crop(
        S._f32(S._short_side_resize(S.read_opencv(p), 256)), 224), "BGR")),
]


def photos():
    """16 real photos: 9 colour PNG/JPEG files as shipped, 5 re-encoded as JPEG (quality 90,
    4:2:0), a grey one and an odd-sized crop."""
    shipped = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg",
               "hubble_deep_field.jpg", "retina.jpg", "motorcycle_left.png", "ihc.png",
               "color.png"]
    out = [os.path.join(DATA, name) for name in shipped]
    for name in ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_right.png",
                 "ihc.png"]:
        path = os.path.join(WORK, os.path.splitext(name)[0] + "_q90.jpg")
        cv2.imwrite(path, cv2.imread(os.path.join(DATA, name)), [cv2.IMWRITE_JPEG_QUALITY, 90])
        out.append(path)
    out.append(os.path.join(DATA, "camera.png"))  # grey
    # An EXIF-rotated JPEG (orientation 6): cv2.imread and skimage.io.imread (imageio)
    # rotate it, Pillow's Image.open does not.
    rotated = os.path.join(WORK, "chelsea_exif6.jpg")
    image = Image.fromarray(cv2.imread(os.path.join(DATA, "chelsea.png"))[:, :, ::-1])
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(rotated, quality=92, exif=exif.tobytes())
    out.append(rotated)
    odd = os.path.join(WORK, "coffee_odd.png")
    cv2.imwrite(odd, cv2.imread(os.path.join(DATA, "coffee.png"))[3:300, 5:418])
    out.append(odd)
    return out


def run(name, files, target="board", extra=()):
    out = os.path.join(WORK, name + "_" + target)
    subprocess.run([*EMULATOR, HBPREP, "prepare", "--config", os.path.join(FIXTURES, name + ".yaml"),
                    "--target", target, "--out", out, *extra, *files], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return [lambda tensor, i=i: np.load(os.path.join(out, str(i), tensor + ".npy"))
            for i in range(len(files))]


failures = []
rows = []
all_files = photos()
for name, pipeline, *count in SAMPLES:
    files = all_files[:count[0]] if count else all_files
    loads = run(name, files)
    identical, differing, worst = 0, 0, 0
    for path, load in zip(files, loads):
        y, uv = pipeline(path)
        got_y, got_uv = load("images_y")[0, :, :, 0], load("images_uv")[0]
        same = True
        for plane, got, want in (("y", got_y, y), ("uv", got_uv, uv)):
            if got.shape != want.shape:
                failures.append("%s %s %s: hbprep %s, the sample %s" % (
                    name, os.path.basename(path), plane, got.shape, want.shape))
                same = False
                continue
            diff = np.abs(got.astype(int) - want.astype(int))
            if diff.any():
                same = False
                differing += int((diff > 0).sum())
                worst = max(worst, int(diff.max()))
                failures.append("%s %s %s: %d of %d values differ, by up to %d" % (
                    name, os.path.basename(path), plane, int((diff > 0).sum()), diff.size,
                    int(diff.max())))
        identical += same
    rows.append("| %s | %d/%d identical%s |" % (
        name, identical, len(files),
        "" if not differing else ", %d values differ by up to %d" % (differing, worst)))
for name, dtype, pipeline, *count in CALIBRATION:
    files = all_files[:count[0]] if count else all_files
    loads = run(name, files, "calibration", ["--dtype", dtype])
    identical = 0
    for path, load in zip(files, loads):
        want = pipeline(path)[None]
        got = load("images")
        if got.dtype != want.dtype or got.shape != want.shape:
            failures.append("%s calibration %s: hbprep %s %s, the sample %s %s" % (
                name, os.path.basename(path), got.dtype, got.shape, want.dtype, want.shape))
        elif not np.array_equal(got, want):
            failures.append("%s calibration %s: %d values differ, by up to %g" % (
                name, os.path.basename(path), int((got != want).sum()),
                float(np.abs(got.astype(np.float64) - want).max())))
        else:
            identical += 1
    rows.append("| %s calibration (%s) | %d/%d identical |" % (name, dtype, identical, len(files)))
# What a read would turn into something else is refused with the reason (exit 1).
REFUSED = [
    ("resnet50", "logo.png", "an image with alpha read as pil has 4 channels"),
    ("mobilenet", "logo.png", "an image with alpha read as skimage has 4 channels"),
    ("resnet50", "palette_color.png", "a palette PNG read as pil gives its palette indices"),
]
for name, image, message in REFUSED:
    result = subprocess.run(
        [*EMULATOR, HBPREP, "prepare", "--config", os.path.join(FIXTURES, name + ".yaml"), "--target",
         "board", "--out", os.path.join(WORK, "refused"), os.path.join(DATA, image)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 1 or message not in result.stderr:
        failures.append("%s on %s: exit %d, %r; expected exit 1 with %r" % (
            name, image, result.returncode, result.stderr.strip(), message))
print("| sample | against the sample's pipeline |")
print("|---|---|")
for row in rows:
    print(row)
for failure in failures:
    print("FAIL", failure)
print("%d pipelines on up to %d photos checked, %d mismatches" % (
    len(SAMPLES) + len(CALIBRATION), len(all_files), len(failures)))
sys.exit(1 if failures else 0)
