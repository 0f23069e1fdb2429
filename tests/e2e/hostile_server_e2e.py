#!/usr/bin/python3
"""The real `hbprep` binary against a hostile server: a Python gRPC proxy in front of the
real hbprep-server that rewrites its answers. Nothing the server sends may be written before
it matches the plan the client asked for, no file lands outside --out, and the client never
crashes (today's client overflowed the heap in PackStrided and wrote `../../x.npy`).

Usage: hostile_server_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import concurrent.futures
import os
import shutil
import subprocess

import cv2
import grpc
import numpy as np

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import Server  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402


# The client writes into WORK/run/a/out, so ../../x.npy would be WORK/run/x.npy.
RUN = os.path.join(WORK, "run")
os.makedirs(RUN)
models = os.path.join(WORK, "models")
shutil.copytree(os.path.join(SOURCE, "deploy", "models"), models)
# A repository model whose input is named like an absolute path on the client.
ABS = os.path.join(WORK, "abs_x")
with open(os.path.join(models, "absname.yaml"), "w") as f:
    f.write("model_parameters: {march: nash-e}\ninput_parameters:\n"
            "  input_name: '%s'\n  input_type_train: featuremap\n  input_type_rt: featuremap\n"
            "  input_layout_train: NCHW\n  input_shape: 1x4\n" % ABS)

image = os.path.join(WORK, "scene.png")
cv2.imwrite(image, np.random.default_rng(3).integers(0, 256, (48, 64, 3), dtype=np.uint8))
feature = os.path.join(WORK, "f.npy")
np.save(feature, np.arange(4, dtype=np.float32).reshape(1, 4))


class Hostile(rpc.InputAdapterServicer):
    """Forwards to the real server; `describe` and `prepare` rewrite the answers."""

    def __init__(self, real):
        self.real = rpc.InputAdapterStub(grpc.insecure_channel(real))
        self.describe = self.prepare = None

    def DescribeModel(self, request, context):
        response = self.real.DescribeModel(request)
        if self.describe:
            self.describe(response)
        return response

    def Prepare(self, request, context):
        response = self.real.Prepare(request)
        if self.prepare:
            self.prepare(response)
        return response


real = Server(BUILD, WORK, "real", models)
hostile = Hostile(real.tcp)
proxy = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=2))
rpc.add_InputAdapterServicer_to_server(hostile, proxy)
port = proxy.add_insecure_port("127.0.0.1:0")
proxy.start()
ADDRESS = "127.0.0.1:%d" % port
OUT = os.path.join(RUN, "a", "out")


def prepare(model="det_resizer", files=(image,)):
    return subprocess.run([*harness.binary(BUILD, "client/hbprep"), "prepare", "--server",
                           ADDRESS, "--model", model, "--format", "bin", "--out", OUT, *files],
                          capture_output=True, text=True, timeout=60)


def tree():
    return sorted(os.path.relpath(os.path.join(d, n), RUN)
                  for d, dirs, files in os.walk(RUN) for n in dirs + files)


def clean():
    shutil.rmtree(RUN)
    os.makedirs(RUN)


try:
    run = prepare()
    check("an honest answer is written", run.returncode == 0 and tree() == sorted(
        ["a", "a/out", "a/out/manifest.json", "a/out/data_y.npy", "a/out/data_y.bin",
         "a/out/data_uv.npy", "a/out/data_uv.bin", "a/out/data_roi.npy", "a/out/data_roi.txt"]),
        run.stderr + str(tree()))
    clean()

    def strides(index, values):
        def rewrite(r):
            del r.tensors[index].strides[:]
            r.tensors[index].strides.extend(values)
        return rewrite

    def set_name(r):
        r.tensors[0].name = "../../x"

    cases = [
        ("a tensor named like a path", set_name,
         "hbprep: server sent tensor '../../x' where the plan has 'data_y'\n"),
        ("Y strides that would overflow the packing buffer", strides(0, [16, 64, 1, 1]),
         "hbprep: server sent tensor 'data_y': strides 16,64,1,1 do not fit shape 1x48x64x1: "
         "image stride 16 is below the image's 3072 bytes\n"),
        ("a ROI without data", lambda r: r.tensors[2].ClearField("data"),
         "hbprep: server sent tensor 'data_roi' with 0 data bytes, its shape 1x4 (int32) "
         "holds 16\n"),
        ("a Y plane one byte short", lambda r: setattr(r.tensors[0], "data",
                                                        r.tensors[0].data[:-1]),
         "hbprep: server sent tensor 'data_y' with 3071 data bytes, its shape 1x48x64x1 "
         "(uint8) holds 3072\n"),
        ("another dtype", lambda r: setattr(r.tensors[0], "dtype", pb.DATA_TYPE_INT32),
         "hbprep: server sent tensor 'data_y' with dtype int32, the plan has uint8\n"),
        ("a tensor too many", lambda r: r.tensors.add().CopyFrom(r.tensors[0]),
         "hbprep: server sent 4 tensor(s), the plan of model 'det_resizer' has 3\n"),
        ("a board layout of 2 GiB", strides(0, [1 << 31, 64, 1, 1]),
         "hbprep: server sent tensor 'data_y' whose board layout [2147483648,64,1,1] takes "
         "2147483648 bytes, over 1073741824\n"),
    ]
    for name, rewrite, message in cases:
        hostile.prepare = rewrite
        run = prepare()
        check("refused before writing: " + name,
              run.returncode == 1 and run.stderr == message and tree() == ["a"],
              "%d %r %s" % (run.returncode, run.stderr, tree()))
        clean()

    # Names that are paths in the plan and the answer alike stay inside --out, encoded.
    hostile.describe = set_name
    hostile.prepare = set_name
    run = prepare()
    check("path-like tensor names are encoded inside --out",
          run.returncode == 0 and os.path.exists(os.path.join(OUT, "%2E.%2F..%2Fx.npy"))
          and not os.path.exists(os.path.join(RUN, "x.npy")), run.stderr + str(tree()))
    clean()
    hostile.describe = lambda r: setattr(r.tensors[1], "name", "data_y")
    hostile.prepare = None
    run = prepare()
    check("a plan with two tensors of one name is exit 2 naming both",
          run.returncode == 2 and run.stderr.startswith(
              "hbprep: model 'det_resizer': tensor 'data_y' of input 'data' and tensor 'data_y' "
              "of input 'data' have the same name; their files would collide\n"), run.stderr)
    hostile.describe = None
    clean()
    run = prepare("absname", [feature])
    encoded = ABS.replace("/", "%2F") + ".npy"
    check("a repository input named like an absolute path writes inside --out",
          run.returncode == 0 and not os.path.exists(ABS + ".npy")
          and os.path.exists(os.path.join(OUT, encoded)), run.stderr + str(tree()))
finally:
    proxy.stop(0)
    real.stop()
check.finish()
