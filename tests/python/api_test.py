#!/usr/bin/python3
"""The Python module's API (python/, `import hbprep`): plans and bindings as `hbprep describe`
gives them; pixel arrays of any strides (odd steps, negative strides, channel views, padded
rows) and NV12/I420 planes equal to their compact copies and to the images they were decoded
from; arrays that own the engine's buffers; prepare_into the caller's arrays (board strides,
flat buffers, every refusal); calib equal to `hbprep calib`; every exception class with the
engine's message (the CLI's, where the CLI reaches the same status); the constructors, the
features forms, the stubs and the docstrings.

Usage: api_test.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.
"""
import ast
import gc
import json
import os
import pydoc
import subprocess
import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
BUILD, SOURCE, WORK, check = harness.setup()
import hbprep  # noqa: E402
from hbprep import _engine  # noqa: E402

HBPREP = harness.binary(BUILD, "client/hbprep")
MODELS = os.path.join(SOURCE, "deploy", "models")
rng = np.random.default_rng(5)


def model_path(name):
    return os.path.join(MODELS, name + ".yaml")


def cli(*args):
    return subprocess.run([*HBPREP, *args], capture_output=True, text=True)


def cli_message(stderr):
    return "\n".join(line[len("hbprep: "):] for line in stderr.splitlines()
                     if line.startswith("hbprep: ") and not line.startswith("hbprep: warning: "))


def same(a, b):
    """Whether two results hold the same tensors: names, dtypes, shapes, bytes."""
    return (list(a) == list(b) and
            all(a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and
                a[k].tobytes() == b[k].tobytes() for k in a))


def raises(call, cls, message):
    """(whether `call` raised `cls` with exactly `message` and its code, what it raised)."""
    try:
        call()
    except hbprep.Error as error:
        return type(error) is cls and str(error) == message and error.message == message, \
            "%s(%r) code %s" % (type(error).__name__, str(error), error.code)
    except Exception as error:  # noqa: BLE001
        return False, "%s(%r)" % (type(error).__name__, str(error))
    return False, "nothing raised"


def write_png(name, pixels):
    path = os.path.join(WORK, name)
    cv2.imwrite(path, pixels)
    return path


# --- plans, bindings, hashes --------------------------------------------------------------
for name in ("cls_pyramid", "det_resizer", "cls_batch8", "fusion_multi", "x5_ssd"):
    model = hbprep.Model(model_path(name))
    for target in ("board", "calibration"):
        run = cli("describe", "--config", model_path(name), "--target", target, "--json")
        check("%s %s: plan() is `hbprep describe --json`" % (name, target),
              run.returncode == 0 and model.plan(target) == json.loads(run.stdout))
listing = json.loads(cli("models", "--models", MODELS, "--json").stdout)
hashes = {m["name"]: m["descriptor_hash"] for m in listing["models"]}
check("descriptor_hash is the repository listing's for every example model",
      all(hbprep.Model(model_path(n)).descriptor_hash == h for n, h in hashes.items()) and
      len(hashes) == 5, hashes)
fusion = hbprep.Model(model_path("fusion_multi"))
check("fusion_multi: the model info's quantisation in the plan, the featuremap file's shape and "
      "dtype in its binding",
      fusion.plan()["tensors"][1]["quantization"] == {"scale": [2 ** -11], "zero_point": [0],
                                                      "axis": -1} and
      fusion.bindings() == [{"input": "image", "image": True, "resizer": False},
                            {"input": "prior", "image": False, "resizer": False,
                             "shape": [1, 64, 8, 8], "dtype": "float32"}],
      (fusion.plan()["tensors"], fusion.bindings()))
check("bindings: one per batch item, resizer images marked",
      len(hbprep.Model(model_path("cls_batch8")).bindings()) == 8 and
      hbprep.Model(model_path("det_resizer")).bindings("board")[0]["resizer"] and
      not hbprep.Model(model_path("det_resizer")).bindings("calibration")[0]["resizer"])

# --- constructors ---------------------------------------------------------------------------
with open(model_path("cls_pyramid")) as f:
    text = f.read()
