#!/usr/bin/python3
"""The golden set: `hbprep prepare`'s outputs for every example model x target x recipe
variant, made from the same inputs by two builds of hbprep (the x86-64 build and the aarch64
cross-build under qemu) and compared byte for byte: every tensor, bin file and manifest.

Usage: golden.py SOURCE_DIR WORK_DIR COMMAND_A COMMAND_B [JOBS]   (Debian's /usr/bin/python3)
  COMMAND_A, COMMAND_B: how to run each build's hbprep, as one shell-quoted string
  ("build/client/hbprep", "qemu-aarch64 -L /opt/hbprep/arm64-sysroot build-arm64/client/hbprep")
  JOBS: runs at once (default 2); each run is `--jobs 1`.
Prints every file that differs (for a tensor: how many values and by how much at most, and the
first one), then "aarch64: N/N golden files identical"; exits 1 on any difference, on a run
that fails in one build only, and on a file that one build wrote and the other did not.

The inputs are made here with the host's numpy, OpenCV and Pillow: a photo-like 1080p frame as
baseline and progressive JPEG, a 4:4:4 JPEG, odd-sized JPEG and PNG, WebP, TIFF, the 1080p
frame as raw NV12 and I420, a small NV12 frame, and a featuremap. The cases: every example model of deploy/models
with each of its targets, the NV12 recipes (auto, calc, calc_f32, opencv), fast JPEG decode,
uint8 calibration data, resizer ROIs, the raw frames; and recipe variants (area, cubic,
nearest, resizes of float32 data, PadResize with integer and fractional padding,
PaddedCenterCrop, LongSideCrop) on a J6 pyramid model, an int8 ddr model and an OE 1.x model,
from encoded images, fast-decoded JPEG and raw NV12 (the 1080p frame's windows are reduced
with cv::resize, the small frame's, less than 2x, with warpAffine).
"""
import concurrent.futures
import os
import shlex
import shutil
import subprocess
import sys

import cv2
import numpy as np
import yaml
from PIL import Image

SOURCE, WORK, COMMAND_A, COMMAND_B = sys.argv[1:5]
JOBS = int(sys.argv[5]) if len(sys.argv) > 5 else 2
MODELS = os.path.join(SOURCE, "deploy", "models")
INPUTS = os.path.join(WORK, "inputs")
DESCRIPTORS = os.path.join(WORK, "descriptors")


