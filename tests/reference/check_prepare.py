#!/usr/bin/python3
"""Cross-check of `hbprep prepare` against an independent numpy/OpenCV implementation of
the toolchain's reference recipes (the way users write them today, domain brief sections
3-5), for every example model and target, on a photo-like JPEG and an odd-sized PNG.

Integer tensors must match byte for byte, float tensors within 1e-5 relative.
Usage: check_prepare.py HBPREP_BINARY MODELS_DIR WORK_DIR   (Debian's /usr/bin/python3)
HBPREP_EMULATOR (the cross-build's CTest sets it, e.g. "qemu-aarch64 -L SYSROOT") runs an
aarch64 HBPREP_BINARY; the reference itself always runs natively, with the host's OpenCV.
"""
import json
import os
import shlex
import subprocess
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recipes import (IMAGENET_MEAN, cls_recipe, cls_transformers, float_input,  # noqa: E402
                     nv12_calc, nv12_opencv, pad_resize, quantise)
import transformers as T  # noqa: E402

HBPREP, MODELS, WORK = sys.argv[1:4]
HBPREP = [*shlex.split(os.environ.get("HBPREP_EMULATOR", "")), HBPREP]
os.makedirs(WORK, exist_ok=True)


def make_images():
    rng = np.random.default_rng(7)
    h, w = 375, 500
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255.0 / w, y * 255.0 / h, (x + y) * 127.0 / (w + h) + 64], -1)
    img = np.clip(img + rng.normal(0, 14, img.shape), 0, 255).astype(np.uint8)
    photo = os.path.join(WORK, "photo.jpg")
    cv2.imwrite(photo, img, [cv2.IMWRITE_JPEG_QUALITY, 92])
    odd = os.path.join(WORK, "odd.png")
    cv2.imwrite(odd, rng.integers(0, 256, (301, 417, 3), dtype=np.uint8))
    return [photo, odd]


def read_prior_quantisation():
    """The prior's scale and zero point as fusion_multi.model_info.txt prints them."""
    text = open(os.path.join(MODELS, "fusion_multi.model_info.txt")).read()
    block = text[text.index("name: prior"):]
    scale = float(block.split("scale data: (")[1].split(")")[0])
    zero = int(block.split("zero_point data: (")[1].split(")")[0])
    assert "HB_DNN_TENSOR_TYPE_S16" in block.split("\n\n")[0]
    return scale, zero, np.int16


PRIOR_QUANT = read_prior_quantisation()

# --- one check per model and target --------------------------------------------------------
def run(model, target, files, extra=()):
    out = os.path.join(WORK, "%s_%s" % (model, target))
    cmd = [*HBPREP, "prepare", "--config", os.path.join(MODELS, model + ".yaml"),
           "--target", target, "--out", out, *extra, *files]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    # Each tensor's file, as the manifest names it (names are encoded into file names).
    with open(os.path.join(out, "manifest.json")) as f:
        files = {t["name"]: t["file"] for t in json.load(f)["tensors"]}
    return lambda name: np.load(os.path.join(out, files[name]))


failures = []


def expect(what, got, want):
    if got.dtype != want.dtype or got.shape != want.shape:
        failures.append("%s: got %s %s, reference %s %s" % (what, got.dtype, got.shape,
                                                           want.dtype, want.shape))
    elif want.dtype == np.float32:
        if not np.allclose(got, want, rtol=1e-5, atol=1e-5):
            failures.append("%s: max abs diff %g" % (what, np.abs(got - want).max()))
    elif not np.array_equal(got, want):
        failures.append("%s: %d values differ" % (what, int((got != want).sum())))