inline = hbprep.Model(yaml_text=text, name="cls_pyramid")
repo = hbprep.Model(repository=MODELS, name="cls_pyramid")
cls = hbprep.Model(model_path("cls_pyramid"))
check("yaml_text and repository give the config's model (hash, plan)",
      inline.descriptor_hash == repo.descriptor_hash == cls.descriptor_hash and
      inline.plan() == cls.plan() and repo.source == model_path("cls_pyramid"), repr(repo))
check("the repository's model keeps its model info (fusion_multi)",
      hbprep.Model(repository=MODELS, name="fusion_multi").plan() == fusion.plan())
ok, why = raises(lambda: hbprep.Model(repository=MODELS, name="nope"), hbprep.NotFound,
                 "model 'nope' is not in repository '%s' (models: cls_batch8, cls_pyramid, "
                 "det_resizer, fusion_multi, x5_ssd)" % MODELS)
check("an unknown repository model: NotFound listing the models", ok, why)
ok, why = raises(lambda: hbprep.Model(), hbprep.InvalidArgument,
                 "give exactly one of config (a yaml file), yaml_text (its text) or repository "
                 "(a folder, with name)")
check("no descriptor: InvalidArgument", ok, why)
bad_yaml = text.replace("input_type_rt: nv12", "input_type_rt: nv12\n  input_shape_typo: 1")
bad_path = os.path.join(WORK, "bad.yaml")
with open(bad_path, "w") as f:
    f.write(text.replace("input_shape: 1x3x224x224", "input_shape: 1x3x225x224"))
run = cli("describe", "--config", bad_path)
ok, why = raises(lambda: hbprep.Model(bad_path), hbprep.InvalidArgument, cli_message(run.stderr))
check("an invalid descriptor: InvalidArgument with the CLI's message (every error)", ok and
      "225" in cli_message(run.stderr), why)
with_info = hbprep.Model(model_path("det_resizer"),
                         model_info=os.path.join(SOURCE, "tests/fixtures/model_info/"
                                                 "det_resizer_j6.txt"))
check("model_info= attaches the compiled model (the plan names it)",
      with_info.plan()["model_info"].endswith("det_resizer_j6.txt"), with_info.plan())

# --- pixel arrays of any strides ------------------------------------------------------------
model = cls
calib_model = hbprep.Model(model_path("x5_ssd"))
big = rng.integers(0, 256, (480, 642, 3), dtype=np.uint8)
base = np.ascontiguousarray(big[:240, :321])
reference = model.prepare([base])
check("a BGR array equals its PNG's decode", same(reference, model.prepare(
    [write_png("base.png", base)])))
views = {
    "padded rows (a crop of a wider image: viewed in place)": big[:240, :321],
    "odd steps (every 2nd row, 3rd column)": big[::2, ::3],
    "negative row stride (flipped upside down)": big[::-1][:240],
    "negative column stride (mirrored)": big[:240, ::-1],
    "reversed channels (a channel view)": big[:240, :321, ::-1],
    "Fortran order": np.asfortranarray(big[:240, :321]),
    "a transposed view": big[:321, :240].transpose(1, 0, 2),
}
for what, view in views.items():
    for m, target in ((model, "board"), (calib_model, "calibration")):
        got = m.prepare([view], target)
        want = m.prepare([np.ascontiguousarray(view)], target)
        png = m.prepare([write_png("view.png", np.ascontiguousarray(view))], target)
        check("%s, %s %s: equals its compact copy and its PNG" % (what, m.name, target),
              same(got, want) and same(got, png), {k: v.shape for k, v in got.items()})
rgb = np.ascontiguousarray(base[..., ::-1])
check("Frame(rgb, format='rgb') equals the BGR array",
      same(model.prepare([hbprep.Frame(rgb, format="rgb")]), reference))
check("a reversed-channel view named rgb equals the BGR array (the view copied)",
      same(model.prepare([hbprep.Frame(big[:240, :321, ::-1], format="rgb")]), reference))
gray = np.ascontiguousarray(big[:240, :321, 1])
gray_png = model.prepare([write_png("gray.png", gray)])
check("(H, W) and (H, W, 1) gray arrays equal the gray PNG's decode, strided or not",
      same(model.prepare([gray]), gray_png) and same(model.prepare([gray[:, :, None]]), gray_png)
      and same(model.prepare([big[:240, :321, 1]]), gray_png))
