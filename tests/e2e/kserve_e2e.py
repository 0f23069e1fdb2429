#!/usr/bin/python3
"""End-to-end tests of the Open Inference Protocol (KServe v2) service of the real
hbprep-server: the kserve_v2 helper of the Python client against the native API (hbprep.v1)
for every example model and target, over TCP and a unix socket; a request written with the
bare protocol stubs, the way a standard client builds it; streaming; errors; limits; auth;
metrics. And the native client's arrays against the in-process Python module's (`import
hbprep`), when the build has it.

Usage: kserve_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.
"""
import os
import re
import struct
import urllib.request

import cv2
import numpy as np

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from hbprep_client import Client, HbprepError  # noqa: E402
from hbprep_client.kserve_v2 import InferenceClient  # noqa: E402
import grpc  # noqa: E402
from inference import grpc_predict_v2_pb2 as pb  # noqa: E402
from inference import grpc_predict_v2_pb2_grpc as rpc  # noqa: E402
import hbprep  # noqa: E402  the stubs' package: the in-process module too when it is built
MODULE = hbprep if hasattr(hbprep, "Model") else None


rng = np.random.default_rng(10)
y, x = np.mgrid[0:375, 0:500]
photo = np.stack([x * 0.5, y * 0.6, (x + y) * 0.2 + 40], -1) + rng.normal(0, 10, (375, 500, 3))
PHOTO = cv2.imencode(".jpg", np.clip(photo, 0, 255).astype(np.uint8),
                     [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
ODD = cv2.imencode(".png", rng.integers(0, 256, (301, 417, 3), dtype=np.uint8))[1].tobytes()
PRIOR = rng.standard_normal((1, 64, 8, 8)).astype(np.float32)


def npy(array):
    path = os.path.join(WORK, "prior.npy")
    np.save(path, array)
    with open(path, "rb") as f:
        return f.read()


# One request of each example model per target: (images, ROIs).
REQUESTS = harness.example_requests(PHOTO, ODD)


def Server(name, *flags):
    return harness.Server(BUILD, WORK, name, os.path.join(SOURCE, "deploy", "models"), *flags)


server = Server("main", "--metrics-listen", "127.0.0.1:0", "--max-side", "4096")
try:
    for n, address in enumerate([server.tcp, server.unix]):
        transport = address.split(":")[0]
        oip = InferenceClient(address)
        native = Client(address)
        check("ServerLive/ServerReady over %s" % transport,
              oip.server_live() and oip.server_ready())
        # Every model and target; image bytes in raw_input_contents over one transport and
        # in contents over the other.
        for model, targets in sorted(REQUESTS.items()):
            for target, (images, rois) in targets.items():
                features = {"prior": PRIOR} if model == "fusion_multi" else None
                files = images + ([npy(PRIOR)] if features else [])
                want = native.prepare(model, files, target=target, rois=rois,
                                      features=[len(images)] if features else None)
                if MODULE and n == 0:
                    # The gRPC client and the in-process module: one dict, the same arrays.
                    local = MODULE.Model(os.path.join(SOURCE, "deploy", "models", model + ".yaml"))
                    got = local.prepare(files, target, rois=rois,
                                        features=[len(images)] if features else None)
                    check("%s %s: the gRPC client's arrays are the Python module's" %
                          (model, target),
                          list(got) == list(want) and
                          all(got[k].dtype == want[k].dtype and got[k].shape == want[k].shape and
                              np.array_equal(got[k], want[k]) for k in want),
                          {k: (v.dtype, v.shape) for k, v in got.items()})
                got = oip.infer(model, images=images, rois=rois, features=features,
                                target=target, binary=(n == 0))
                same = (list(got) == list(want) and
                        all(got[k].dtype == want[k].dtype and got[k].shape == want[k].shape and
                            np.array_equal(got[k], want[k]) for k in want))
                check("%s %s over %s (%s) equals the native API" %
                      (model, target, transport, "raw" if n == 0 else "contents"), same,
                      {k: (v.dtype, v.shape) for k, v in got.items()})
        oip.close()
        native.close()

    oip = InferenceClient(server.tcp)
    meta = oip.model_metadata("det_resizer")
    check("ModelMetadata of det_resizer",
          meta == {"name": "det_resizer", "versions": ["1"], "platform": "hbprep",
                   "inputs": [{"name": "IMAGE", "datatype": "BYTES", "shape": [-1]},
                              {"name": "ROI", "datatype": "INT32", "shape": [-1, 4]}],
                   "outputs": [{"name": "data_y", "datatype": "UINT8", "shape": [1, -1, -1, 1]},
                               {"name": "data_uv", "datatype": "UINT8", "shape": [1, -1, -1, 2]},
                               {"name": "data_roi", "datatype": "INT32", "shape": [1, 4]}]},
          meta)
    check("ServerMetadata", oip.server_metadata()["name"] == "hbprep")
    check("ModelReady", oip.model_ready("cls_pyramid") and not oip.model_ready("nope"))

    # The README's example: a request built with nothing but the protocol's stubs, as a
    # standard client (tritonclient, the kserve SDK) builds it.
    channel = grpc.insecure_channel(server.tcp)
    stub = rpc.GRPCInferenceServiceStub(channel)
    request = pb.ModelInferRequest(model_name="det_resizer", id="frame-1")
    request.inputs.add(name="IMAGE", datatype="BYTES", shape=[1])
    request.inputs.add(name="ROI", datatype="INT32", shape=[1, 4])
    request.raw_input_contents.append(struct.pack("<I", len(ODD)) + ODD)
    request.raw_input_contents.append(np.array([[2, 4, 101, 203]], "<i4").tobytes())
    request.parameters["nv12_recipe"].string_param = "opencv"
    response = stub.ModelInfer(request, timeout=60)
    arrays = {o.name: np.frombuffer(raw, {"UINT8": np.uint8, "INT32": np.int32}[o.datatype])
              .reshape(o.shape) for o, raw in zip(response.outputs, response.raw_output_contents)}
    want = Client(server.tcp).prepare("det_resizer", [ODD], rois=[(2, 4, 101, 203)],
                                      nv12_recipe="opencv")
    check("bare-stub request (README) equals the native API",
          response.id == "frame-1" and list(arrays) == ["data_y", "data_uv", "data_roi"] and
          all(np.array_equal(arrays[k], want[k]) for k in want) and
          arrays["data_y"].shape == (1, 300, 416, 1) and  # the whole (even) frame; ROI apart
          arrays["data_roi"].tolist() == [[2, 4, 101, 203]], {k: v.shape for k, v in arrays.items()})
    channel.close()

    # Streaming: in order, errors answered in place.
    requests = [InferenceClient.request("cls_pyramid", images=[PHOTO], request_id="a"),
                InferenceClient.request("cls_pyramid", images=[b"broken"], request_id="b"),
                InferenceClient.request("nope", images=[PHOTO], request_id="c"),
                InferenceClient.request("cls_batch8", images=[PHOTO] * 8, request_id="d")]
    answers = list(oip.stream(requests))
    check("ModelStreamInfer answers in order and goes on after errors",
          [a[0] for a in answers] == ["a", "b", "c", "d"] and answers[0][1] is not None and
          answers[1][2] == ("INVALID_ARGUMENT",
                            "IMAGE[0]: not a supported image format (JPEG, PNG, BMP, WebP, TIFF)")
          and answers[2][2][0] == "NOT_FOUND" and len(answers[3][1]) == 16,
          [(a[0], a[2]) for a in answers])

    # Limits: the server's --max-side, with the native message.
    big = cv2.imencode(".png", np.zeros((8, 5000, 3), np.uint8))[1].tobytes()
    errors = []
    for call in (lambda: oip.infer("cls_pyramid", images=[big]),
                 lambda: Client(server.tcp).prepare("cls_pyramid", [big])):
        try:
            call()
            errors.append(None)
        except HbprepError as error:
            errors.append((error.code, error.message.replace("image 0", "IMAGE[0]", 1)))
    check("the size limit applies with the native message",
          errors[0] is not None and errors[0] == errors[1] and "4096" in errors[0][1], errors)

    # Metrics: infer calls are counted like Prepare.
    port = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", server.text()).group(1)
    text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=10).read().decode()
    check("metrics count ModelInfer and ModelStreamInfer",
          re.search(r'hbprep_requests_total\{method="ModelInfer",model="cls_batch8",'
                    r'target="onnx",code="OK"\} 2', text) is not None and
          'method="ModelStreamInfer",model="unknown",target="board",code="NOT_FOUND"} 1' in text,
          [line for line in text.splitlines() if "ModelInfer" in line or "Stream" in line])
    oip.close()
finally:
    check("server exits 0 on SIGTERM", server.stop() == 0)

# Auth: the token applies to everything but ServerLive and ServerReady.
token_file = os.path.join(WORK, "token")
with open(token_file, "w") as f:
    f.write("s3cret\n")
auth = Server("auth", "--auth-token-file", token_file)
try:
    anonymous = InferenceClient(auth.tcp)
    check("auth: ServerLive and ServerReady answer without a token",
          anonymous.server_live() and anonymous.server_ready())
    try:
        anonymous.infer("cls_pyramid", images=[PHOTO])
        refused = None
    except HbprepError as error:
        refused = (error.code, error.message)
    check("auth: ModelInfer without a token is UNAUTHENTICATED",
          refused == (grpc.StatusCode.UNAUTHENTICATED,
                      "missing 'authorization: Bearer <token>' metadata"), refused)
    with InferenceClient(auth.unix, token="s3cret") as client:
        check("auth: with the token", client.infer("cls_pyramid", images=[PHOTO])["images_y"]
              .shape == (1, 224, 224, 1))
finally:
    check("auth server exits 0 on SIGTERM", auth.stop() == 0)

check.finish()
