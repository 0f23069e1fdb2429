#!/usr/bin/python3
"""hbprep.Model.prepare against `hbprep prepare`: the example models (deploy/models) on every
target, with and without the model info fixtures (board), on a JPEG photo and an odd-sized
PNG; Horizon's sample pipelines (tests/fixtures/samples) and the board pipelines
(tests/fixtures/pipelines) on the board and calibration targets (onnx data is calibration's
with input_batch applied), on one of the two: the same tensor names, dtypes, shapes and bytes
as the CLI's .npy files, the same warnings and geometry as its manifest; where the CLI refuses
a target, the same message in an hbprep.Error (once per march). Then
camera planes with padded rows ((y, uv) arrays viewing a padded buffer) against the CLI's
--raw nv12 with that stride, and the board layout (strided=True) against the CLI's .bin files.

Usage: cli_parity_test.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.
"""
import concurrent.futures
import glob
import json
import os
import subprocess
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
BUILD, SOURCE, WORK, check = harness.setup()
import hbprep  # noqa: E402

HBPREP = harness.binary(BUILD, "client/hbprep")
rng = np.random.default_rng(20)
y, x = np.mgrid[0:375, 0:500]
photo = np.stack([x * 0.5, y * 0.6, (x + y) * 0.2 + 40], -1) + rng.normal(0, 10, (375, 500, 3))
PHOTO = os.path.join(WORK, "photo.jpg")
cv2.imwrite(PHOTO, np.clip(photo, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 92])
ODD = os.path.join(WORK, "odd.png")
cv2.imwrite(ODD, rng.integers(0, 256, (301, 417, 3), dtype=np.uint8))
ROI = (2, 4, 101, 203)  # inside both images; even start, odd end (X3's rule)
TARGETS = hbprep.TARGETS


def models():
    """(label, yaml, model_info or None, targets, requests) of every model checked."""
    found = []
    for path in sorted(glob.glob(os.path.join(SOURCE, "deploy", "models", "*.yaml"))):
        found.append((os.path.relpath(path, SOURCE), path, None, TARGETS, 2))
    for pattern in ("tests/fixtures/samples/*.yaml", "tests/fixtures/pipelines/*.yaml"):
        for path in sorted(glob.glob(os.path.join(SOURCE, pattern))):
            found.append((os.path.relpath(path, SOURCE), path, None, ("board", "calibration"), 1))
    fixtures = os.path.join(SOURCE, "tests", "fixtures", "model_info")
    for yaml, info in (("cls_pyramid", "cls_pyramid_j6.txt"), ("det_resizer", "det_resizer_j6.txt"),
                       ("x5_ssd", "x5_ssd_oe1.txt")):
        found.append(("%s + model_info/%s" % (yaml, info),
                      os.path.join(SOURCE, "deploy", "models", yaml + ".yaml"),
                      os.path.join(fixtures, info), ("board",), 2))
    return found


def cli_message(stderr):
    """The engine's message in the CLI's stderr: its "hbprep: " lines, warnings and the usage
    hint left out."""
    lines = [line[len("hbprep: "):] for line in stderr.splitlines()
             if line.startswith("hbprep: ") and not line.startswith("hbprep: warning: ")]
    return "\n".join(lines)


def request_files(model, target, request):
    """The files of request `request` (0 or 1) in binding order, their ROIs, and the featuremap
    files written for them."""
    files, rois = [], []
    for n, slot in enumerate(model.bindings(target)):
        if slot["image"]:
            files.append((PHOTO, ODD)[(request + n) % 2])
            rois.append(ROI if slot["resizer"] else None)
        else:
            path = os.path.join(WORK, "feature_%s_%d_%d.npy" % (slot["input"], n, request))
            data = np.random.default_rng(n + 7 * request).standard_normal(slot["shape"])
            np.save(path, data.astype(slot["dtype"]))
            files.append(path)
            rois.append(None)
    return files, rois


def run_cli(label, yaml, info, target, requests):
    out = os.path.join(WORK, "cli", label.replace("/", "_").replace(" ", ""), target)
    args = [*HBPREP, "prepare", "--config", yaml, "--target", target, "--out", out, "--jobs", "1"]
    if info:
        args += ["--model-info", info]
    for files, rois in requests:
        args += ["--roi=%d,%d,%d,%d" % roi for roi in rois if roi]
    for files, rois in requests:
        args += files
    run = subprocess.run(args, capture_output=True, text=True)
    return out, run


def folders(out, count):
    return [out] if count == 1 else [os.path.join(out, str(r)) for r in range(count)]


def same_tensors(result, folder):
    """Whether the result holds exactly the manifest's tensors, each equal to its .npy file."""
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    names = [t["name"] for t in manifest["tensors"]]
    if list(result) != names:
        return False, "names %s, CLI %s" % (list(result), names), manifest
    for t in manifest["tensors"]:
        want, got = np.load(os.path.join(folder, t["file"])), result[t["name"]]
        if got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
            return False, "%s: %s %s, CLI %s %s" % (t["name"], got.dtype, got.shape, want.dtype,
                                                   want.shape), manifest
    return True, "", manifest


# Every model and target: the CLI in two processes at once (the machine's two cores), each
# run checked against the module in this one as it finishes.
# A target the module refuses is run through the CLI once per march (the message names the
# march, not the model).
cases, refusals_seen = [], set()
for n, (label, yaml, info, targets, count) in enumerate(models()):
    model = hbprep.Model(yaml, model_info=info)
    for target in targets:
        try:
            # One request takes the photo or the PNG, by turns; two take both.
            requests = [request_files(model, target, (n + r) % 2) for r in range(count)]
            refusal = None
        except hbprep.Error as error:
            requests, refusal = None, error
            if (model.march, target) in refusals_seen:
                continue
            refusals_seen.add((model.march, target))
        cases.append((label, yaml, info, model, target, requests, refusal))