def check(path):
    img = cv2.imread(path)
    tag = os.path.basename(path)

    # cls_pyramid (nash-e): rgb NCHW, mean/std; board NV12 with the calc recipe on the
    # transformers' float32 data (nv12_recipe auto), or on uint8 pixels when forced to calc.
    load = run("cls_pyramid", "board", [path])
    y, uv = nv12_calc(cls_transformers(img))
    expect(tag + " cls_pyramid images_y", load("images_y"), y[None, :, :, None])
    expect(tag + " cls_pyramid images_uv", load("images_uv"), uv[None])
    load = run("cls_pyramid", "board", [path], ["--nv12-recipe", "calc"])
    y, uv = nv12_calc(cls_recipe(img))
    expect(tag + " cls_pyramid images_y", load("images_y"), y[None, :, :, None])
    expect(tag + " cls_pyramid images_uv", load("images_uv"), uv[None])
    for target in ("calibration", "onnx"):
        load = run("cls_pyramid", target, [path])
        expect(tag + " cls_pyramid " + target, load("images"),
               float_input(cls_recipe(img), True, mean=IMAGENET_MEAN,
                           std=[58.395, 57.12, 57.375]))
    load = run("cls_pyramid", "board", [path], ["--nv12-recipe", "opencv"])
    y, uv = nv12_opencv(cls_recipe(img))
    expect(tag + " cls_pyramid opencv images_uv", load("images_uv"), uv[None])

    # det_resizer (nash-m, bt601_video): the whole frame (even size) with the opencv recipe.
    even = img[:img.shape[0] // 2 * 2, :img.shape[1] // 2 * 2]
    load = run("det_resizer", "board", [path], ["--roi", "2,4,101,203"])
    y, uv = nv12_opencv(even)
    expect(tag + " det_resizer data_y", load("data_y"), y[None, :, :, None])
    expect(tag + " det_resizer data_uv", load("data_uv"), uv[None])
    expect(tag + " det_resizer data_roi", load("data_roi"), np.array([[2, 4, 101, 203]], np.int32))
    for target in ("calibration", "onnx"):
        load = run("det_resizer", target, [path])
        expect(tag + " det_resizer " + target, load("data"),
               float_input(pad_resize(img, 384, 640, 114), False, scale=[0.003921568627451]))

    # cls_batch8 (nash-p): eight images split into data_0 ... data_7.
    files = [path] * 8
    load = run("cls_batch8", "board", files)
    y, uv = nv12_calc(cls_transformers(img))
    for k in (0, 7):
        expect("%s cls_batch8 data_%d_y" % (tag, k), load("data_%d_y" % k), y[None, :, :, None])
        expect("%s cls_batch8 data_%d_uv" % (tag, k), load("data_%d_uv" % k), uv[None])
    load = run("cls_batch8", "onnx", files)
    one = float_input(cls_recipe(img), True, mean=IMAGENET_MEAN,
                      scale=[0.01712475, 0.017507, 0.01742919])
    expect(tag + " cls_batch8 onnx", load("data"), np.concatenate([one] * 8))
    # Calibration data follows input_shape (1x3x224x224), never input_batch.
    load = run("cls_batch8", "calibration", [path])
    expect(tag + " cls_batch8 calibration", load("data"), one)

    # fusion_multi (nash-e): bgr ddr image as int8 (pixel - 128) and a featuremap .npy.
    prior = np.random.default_rng(3).standard_normal((1, 64, 8, 8)).astype(np.float32)
    prior_path = os.path.join(WORK, "prior.npy")
    np.save(prior_path, prior)
    resized = cv2.resize(img, (128, 128), interpolation=cv2.INTER_LINEAR)
    load = run("fusion_multi", "board", [path, prior_path])
    expect(tag + " fusion_multi image", load("image"),
           (resized.astype(np.int16) - 128).astype(np.int8)[None])
    # The compiled model takes the prior as int16 (its model info, beside the yaml): the
    # quantisation formula in float32, as numpy computes it, with the file's scale.
    expect(tag + " fusion_multi prior", load("prior"), quantise(prior, *PRIOR_QUANT))
    for target in ("calibration", "onnx"):
        load = run("fusion_multi", target, [path, prior_path])
        expect(tag + " fusion_multi " + target, load("image"),
               float_input(resized, False, mean=[128, 128, 128], scale=[0.0078125]))
        expect(tag + " fusion_multi " + target + " prior", load("prior"), prior)

    # x5_ssd (bayes-e, OE 1.x): one packed NV12 array; calibration without normalisation.
    resized = cv2.resize(img, (300, 300), interpolation=cv2.INTER_LINEAR)
    load = run("x5_ssd", "board", [path])
    y, uv = nv12_calc(resized.astype(np.float32))  # resized: float32 data, as a transformer's
    expect(tag + " x5_ssd data", load("data"),
           np.concatenate([y, uv.reshape(150, 300)])[None])
    for target in ("calibration", "onnx"):
        load = run("x5_ssd", target, [path])
        expect(tag + " x5_ssd " + target, load("data"), float_input(resized, True))
    # OE 1.x's generated ONNX models: YUV444 from the board's NV12 (NV12ToYUV444), minus 128,
    # float32 in the train layout for the float models, int8 NHWC for the quantized one.
    yuv444 = T.nv12_to_yuv444(y, uv)
    load = run("x5_ssd", "oe1_float_onnx", [path])
    expect_exact(tag + " x5_ssd oe1_float_onnx", load("data"),
                 np.ascontiguousarray(T.hz_preprocess_float_input(yuv444).transpose(2, 0, 1))[None])
    load = run("x5_ssd", "oe1_quantized_onnx", [path])
    expect_exact(tag + " x5_ssd oe1_quantized_onnx", load("data"),
                 T.hz_preprocess_int8_input(yuv444)[None])
    # uint8 calibration data, where nothing is normalised.
    load = run("x5_ssd", "calibration", [path], ["--dtype", "uint8"])
    expect(tag + " x5_ssd calibration uint8", load("data"),
           np.ascontiguousarray(resized[..., ::-1].transpose(2, 0, 1))[None])


def check_raw(path):
    """Raw camera frames: NV12/I420 in video range, as cv2 converts them."""
    img = cv2.imread(path)
    h, w = img.shape[0] // 2 * 2, img.shape[1] // 2 * 2
    i420 = cv2.cvtColor(img[:h, :w], cv2.COLOR_BGR2YUV_I420)
    y, uv = nv12_opencv(img[:h, :w])
    nv12 = np.concatenate([y.reshape(-1), uv.reshape(-1)])
    nv12_path = os.path.join(WORK, "frame.nv12")
    nv12.tofile(nv12_path)
    i420_path = os.path.join(WORK, "frame.i420")
    i420.tofile(i420_path)
    size = "%dx%d" % (w, h)
    tag = os.path.basename(path) + " raw"

    # Calibration from an NV12 frame: the frame as cv2 converts it to BGR, then the recipe.
    load = run("cls_pyramid", "calibration", [nv12_path], ["--raw", "nv12:" + size])
    bgr = cv2.cvtColor(nv12.reshape(h * 3 // 2, w), cv2.COLOR_YUV2BGR_NV12)
    expect(tag + " cls_pyramid calibration", load("images"),
           float_input(cls_recipe(bgr), True, mean=IMAGENET_MEAN, std=[58.395, 57.12, 57.375]))
    # A video-range I420 frame to a video-range resizer model: the planes pass through.
    load = run("det_resizer", "board", [i420_path], ["--raw", "i420:" + size + ":range=video"])
    expect(tag + " det_resizer data_y", load("data_y"), y[None, :, :, None])
    expect(tag + " det_resizer data_uv", load("data_uv"), uv[None])


PIPELINES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                         "pipelines")


def run_fixture(name, target, files):
    out = os.path.join(WORK, "pipeline_%s_%s" % (name, target))
    subprocess.run([*HBPREP, "prepare", "--config", os.path.join(PIPELINES, name + ".yaml"),
                    "--target", target, "--out", out, *files], check=True,
                   stdout=subprocess.DEVNULL)
    return lambda tensor: np.load(os.path.join(out, tensor + ".npy"))


def expect_exact(what, got, want):
    if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
        diff = "" if got.shape != want.shape else " (%d values differ)" % int((got != want).sum())
        failures.append("%s: got %s %s, the transformers %s %s%s" % (
            what, got.dtype, got.shape, want.dtype, want.shape, diff))


def check_pipelines(path):
    """The precision rule against the transformers' own dtypes, bit for bit."""
    img = cv2.imread(path)
    tag = os.path.basename(path) + " pipeline"
    # A resize of float32 data (after a crop), cubic: fractional values, calc in float32.
    load = run_fixture("float_resize", "board", [path])
    data = T.resize(T.center_crop(T.short_side_resize(img, 256), 240), 224, 224, cubic=True)
    y, uv = T.bgr_to_nv12_calc(data)
    expect_exact(tag + " float_resize images_y", load("images_y"), y[None, :, :, None])
    expect_exact(tag + " float_resize images_uv", load("images_uv"), uv[None])
    # PadResize's float32 canvas keeps a fractional pad value.
    load = run_fixture("fractional_pad", "board", [path])
    y, uv = T.bgr_to_nv12_calc(T.pad_resize(img, 224, 224, 127.5))
    expect_exact(tag + " fractional_pad images_y", load("images_y"), y[None, :, :, None])
    expect_exact(tag + " fractional_pad images_uv", load("images_uv"), uv[None])
    # An OE 1.x rgb model's generated ONNX models on fractional float32 data: rgb - 128 as
    # float32 (fractional) for the float models; the quantized model from the pixels as
    # astype(np.uint8) truncates them, int8, NCHW as input_layout_rt says.
    data = T.resize(T.center_crop(T.short_side_resize(img, 256), 240), 224, 224, cubic=True)
    rgb = data[:, :, ::-1]
    load = run_fixture("oe1_rgb", "oe1_float_onnx", [path])
    expect_exact(tag + " oe1_rgb oe1_float_onnx", load("data"),
                 np.ascontiguousarray(T.hz_preprocess_float_input(rgb).transpose(2, 0, 1))[None])
    load = run_fixture("oe1_rgb", "oe1_quantized_onnx", [path])
    expect_exact(tag + " oe1_rgb oe1_quantized_onnx", load("data"),
                 np.ascontiguousarray(T.hz_preprocess_int8_input(rgb).transpose(2, 0, 1))[None])
    # YUV444 calibration data from float32 data: the conversion in float32.
    load = run_fixture("yuv444_float", "calibration", [path])
    data = T.bgr_to_yuv444(T.center_crop(T.short_side_resize(img, 256), 224))
    expect_exact(tag + " yuv444_float calibration", load("images"),
                 np.ascontiguousarray(data.transpose(2, 0, 1))[None])


checks = 0
for image in make_images():
    check(image)
    check_raw(image)
    check_pipelines(image)
    checks += 1
for failure in failures:
    print("FAIL", failure)
print("%d images checked against the reference recipes, %d mismatches" % (checks, len(failures)))
sys.exit(1 if failures else 0)
