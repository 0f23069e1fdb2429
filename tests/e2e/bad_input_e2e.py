#!/usr/bin/python3
"""Hostile and broken input against the real hbprep-server: each request gets the right
status code and a message naming the problem, and the server stays up and answers the next
good request exactly as before.

Usage: bad_input_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import re
import signal
import struct
import subprocess
import time
import zlib

import cv2
import grpc
import numpy as np

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import start_server  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402


server, log, port = start_server(BUILD, WORK, "server", os.path.join(SOURCE, "deploy", "models"),
                                 "--max-message-bytes", "4000000")
channel = grpc.insecure_channel("127.0.0.1:%d" % port,
                                options=[("grpc.max_send_message_length", 64 << 20)])
stub = rpc.InputAdapterStub(channel)

rng = np.random.default_rng(9)
image = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
jpeg = cv2.imencode(".jpg", image)[1].tobytes()
png = cv2.imencode(".png", image)[1].tobytes()


def png_claiming(width, height):
    """A PNG whose header claims width x height, with a valid CRC and no pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def encoded(model, data, roi=None):
    request = pb.PrepareRequest(model_name=model)
    item = request.images.add(encoded=data, id="img")
    if roi:
        item.roi.left, item.roi.top, item.roi.right, item.roi.bottom = roi
    return request


def raw(model, fmt, width, height, data, stride=0):
    request = pb.PrepareRequest(model_name=model)
    item = request.images.add(id="img")
    item.raw.format = fmt
    item.raw.width, item.raw.height, item.raw.stride = width, height, stride
    item.raw.data = data
    return request


good_request = encoded("cls_pyramid", jpeg)
good = stub.Prepare(good_request, timeout=30)
inline_bad = pb.PrepareRequest()
inline_bad.inline_descriptor.yaml = "model_parameters: [march: nash-e\n"
inline_bad.images.add(encoded=jpeg)
zero_images = pb.PrepareRequest(model_name="cls_pyramid")
OK_ = grpc.StatusCode
cases = [
    ("truncated JPEG", encoded("cls_pyramid", jpeg[:len(jpeg) // 2]), OK_.INVALID_ARGUMENT,
     "img: truncated JPEG (no end-of-image marker)"),
    ("corrupt JPEG", encoded("cls_pyramid", jpeg[:20] + bytes(200) + jpeg[-2:]),
     OK_.INVALID_ARGUMENT, "img: "),
    ("truncated PNG", encoded("cls_pyramid", png[:len(png) // 2]), OK_.INVALID_ARGUMENT,
     "img: PNG cannot be decoded (corrupt or truncated)"),
    ("zero-byte image", encoded("cls_pyramid", b""), OK_.INVALID_ARGUMENT,
     "img: the image is empty (0 bytes)"),
    ("header claims 65535x65535", encoded("cls_pyramid", png_claiming(65535, 65535)),
     OK_.RESOURCE_EXHAUSTED, "img: PNG header declares 65535x65535, over the limit"),
    ("raw buffer shorter than height x stride",
     raw("cls_pyramid", pb.PIXEL_FORMAT_BGR, 64, 48, bytes(64 * 3 * 47), stride=64 * 3),
     OK_.INVALID_ARGUMENT, "img: raw bgr 64x48 stride 192 needs 9216 bytes, got 9024"),
    ("odd NV12 size", raw("cls_pyramid", pb.PIXEL_FORMAT_NV12, 63, 48, bytes(63 * 72)),
     OK_.INVALID_ARGUMENT, "img: raw nv12 63x48: nv12 needs even width and height"),
    ("ROI outside the image", encoded("det_resizer", jpeg, (0, 0, 128, 95)),
     OK_.INVALID_ARGUMENT, "img: ROI 0,0,128,95 lies outside the 128x96 image"),
    ("ROI with right < left", encoded("det_resizer", jpeg, (50, 10, 40, 20)),
     OK_.INVALID_ARGUMENT, "img: ROI 50,10,40,20 has right < left or bottom < top"),
    ("negative dimensions", raw("cls_pyramid", pb.PIXEL_FORMAT_GRAY, -4, 8, bytes(32)),
     OK_.INVALID_ARGUMENT, "img: raw gray -4x8: width and height must be positive"),
    ("huge dimensions", raw("cls_pyramid", pb.PIXEL_FORMAT_GRAY, 1 << 30, 1 << 30, bytes(8)),
     OK_.RESOURCE_EXHAUSTED, "img: raw gray 1073741824x1073741824 is over the limit"),
    ("unknown model", encoded("resnet", jpeg), OK_.NOT_FOUND,
     "model 'resnet' is not in the repository"),
    ("malformed inline yaml", inline_bad, OK_.INVALID_ARGUMENT,
     "inline descriptor 'inline': not valid yaml at line"),
    ("empty request", pb.PrepareRequest(), OK_.INVALID_ARGUMENT,
     "the request names no model: set model_name or inline_descriptor"),
    ("no images", zero_images, OK_.INVALID_ARGUMENT,
     "model 'cls_pyramid' takes 1 file(s) per request for target board (1 for 'images'), got 0"),
    ("oversized message", encoded("cls_pyramid", bytes(5_000_000)), OK_.RESOURCE_EXHAUSTED,
     "larger than max"),
]
try:
    for name, request, code, message in cases:
        try:
            stub.Prepare(request, timeout=30)
            check(name, False, "succeeded")
        except grpc.RpcError as error:
            check("%s -> %s" % (name, code.name), error.code() == code and message in error.details(),
                  "%s %s" % (error.code(), error.details()))
        again = stub.Prepare(good_request, timeout=30)
        same = [t.data for t in again.tensors] == [t.data for t in good.tensors]
        check("  the server then serves a good request exactly as before", same)
    check("the server process is still up", server.poll() is None)
finally:
    server.send_signal(signal.SIGTERM)
    code = server.wait(timeout=30)
check("the server exits 0 on SIGTERM", code == 0)
check.finish()