compared = refused = 0
with concurrent.futures.ThreadPoolExecutor(2) as pool:
    runs = [pool.submit(run_cli, label, yaml, info, target, requests or [([PHOTO], [])])
            for label, yaml, info, model, target, requests, refusal in cases]
    for (label, yaml, info, model, target, requests, refusal), future in zip(cases, runs):
        out, run = future.result()
        name = "%s %s" % (label, target)
        if run.returncode != 0 or refusal is not None:
            # The CLI refuses the target (an OE 1.x target of a J6 model, say): the module
            # refuses it with the same message.
            refused += 1
            if refusal is None:
                try:
                    files, rois = requests[0]
                    model.prepare(files, target, rois=rois)
                except hbprep.Error as error:
                    refusal = error
            check(name + ": refused like the CLI",
                  run.returncode != 0 and refusal is not None and
                  str(refusal) == cli_message(run.stderr),
                  "module %r, CLI (exit %d) %r" % (refusal and str(refusal), run.returncode,
                                                   cli_message(run.stderr)))
            continue
        for r, folder in enumerate(folders(out, len(requests))):
            files, rois = requests[r]
            result = model.prepare(files, target, rois=rois)
            same, why, manifest = same_tensors(result, folder)
            geometry = [g.as_dict() if g else None for g in result.geometry]
            check("%s request %d: the CLI's tensors, warnings and geometry" % (name, r),
                  same and result.warnings == manifest["warnings"] and
                  geometry == manifest["geometry"],
                  why or {"warnings": (result.warnings, manifest["warnings"]),
                          "geometry": (geometry, manifest["geometry"])})
            compared += 1
check("every model ran on every target it takes (%d requests compared, %d refusals)" %
      (compared, refused), compared >= 100 and refused >= 6, (compared, refused))

# Camera planes: a padded NV12 buffer (704-byte rows for a 640x480 frame), as the CLI reads
# it with --raw, and as the module views it: (y, uv) arrays over the same buffer, padding
# and all (video and full range; a resizer input with a ROI).
W, H, STRIDE = 640, 480, 704
buffer = rng.integers(16, 236, STRIDE * H * 3 // 2, dtype=np.uint8)
raw = os.path.join(WORK, "frame.nv12")
buffer.tofile(raw)
y_plane = buffer[:STRIDE * H].reshape(H, STRIDE)[:, :W]
uv_plane = buffer[STRIDE * H:].reshape(H // 2, STRIDE)[:, :W].reshape(H // 2, W // 2, 2)
check("the planes view the buffer (rows padded, no copy)",
      y_plane.strides == (STRIDE, 1) and uv_plane.strides == (STRIDE, 2, 1) and
      np.shares_memory(y_plane, buffer) and np.shares_memory(uv_plane, buffer))
for yaml, rois, range_name in (("tests/fixtures/pipelines/camera_pyramid224.yaml", None, "video"),
                               ("tests/fixtures/pipelines/camera_pyramid224.yaml", None, "full"),
                               ("deploy/models/cls_pyramid.yaml", None, "video"),
                               ("tests/fixtures/pipelines/camera_resizer.yaml", None, "video"),
                               ("deploy/models/det_resizer.yaml", [ROI], "full")):
    out = os.path.join(WORK, "raw", os.path.basename(yaml) + range_name)
    args = [*HBPREP, "prepare", "--config", os.path.join(SOURCE, yaml), "--out", out,
            "--raw", "nv12:%dx%d:stride=%d:range=%s" % (W, H, STRIDE, range_name), raw]
    if rois:
        args.insert(2, "--roi=%d,%d,%d,%d" % rois[0])
    run = subprocess.run(args, capture_output=True, text=True)
    model = hbprep.Model(os.path.join(SOURCE, yaml))
    planes = (y_plane, uv_plane) if range_name == "video" else hbprep.Frame(
        y_plane, uv_plane, range="full")
    result = model.prepare([planes], rois=rois)
    same, why, manifest = same_tensors(result, out) if run.returncode == 0 else (
        False, run.stderr, None)
    check("(y, uv) planes with padded rows, %s range, %s: the CLI's --raw bytes" %
          (range_name, os.path.basename(yaml)),
          same and result.warnings == manifest["warnings"], why)

# The board layout: strided=True gives the CLI's .bin files (padded rows, padding zero), for
# a resizer frame whose rows the chip pads (430 -> 448 bytes).
model = hbprep.Model(os.path.join(SOURCE, "deploy", "models", "det_resizer.yaml"))
padded = os.path.join(WORK, "padded.png")
cv2.imwrite(padded, rng.integers(0, 256, (300, 430, 3), dtype=np.uint8))
out = os.path.join(WORK, "bin")
run = subprocess.run([*HBPREP, "prepare", "--config", model.source, "--format", "bin",
                      "--roi=2,4,101,203", "--out", out, padded], capture_output=True, text=True)
with open(os.path.join(out, "manifest.json")) as f:
    manifest = json.load(f)
result = model.prepare([padded], rois=[ROI], strided=True)
bins = {t["name"]: open(os.path.join(out, t["bin_file"]), "rb").read()
        for t in manifest["tensors"] if t["bin_file"].endswith(".bin")}
check("strided=True: flat uint8 arrays equal to the CLI's .bin files (padded rows)",
      run.returncode == 0 and manifest["tensors"][0]["strides"][1] == 448 and
      all(result[n].dtype == np.uint8 and result[n].ndim == 1 and result[n].tobytes() == b
          for n, b in bins.items()) and len(bins) == 2,
      {n: (len(result[n]), len(b)) for n, b in bins.items()})
check.finish()