check("one file alone, without a list", same(model.prepare(base), reference))

# NV12 and I420 planes: views, copies and forms agree.
H, W, STRIDE = 240, 320, 384
buffer = rng.integers(16, 236, STRIDE * H * 3 // 2, dtype=np.uint8)
y = buffer[:STRIDE * H].reshape(H, STRIDE)[:, :W]
uv_rows = buffer[STRIDE * H:].reshape(H // 2, STRIDE)[:, :W]
uv = uv_rows.reshape(H // 2, W // 2, 2)
nv12 = model.prepare([(y, uv)])
check("(y, uv) planes: the UV plane as (H/2, W/2, 2) pairs or (H/2, W) rows",
      same(nv12, model.prepare([(y, uv_rows)])))
check("(y, uv) planes equal their compact copies and the packed raw buffer's view",
      same(nv12, model.prepare([(np.ascontiguousarray(y), np.ascontiguousarray(uv))])))
y_wide = np.repeat(y, 2, axis=1)
check("a Y plane viewed every 2nd column (copied) equals its copy",
      same(model.prepare([(y_wide[:, ::2], uv)]), nv12))
check("(y, u, v) I420 planes equal the NV12 planes they interleave",
      same(model.prepare([(y, np.ascontiguousarray(uv[..., 0]), uv[..., 1])]), nv12))
check("Frame(y, uv, range='full') differs from video range (the range converted)",
      not same(model.prepare([hbprep.Frame(y, uv, range="full")]), nv12))

# --- zero copy --------------------------------------------------------------------------------
result = model.prepare([base])
y_array = result["images_y"]
kept = y_array.copy()
check("the arrays own the engine's buffers: a capsule is their base, no copy of their own",
      type(y_array.base).__name__ == "PyCapsule" and "hbprep.tensor" in repr(y_array.base) and
      not y_array.flags.owndata and y_array.flags.c_contiguous and y_array.flags.writeable,
      (repr(y_array.base), y_array.flags))
check("each array its own buffer", not np.shares_memory(result["images_y"], result["images_uv"])
      and not np.shares_memory(y_array, model.prepare([base])["images_y"]))
other = hbprep.Model(model_path("cls_pyramid"))
y_other = other.prepare([base])["images_y"]
del result, other
gc.collect()
junk = [model.prepare([rng.integers(0, 256, (240, 321, 3), dtype=np.uint8)]) for _ in range(20)]
del junk
check("an array outlives its result and its model, its bytes unchanged",
      np.array_equal(y_array, kept) and np.array_equal(y_other, kept))
check("Result is a dict (what HBRuntime takes) with warnings, geometry, timings",
      isinstance(reference, dict) and list(reference) == ["images_y", "images_uv"] and
      reference.warnings == [] and isinstance(reference.geometry[0], hbprep.Geometry) and
      set(reference.timings) == {"decode_us", "transform_us", "pack_us"} and
      repr(reference).startswith("hbprep.Result({'images_y': uint8 (1, 224, 224, 1)"),
      repr(reference))
g = reference.geometry[0]
check("Geometry maps tensor pixels to source points (ShortSideResize 256, CenterCrop 224)",
      g.source == (321, 240) and g.pad == (0, 0) and g.size == (224, 224) and
      np.allclose(g.to_source(0, 0), g.window[:2]) and
      np.allclose(g.to_source(224, 224), (g.window[0] + g.window[2], g.window[1] + g.window[3])),
      repr(g))

# --- prepare_into ------------------------------------------------------------------------------
det = hbprep.Model(model_path("det_resizer"))
ROI = (2, 4, 101, 203)
frame = rng.integers(0, 256, (300, 430, 3), dtype=np.uint8)  # rows 430 -> 448 bytes on nash-m
outputs = det.empty_outputs([frame], rois=[ROI])
for array in outputs.values():
    array.base[:] = 0xA5  # padding must keep it
dense = det.prepare([frame], rois=[ROI])
board = det.prepare([frame], rois=[ROI], strided=True)
written = det.prepare_into(outputs, [frame], rois=[ROI])
check("empty_outputs: strided views over one buffer each, in the board's layout",
      outputs["data_y"].strides == (134400, 448, 1, 1) and outputs["data_y"].base.nbytes == 134400
      and det.output_specs([frame], rois=[ROI])[1]["nbytes"] == 67200,
      {k: (v.shape, v.strides) for k, v in outputs.items()})
padding = outputs["data_y"].base.reshape(300, 448)[:, 430:]
check("prepare_into: the caller's arrays hold prepare's tensors, padding untouched",
      all(written[k] is outputs[k] for k in outputs) and
      all(np.array_equal(outputs[k], dense[k]) for k in dense) and (padding == 0xA5).all())
# A runtime's tensor as an array: its memory ends with its last element (no padding after the
# last row), as numpy's own bound for a view lets it.
tight = {k: np.ndarray(v.shape, v.dtype, buffer=bytearray(v.base.nbytes - (448 - v.shape[2] *
                                                                          v.shape[3])),
                       strides=v.strides) if k != "data_roi" else np.zeros((1, 4), np.int32)
         for k, v in outputs.items()}
det.prepare_into(tight, [frame], rois=[ROI])
check("prepare_into a strided array whose memory ends with its last element",
      all(np.array_equal(tight[k], dense[k]) for k in dense) and
      len(tight["data_y"].base) == 134382, {k: v.base and len(v.base) for k, v in tight.items()})
flat = {k: np.zeros(v.nbytes, np.uint8) for k, v in board.items()}
det.prepare_into(list(flat.values()), [frame], rois=[ROI])
check("prepare_into flat uint8 buffers (a list in plan order) equals strided=True",
      all(flat[k].tobytes() == board[k].tobytes() for k in board))
specs = det.output_specs([frame], rois=[ROI])
takes_y = ("it takes a uint8 array of shape (1, 300, 430, 1) with strides (134400, 448, 1, 1), "
           "or a C-contiguous uint8 buffer of at least 134400 bytes")
takes_uv = ("it takes a uint8 array of shape (1, 150, 215, 2) with strides (67200, 448, 2, 1), "
            "or a C-contiguous uint8 buffer of at least 67200 bytes")
read_only = outputs["data_uv"].base.copy()
read_only.flags.writeable = False
small = np.zeros(100, np.uint8)
refusals = {
    "dense arrays for a padded layout": (
        {"data_y": np.zeros((1, 300, 430, 1), np.uint8)},
        "output 0 (tensor 'data_y'): its strides (129000, 430, 1, 1) are not the layout's; " +
        takes_y),
    "a float32 array": (
        {"data_y": outputs["data_y"].astype(np.float32)},
        "output 0 (tensor 'data_y'): a float32 array of shape (1, 300, 430, 1); " + takes_y),
    "a buffer too small": (
        {"data_y": np.zeros(134399, np.uint8)},
        "output 0 (tensor 'data_y'): a uint8 buffer of 134399 bytes; " + takes_y),
    "a read-only buffer": (
        {"data_uv": read_only},
        "output 1 (tensor 'data_uv'): a read-only array; " + takes_uv),
    "a view beyond its memory (as_strided over 100 bytes)": (
        {"data_y": np.lib.stride_tricks.as_strided(small, (1, 300, 430, 1),
                                                   (134400, 448, 1, 1))},
        "output 0 (tensor 'data_y'): its elements run 134382 bytes from its start, beyond the "
        "100 bytes of the memory it lies in; " + takes_y),
    "a non-contiguous uint8 buffer": (
        {"data_y": np.zeros(2 * 134400, np.uint8)[::2]},
        "output 0 (tensor 'data_y'): a non-contiguous uint8 array of shape (134400,); " +
        takes_y),
    "a list": (
        {"data_y": [0] * 10},
        "output 0 (tensor 'data_y'): a list, not a numpy array"),
}
for what, (change, message) in refusals.items():
    outs = dict(outputs, **change)
    ok, why = raises(lambda: det.prepare_into(outs, [frame], rois=[ROI]), hbprep.InvalidArgument,
                     message)
    check("prepare_into refuses %s, naming the output, its tensor and the bytes" % what, ok, why)
ok, why = raises(lambda: det.prepare_into({"data_y": outputs["data_y"]}, [frame], rois=[ROI]),
                 hbprep.InvalidArgument, "outputs: no array for tensor 'data_uv' (output 1 of 3)")
check("prepare_into refuses a missing output", ok, why)
ok, why = raises(lambda: det.prepare_into(dict(outputs, extra=small), [frame], rois=[ROI]),
                 hbprep.InvalidArgument,
                 "outputs: 'extra' is not a tensor of model 'det_resizer' for target board "
                 "(tensors: data_y, data_uv, data_roi)")
check("prepare_into refuses an unknown name", ok, why)
ok, why = raises(lambda: det.prepare_into(list(outputs.values())[:2], [frame], rois=[ROI]),
                 hbprep.InvalidArgument,
                 "outputs: 2 array(s) for the plan's 3 tensors (data_y, data_uv, data_roi)")
check("prepare_into refuses a short list", ok, why)

# --- features ----------------------------------------------------------------------------------
prior = rng.standard_normal((1, 64, 8, 8)).astype(np.float32)
prior_path = os.path.join(WORK, "prior.npy")
np.save(prior_path, prior)
by_path = fusion.prepare([base, prior_path])
check("features as a dict, an array (float64 taken as float32, any strides) and the gRPC "
      "client's positions equal the .npy file",
      same(fusion.prepare([base], features={"prior": prior}), by_path) and
      same(fusion.prepare([base, prior.astype(np.float64)]), by_path) and
      same(fusion.prepare([base], features={"prior": np.asfortranarray(prior)}), by_path) and
      same(fusion.prepare([base, prior_path], features=[1]), by_path) and
      by_path.geometry[1] is None)
ok, why = raises(lambda: fusion.prepare([base], features={"priors": prior}),
                 hbprep.InvalidArgument,
                 "features: 'priors' is not a featuremap input of model 'fusion_multi' "
                 "(featuremap inputs: prior)")
check("features naming no featuremap input", ok, why)
ok, why = raises(lambda: fusion.prepare([base, prior_path], features=[0]), hbprep.InvalidArgument,
                 "features: position 0 feeds image input 'image', not a featuremap")
check("features positions that are images", ok, why)

# --- calib -------------------------------------------------------------------------------------
samples = os.path.join(WORK, "samples")
os.makedirs(os.path.join(samples, "sub"))
for i in range(7):
    cv2.imwrite(os.path.join(samples, "sub" if i % 2 else "", "img%02d.png" % i),
                rng.integers(0, 256, (90 + i, 120, 3), dtype=np.uint8))
cv2.imwrite(os.path.join(samples, "blank.png"), np.full((64, 64, 3), 80, np.uint8))
for args, kwargs in (((), {}), (("--limit", "4", "--seed", "3"), {"limit": 4, "seed": 3}),
                     (("--keep-blank",), {"keep_blank": True})):
    out_cli, out_py = os.path.join(WORK, "cal_cli"), os.path.join(WORK, "cal_py")
    run = cli("calib", "--config", model_path("cls_pyramid"), "--jobs", "1", "--out", out_cli,
              *args, samples)
    manifest = cls.calib(samples, out=out_py, **kwargs)

    def listing_of(root):
        return sorted(os.path.relpath(os.path.join(d, f), root)
                      for d, _, files in os.walk(root) for f in files)

    files_cli, files_py = listing_of(out_cli), listing_of(out_py)
    same_files = files_cli == files_py and all(
        open(os.path.join(out_cli, f), "rb").read() == open(os.path.join(out_py, f), "rb").read()
        for f in files_cli if f != "manifest.json")
    with open(os.path.join(out_cli, "manifest.json")) as f:
        manifest_cli = f.read().replace("(--keep-blank keeps", "(keep_blank=True keeps")
    with open(os.path.join(out_py, "manifest.json")) as f:
        manifest_py = f.read()
    check("calib(%s) writes `hbprep calib %s`'s files and manifest, and returns the manifest" %
          (kwargs, " ".join(args)),
          run.returncode == 0 and same_files and manifest_cli == manifest_py and
          manifest == json.loads(manifest_py) and len(files_py) > 3,
          (run.stderr, files_cli, files_py))
check("calib's warnings are the CLI's (a blank image skipped, the sample count)",
      manifest["warnings"] == [w[len("hbprep: warning: "):] for w in run.stderr.splitlines()
                               if w.startswith("hbprep: warning: ")], manifest["warnings"])

# --- every exception class, with the engine's message ---------------------------------------
junk = os.path.join(WORK, "junk.jpg")
with open(junk, "wb") as f:
    f.write(b"not an image")
run = cli("prepare", "--config", model_path("cls_pyramid"), "--out", os.path.join(WORK, "x"), junk)
ok, why = raises(lambda: cls.prepare([junk]), hbprep.InvalidArgument, cli_message(run.stderr))
check("InvalidArgument (a ValueError): an undecodable image, the CLI's message",
      ok and issubclass(hbprep.InvalidArgument, ValueError), why)
ok, why = raises(lambda: cls.prepare([b"junk"]), hbprep.InvalidArgument,
                 "image 0: not a supported image format (JPEG, PNG, BMP, WebP, TIFF)")
check("InvalidArgument: bytes are named by their place", ok, why)
missing = os.path.join(WORK, "missing.jpg")
run = cli("prepare", "--config", model_path("cls_pyramid"), "--out", os.path.join(WORK, "x"),
          missing)
ok, why = raises(lambda: cls.prepare([missing]), hbprep.NotFound, cli_message(run.stderr))
try:
    cls.prepare([missing])
except KeyError as error:
    as_key_error = str(error) == missing + ": cannot read file" and error.code == "NOT_FOUND"
check("NotFound (a KeyError, str unquoted): a file that cannot be read, the CLI's message",
      ok and as_key_error, why)
big_png = write_png("big.png", np.zeros((150, 200, 3), np.uint8))
run = cli("prepare", "--config", model_path("cls_pyramid"), "--max-side", "100", "--out",
          os.path.join(WORK, "x"), big_png)
limited = hbprep.Model(model_path("cls_pyramid"), max_side=100)
ok, why = raises(lambda: limited.prepare([big_png]), hbprep.ResourceExhausted,
                 cli_message(run.stderr))
check("ResourceExhausted: an image beyond max_side, the CLI's --max-side message",
      ok and "over the limit" in cli_message(run.stderr), why)
ok, why = raises(lambda: limited.prepare([big[::-1]]), hbprep.ResourceExhausted,
                 "image 0: raw bgr 642x480 is over the limit of 100x100 and 67108864 pixels")
check("ResourceExhausted: a strided array beyond the limits before it is copied", ok, why)
a_file = os.path.join(WORK, "a_file")
open(a_file, "w").close()
ok, why = raises(lambda: cls.calib(samples, out=a_file), hbprep.FailedPrecondition,
                 "out '%s' exists and is not a folder; not replaced" % a_file)
check("FailedPrecondition: calib over a file", ok, why)
try:
    cls.calib(samples, out="/proc/hbprep-test")
    unavailable = (False, "nothing raised")
except hbprep.Unavailable as error:
    unavailable = (str(error).startswith("/proc/hbprep-test.hbprep-tmp-%d: cannot create folder: "
                                         % os.getpid()) and isinstance(error, OSError) and
                   error.code == "UNAVAILABLE", str(error))
check("Unavailable (an OSError): an output folder that cannot be made", *unavailable)
for code, cls_, builtin in ((1, hbprep.Cancelled, None), (4, hbprep.DeadlineExceeded, TimeoutError),
                            (13, hbprep.Internal, RuntimeError), (2, hbprep.Error, None)):
    gate = _engine._TestGate(10.0)
    gate.fail(code, "made to fail with code %d" % code)
    _engine._set_test_gate(gate)
    try:
        ok, why = raises(lambda: cls.prepare([base]), cls_, "made to fail with code %d" % code)
    finally:
        _engine._set_test_gate(None)
    check("%s%s: a status from inside the engine" % (
        cls_.__name__, " (a %s)" % builtin.__name__ if builtin else ""),
        ok and (builtin is None or issubclass(cls_, builtin)), why)
check("every class is an hbprep.Error", all(issubclass(c, hbprep.Error) for c in (
    hbprep.InvalidArgument, hbprep.NotFound, hbprep.ResourceExhausted, hbprep.FailedPrecondition,
    hbprep.Cancelled, hbprep.DeadlineExceeded, hbprep.Unavailable, hbprep.Internal)))
argument_errors = {
    "an unknown target": (lambda: cls.prepare([base], "boards"),
                          "target 'boards' is not one of board, calibration, onnx, "
                          "oe1_float_onnx, oe1_quantized_onnx"),
    "an unknown NV12 recipe": (lambda: cls.prepare([base], nv12_recipe="fast"),
                               "nv12_recipe 'fast' is not one of auto, calc, calc_f32, opencv"),
    "an unknown decode mode": (lambda: cls.prepare([base], decode="slow"),
                               "decode 'slow' is not one of exact, fast"),
    "a float32 pixel array": (lambda: cls.prepare([base.astype(np.float32)]),
                              "image 0: the pixel plane is a float32 array; pixels are uint8"),
    "an (H, W, 4) array": (lambda: cls.prepare([np.zeros((4, 4, 4), np.uint8)]),
                           "image 0: a uint8 array of shape (4, 4, 4) is not (H, W, 3) BGR or "
                           "(H, W) gray pixels"),
    "a UV plane of the wrong size": (
        lambda: cls.prepare([(y, uv[:60])]),
        "image 0: the UV plane's shape (60, 160, 2) does not fit a 320x240 frame: nv12 takes "
        "(120, 160, 2) or (120, 320)"),
    "an int": (lambda: cls.prepare([42]),
               "image 0: a int is not an image; give a path, encoded bytes, a uint8 array ((H, W, "
               "3) BGR or (H, W) gray), a (y, uv) tuple of NV12 planes or an hbprep.Frame"),
    "a bad ROI": (lambda: det.prepare([frame], rois=[(1, 2, 3)]),
                  "rois[0]: (1, 2, 3) is not (left, top, right, bottom)"),
    "a wrong number of images": (lambda: cls.prepare([base, base]),
                                 "model 'cls_pyramid' takes 1 file(s) per request for target "
                                 "board (1 for 'images'), got 2"),
    "a ROI for a pyramid input": (lambda: cls.prepare([base], rois=[ROI]),
                                  "image 0: a ROI was given but input 'images' is not a "
                                  "resizer input"),
    "an unknown Frame format": (lambda: hbprep.Frame(base, format="bgra"),
                                "format 'bgra' is not one of bgr, rgb, gray, nv12, i420"),
}
for what, (call, message) in argument_errors.items():
    ok, why = raises(call, hbprep.InvalidArgument, message)
    check("InvalidArgument for %s" % what, ok, why)
try:
    cls.prepare([base], target=3)
    type_error = False
except TypeError:
    type_error = True
check("a target that is not a str: TypeError", type_error)

# --- stubs and docstrings ----------------------------------------------------------------------
stubs = ast.parse(open(os.path.join(BUILD, "python", "hbprep", "__init__.pyi")).read())
stubbed = {n.name for n in stubs.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
model_stub = next(n for n in stubs.body if isinstance(n, ast.ClassDef) and n.name == "Model")
stub_methods = {n.name for n in model_stub.body if isinstance(n, ast.FunctionDef)}
public = {n for n in dir(hbprep.Model) if not n.startswith("_")}
check("the stubs name every exported class and function and every Model method",
      set(hbprep.__all__) - {"TARGETS"} <= stubbed and public <= stub_methods,
      (set(hbprep.__all__) - stubbed, public - stub_methods))
text = pydoc.render_doc(hbprep.Model.prepare, renderer=pydoc.plaintext)
check("help(hbprep.Model.prepare) holds the signature and says what goes in and comes out",
      all(w in text for w in ("images", "target", "rois", "nv12_recipe", "(y, uv)", "strides",
                              "Frame", "own", "GIL", "InvalidArgument", "dtype")), text[:300])
check("help() of the other calls and classes is there",
      all(len((c.__doc__ or "")) > 80 for c in (
          hbprep, hbprep.Model, hbprep.Model.__init__, hbprep.Model.plan,
          hbprep.Model.prepare_into, hbprep.Model.calib, hbprep.Frame, hbprep.Geometry,
          hbprep.Result, hbprep.Error, hbprep.InvalidArgument)))
if os.path.isdir(os.path.join(BUILD, "python", "hbprep", "v1")):
    import hbprep.v1.hbprep_pb2 as pb  # noqa: E402
    check("import hbprep.v1 beside the module (the gRPC stubs)", hasattr(pb, "PrepareRequest"))
check.finish()