def make_inputs():
    """The images and frames every case reads (deterministic)."""
    os.makedirs(INPUTS)
    rng = np.random.default_rng(19)
    h, w = 1080, 1920
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    # Gradients, a texture, sharp-edged patches and noise: resizes and chroma see every kind of
    # neighbourhood, and no value saturates everywhere.
    img = np.stack([x * 255 / w, y * 255 / h,
                    128 + 100 * np.sin(x / 37.0) * np.cos(y / 23.0)], -1)
    for _ in range(24):
        top, left = rng.integers(0, h - 64), rng.integers(0, w - 64)
        img[top:top + rng.integers(8, 64), left:left + rng.integers(8, 64)] = rng.integers(0, 256, 3)
    img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    files = {}

    def write(name, image, params=()):
        path = os.path.join(INPUTS, name)
        assert cv2.imwrite(path, image, list(params)), path
        files[name] = path

    write("photo1080.jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    write("photo1080_progressive.jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90,
                                             cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    # 4:4:4 chroma (OpenCV 4.6's writer has no sampling factor option; Pillow's has).
    files["photo_444.jpg"] = os.path.join(INPUTS, "photo_444.jpg")
    Image.fromarray(img[100:700, 300:1100, ::-1]).save(files["photo_444.jpg"], quality=95,
                                                       subsampling=0)
    write("odd.jpg", img[11:678, 5:1006], [cv2.IMWRITE_JPEG_QUALITY, 85])
    write("odd.png", img[200:501, 700:1117])
    write("photo.webp", img[300:780, 900:1540], [cv2.IMWRITE_WEBP_QUALITY, 90])
    write("photo.tiff", img[500:875, 1200:1700])
    i420 = cv2.cvtColor(img, cv2.COLOR_BGR2YUV_I420)
    i420.tofile(os.path.join(INPUTS, "frame1080.i420"))
    u = i420[h:h + h // 4].reshape(h // 2, w // 2)
    v = i420[h + h // 4:].reshape(h // 2, w // 2)
    nv12 = np.concatenate([i420[:h].reshape(-1), np.stack([u, v], -1).reshape(-1)])
    nv12.tofile(os.path.join(INPUTS, "frame1080.nv12"))
    # A small frame, 416x300: the recipes' windows of it are reduced less than 2x, which
    # takes the sub-pixel path (warpAffine) where the 1080p frame's take cv::resize.
    small = cv2.cvtColor(np.ascontiguousarray(img[400:700, 600:1016]), cv2.COLOR_BGR2YUV_I420)
    u = small[300:375].reshape(150, 208)
    v = small[375:].reshape(150, 208)
    np.concatenate([small[:300].reshape(-1), np.stack([u, v], -1).reshape(-1)]).tofile(
        os.path.join(INPUTS, "frame416x300.nv12"))
    prior = os.path.join(INPUTS, "prior.npy")
    np.save(prior, rng.standard_normal((1, 64, 8, 8)).astype(np.float32))
    return files, prior


def variant(model, name, recipe):
    """A copy of an example model's descriptor whose image input has `recipe` (with the
    model info file beside it, if the model has one)."""
    with open(os.path.join(MODELS, model + ".yaml")) as f:
        doc = yaml.safe_load(f)
    image = str(doc["input_parameters"]["input_name"]).split(";")[0].strip()
    doc.setdefault("hbprep", {}).setdefault("inputs", {}).setdefault(image, {})["recipe"] = recipe
    stem = "%s_%s" % (model, name)
    os.makedirs(DESCRIPTORS, exist_ok=True)
    with open(os.path.join(DESCRIPTORS, stem + ".yaml"), "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    info = os.path.join(MODELS, model + ".model_info.txt")
    if os.path.exists(info):
        shutil.copy(info, os.path.join(DESCRIPTORS, stem + ".model_info.txt"))
    return os.path.join(DESCRIPTORS, stem + ".yaml")


def recipes(side):
    """Recipe variants for a square model input of `side`: area, cubic and nearest on 8-bit
    data (non-integer ratios), resizes of float32 data (after a first step), padding."""
    short, crop = side * 8 // 7, side + side // 14 * 2
    chain = [{"ShortSideResize": short}, {"CenterCrop": crop}]
    out = {}
    for interpolation in ("area", "cubic", "nearest"):
        out["short_" + interpolation] = [
            {"ShortSideResize": {"size": short, "interpolation": interpolation}},
            {"CenterCrop": side}]
        out["resize_" + interpolation] = [
            {"Resize": {"size": [side, side], "interpolation": interpolation}}]
    for interpolation in ("linear", "area", "cubic"):
        out["float_" + interpolation] = chain + [
            {"Resize": {"size": [side, side], "interpolation": interpolation}}]
    out["pad_resize"] = [{"PadResize": {"size": [side, side], "pad_value": 127}}]
    out["pad_resize_top_left"] = [{"PadResize": {"size": [side, side], "pad_value": 114,
                                                 "pad_position": "top_left"}}]
    out["pad_resize_fractional"] = chain + [{"PadResize": {"size": [side, side],
                                                           "pad_value": 127.5}}]
    out["padded_center_crop"] = [{"PaddedCenterCrop": {"size": side, "padding": 32}}]
    out["long_side_crop"] = [{"LongSideCrop": None}, {"Resize": [side, side]}]
    return out


# The variants whose kernels differ between fast-decoded JPEG, raw NV12 and decoded images
# (the others are run on decoded images only).
PATH_VARIANTS = ("short_area", "resize_area", "short_cubic", "float_area", "pad_resize",
                 "padded_center_crop", "long_side_crop")


def cases(images, prior):
    """(name, descriptor, target, flags, files) for every run. Each run prepares several
    images (one request each); the decoders see every format in the example models' runs,
    the recipe variants take a 1080p 4:2:0 JPEG, a 4:4:4 JPEG and an odd-sized PNG."""
    every = list(images.values())
    few = [images[n] for n in ("photo1080.jpg", "photo_444.jpg", "odd.png")]
    jpegs = [images[n] for n in ("photo1080.jpg", "photo_444.jpg", "odd.jpg")]
    nv12 = ["--raw", "nv12:1920x1080"], [os.path.join(INPUTS, "frame1080.nv12")]
    i420 = ["--raw", "i420:1920x1080"], [os.path.join(INPUTS, "frame1080.i420")]
    small = ["--raw", "nv12:416x300"], [os.path.join(INPUTS, "frame416x300.nv12")]
    model = lambda name: os.path.join(MODELS, name + ".yaml")  # noqa: E731
    with_prior = lambda files: [f for image in files for f in (image, prior)]  # noqa: E731
    out = []

    def add(name, descriptor, target, flags, files):
        out.append((name, descriptor, target, list(flags), list(files)))

    # The example models as they are, every target (every image format where the decoded
    # pixels reach the output most directly: the resizer's whole frame, the pyramid model).
    for target in ("board", "calibration", "onnx"):
        add("cls_pyramid-" + target, model("cls_pyramid"), target, [], every)
        add("det_resizer-" + target, model("det_resizer"), target, [],
            every if target == "board" else few)
        add("cls_batch8-" + target, model("cls_batch8"), target, [], (every + few)[:8])
        add("fusion_multi-" + target, model("fusion_multi"), target, [], with_prior(few))
    for target in ("board", "calibration", "onnx", "oe1_float_onnx", "oe1_quantized_onnx"):
        add("x5_ssd-" + target, model("x5_ssd"), target, [], few)
    # NV12 recipes, fast decode, uint8 calibration data, ROIs, the board's bin files.
    for recipe in ("calc", "calc_f32", "opencv"):
        add("cls_pyramid-board-" + recipe, model("cls_pyramid"), "board",
            ["--nv12-recipe", recipe], few)
        add("x5_ssd-board-" + recipe, model("x5_ssd"), "board", ["--nv12-recipe", recipe], few)
    for name, target in (("cls_pyramid", "board"), ("cls_pyramid", "calibration"),
                         ("x5_ssd", "board"), ("det_resizer", "board")):
        add("%s-%s-fast" % (name, target), model(name), target, ["--decode", "fast"], jpegs)
    add("cls_pyramid-board-calc-fast", model("cls_pyramid"), "board",
        ["--nv12-recipe", "calc", "--decode", "fast"], jpegs)
    add("cls_batch8-board-fast", model("cls_batch8"), "board", ["--decode", "fast"],
        (jpegs * 3)[:8])
    add("fusion_multi-board-fast", model("fusion_multi"), "board", ["--decode", "fast"],
        with_prior(jpegs))
    add("x5_ssd-calibration-uint8", model("x5_ssd"), "calibration", ["--dtype", "uint8"], few)
    add("det_resizer-board-roi", model("det_resizer"), "board",
        [a for _ in few for a in ("--roi", "2,4,101,203")] + ["--format", "bin"], few)
    add("cls_pyramid-board-bin", model("cls_pyramid"), "board", ["--format", "bin"], few)
    add("x5_ssd-board-bin", model("x5_ssd"), "board", ["--format", "bin"], few)

    # Raw camera frames: planar NV12/I420 to NV12 outputs, BGR for the others.
    for raw_name, (flags, files) in (("nv12", nv12), ("i420", i420), ("nv12small", small)):
        for target in ("board", "calibration"):
            add("cls_pyramid-%s-%s" % (target, raw_name), model("cls_pyramid"), target, flags, files)
            add("x5_ssd-%s-%s" % (target, raw_name), model("x5_ssd"), target, flags, files)
            add("fusion_multi-%s-%s" % (target, raw_name), model("fusion_multi"), target, flags,
                with_prior(files))
        roi = "2,4,101,203" if raw_name == "nv12small" else "96,48,415,367"
        add("det_resizer-board-" + raw_name, model("det_resizer"), "board",
            flags + ["--roi", roi], files)
    add("cls_pyramid-board-nv12-full", model("cls_pyramid"), "board",
        ["--raw", "nv12:1920x1080:range=full"], nv12[1])

    # Recipe variants: a J6 pyramid model (board NV12 and float calibration data), an int8
    # ddr model (pixel - 128: the resized values themselves), an OE 1.x NV12 model; from
    # decoded images, and for PATH_VARIANTS from fast-decoded JPEG and raw NV12 too.
    for base, side, runs in (
            ("cls_pyramid", 224, (("board", [], few), ("calibration", [], few),
                                  ("board-fast", ["--decode", "fast"], jpegs),
                                  ("board-nv12",) + nv12, ("board-nv12small",) + small)),
            ("fusion_multi", 128, (("board", [], with_prior(few)),
                                   ("board-nv12", nv12[0], with_prior(nv12[1])),
                                   ("board-nv12small", small[0], with_prior(small[1])))),
            ("x5_ssd", 300, (("board", [], few),))):
        for name, recipe in recipes(side).items():
            descriptor = variant(base, name, recipe)
            for run_name, flags, files in runs:
                if "-" in run_name and name not in PATH_VARIANTS:
                    continue
                add("%s_%s-%s" % (base, name, run_name), descriptor, run_name.split("-")[0],
                    flags, files)
    # A non-square model's recipe variants (its calibration data; the board takes the frame).
    for interpolation in ("area", "cubic"):
        recipe = [{"Resize": {"size": [384, 640], "interpolation": interpolation}}]
        add("det_resizer_resize_%s-calibration" % interpolation,
            variant("det_resizer", "resize_" + interpolation, recipe), "calibration", [], few)
    return out


def run_case(command, build, case):
    name, descriptor, target, flags, files = case
    out = os.path.join(WORK, build, name)
    cmd = command + ["prepare", "--config", descriptor, "--target", target, "--out", out,
                     "--jobs", "1", *flags, *files]
    result = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return result.returncode, result.stderr


def describe_difference(path_a, path_b):
    """What differs between two files of the same name, in a few words."""
    a, b = open(path_a, "rb").read(), open(path_b, "rb").read()
    if path_a.endswith(".npy"):
        x, y = np.load(path_a), np.load(path_b)
        if x.dtype != y.dtype or x.shape != y.shape:
            return "%s %s against %s %s" % (x.dtype, x.shape, y.dtype, y.shape)
        differ = x != y
        if x.dtype.kind == "f":
            differ &= ~(np.isnan(x) & np.isnan(y))
        count = int(differ.sum())
        if count == 0:
            return "the same values, different bytes"
        wide = np.float64 if x.dtype.kind == "f" else np.int64
        delta = np.abs(x.astype(wide) - y.astype(wide))[differ]
        first = tuple(int(i) for i in np.argwhere(differ)[0])
        return "%s %s: %d of %d values differ (%.4f%%), max |diff| %g, first at %s (%s vs %s)" % (
            x.dtype, "x".join(map(str, x.shape)), count, x.size, 100.0 * count / x.size,
            delta.max(), first, x[first], y[first])
    if len(a) != len(b):
        return "%d bytes against %d" % (len(a), len(b))
    first = next(i for i in range(len(a)) if a[i] != b[i])
    return "%d of %d bytes differ, first at byte %d" % (
        sum(p != q for p, q in zip(a, b)), len(a), first)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    images, prior = make_inputs()
    all_cases = cases(images, prior)
    commands = {"a": shlex.split(COMMAND_A), "b": shlex.split(COMMAND_B)}
    problems = []
    with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
        # The slower build's runs first, so that the faster one's fill the gaps.
        futures = {(build, case[0]): pool.submit(run_case, commands[build], build, case)
                   for build in ("b", "a") for case in all_cases}
        for case in all_cases:
            (code_a, err_a), (code_b, err_b) = (futures[(b, case[0])].result() for b in "ab")
            if code_a != 0 or code_b != 0:
                problems.append("%s: hbprep exited %d (x86-64) and %d (aarch64): %s" % (
                    case[0], code_a, code_b, (err_a if code_a else err_b).strip()[-300:]))
    files = {build: sorted(os.path.relpath(os.path.join(d, f), os.path.join(WORK, build))
                           for d, _, names in os.walk(os.path.join(WORK, build)) for f in names)
             for build in "ab"}
    for only, build in ((set(files["a"]) - set(files["b"]), "x86-64"),
                        (set(files["b"]) - set(files["a"]), "aarch64")):
        for path in sorted(only):
            problems.append("%s: written by the %s build only" % (path, build))
    common = sorted(set(files["a"]) & set(files["b"]))
    identical = 0
    for path in common:
        path_a, path_b = (os.path.join(WORK, build, path) for build in "ab")
        with open(path_a, "rb") as fa, open(path_b, "rb") as fb:
            same = fa.read() == fb.read()
        identical += same
        if not same:
            problems.append("DIFFERS %s: %s" % (path, describe_difference(path_a, path_b)))
    for problem in problems:
        print(problem)
    total = len(set(files["a"]) | set(files["b"]))
    print("%d cases, one run of each per build" % len(all_cases))
    print("aarch64: %d/%d golden files identical" % (identical, total))
    sys.exit(1 if problems or total == 0 else 0)


main()
