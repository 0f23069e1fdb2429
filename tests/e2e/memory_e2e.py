#!/usr/bin/python3
"""Requests that would make hbprep-server allocate without bound (issue 15, findings 1-3, 5
and 8), against the real server: each is refused before its memory is spent, or waits for
the server-wide memory budget, and the server stays up and small. Prints each peak RSS.

Usage: memory_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import concurrent.futures
import os
import resource
import signal
import struct
import threading
import time
import zlib

import grpc

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import start_server  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402
from hbprep.v1 import hbprep_pb2_grpc as rpc  # noqa: E402


MIB = 1 << 20
BUDGET = 300 * MIB


def tiny_png(width, height):
    """A real PNG of one grey colour: a few dozen bytes for any size."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compress(b"".join(b"\0" + bytes([90]) * width for _ in range(height)), 9)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def yaml(shape, recipe=None):
    text = ("model_parameters: {march: nash-e}\n"
            "input_parameters: {input_name: images, input_type_train: rgb, "
            "input_layout_train: NCHW, input_type_rt: nv12, input_shape: %s}\n" % shape)
    if recipe:
        text += "hbprep: {inputs: {images: {recipe: %s}}}\n" % recipe
    return text


def inline(text, image, target=pb.TARGET_BOARD, model_info="", packing=pb.PACKING_DENSE):
    request = pb.PrepareRequest(target=target)
    request.inline_descriptor.yaml = text
    request.inline_descriptor.model_info = model_info
    request.options.packing = packing
    request.images.add(encoded=image, id="img")
    return request


def rss(pid, field):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak(pid):
    """Resets VmHWM to the current RSS (Linux 4.0+)."""
    with open("/proc/%d/clear_refs" % pid, "w") as refs:
        refs.write("5")


server, log, port = start_server(BUILD, WORK, "server", os.path.join(SOURCE, "deploy", "models"),
                                 "--memory-budget", "300M", "--workers", "2")
options = [("grpc.max_receive_message_length", 256 * MIB)]
channel = grpc.insecure_channel("127.0.0.1:%d" % port, options=options)
stub = rpc.InputAdapterStub(channel)
good = inline(yaml("1x3x224x224"), tiny_png(640, 480))
expected = stub.Prepare(good, timeout=30)
Code = grpc.StatusCode


def refused(name, request, code, message, timeout=30):
    try:
        stub.Prepare(request, timeout=timeout)
        check(name, False, "succeeded")
    except grpc.RpcError as error:
        check("%s -> %s" % (name, code.name), error.code() == code and message in error.details(),
              "%s %s" % (error.code(), error.details()))


def serves_good(name):
    again = stub.Prepare(good, timeout=60)
    check(name, [t.data for t in again.tensors] == [t.data for t in expected.tensors])


try:
    baseline = rss(server.pid, "VmRSS")
    reset_peak(server.pid)
    # 1. Huge but legal strides in an inline model info, strided packing.
    info = ("[model name]: m\n\ninput[0]: \nname: images_y\nvalid shape: (1,224,224,1)\n"
            "tensor type: HB_DNN_TENSOR_TYPE_U8\nquanti type: NONE\n"
            "stride: (1099511627776,4398046511104,1,1)\n\n"
            "input[1]: \nname: images_uv\nvalid shape: (1,112,112,2)\n"
            "tensor type: HB_DNN_TENSOR_TYPE_U8\nquanti type: NONE\n"
            "stride: (1099511627776,224,2,1)\n")
    strided = inline(yaml("1x3x224x224"), tiny_png(64, 64), model_info=info,
                     packing=pb.PACKING_STRIDED)
    try:
        stub.Prepare(strided, timeout=30)
        check("huge model-info strides", False, "succeeded")
    except grpc.RpcError as error:
        check("huge model-info strides -> %s" % error.code().name,
              error.code() in (Code.INVALID_ARGUMENT, Code.RESOURCE_EXHAUSTED), error.details())
    info_ok = info.replace("(1099511627776,4398046511104,1,1)", "(1099511627776,224,1,1)")
    refused("huge but consistent strides",
            inline(yaml("1x3x224x224"), tiny_png(64, 64), model_info=info_ok,
                   packing=pb.PACKING_STRIDED),
            Code.RESOURCE_EXHAUSTED, "bytes of tensors, over the message limit of")
    # 2. The model's input_shape: 8000x8000 float32 from a tiny PNG would answer with 768 MB
    # of tensors; 12000x12000 is beyond the image limits.
    refused("1x3x8000x8000 calibration input",
            inline(yaml("1x3x8000x8000"), tiny_png(8, 8), target=pb.TARGET_CALIBRATION),
            Code.RESOURCE_EXHAUSTED, "the response would hold 768000000 bytes of tensors, over "
            "the message limit of 67108864 bytes (--max-message-bytes)")
    # A small answer whose recipe needs more than the whole budget (PadResize of 8000x8000).
    refused("a recipe needing more than the whole budget",
            inline(yaml("1x3x224x224", "[{Resize: [8000, 8000]}, {PadResize: [8000, 8000]}, "
                        "{CenterCrop: 224}]"), tiny_png(64, 64)),
            Code.RESOURCE_EXHAUSTED, "more than the server's whole memory budget of %d bytes "
            "(--memory-budget)" % BUDGET)
    refused("1x3x12000x12000 input",
            inline(yaml("1x3x12000x12000"), tiny_png(8, 8), target=pb.TARGET_CALIBRATION),
            Code.RESOURCE_EXHAUSTED,
            "input 'images': input_shape's image 12000x12000 (width x height), over the limit")
    # 3. Recipe step sizes.
    refused("Resize to 65536x65536",
            inline(yaml("1x3x224x224", "[{Resize: [65536, 65536]}, {Resize: [224, 224]}]"),
                   tiny_png(64, 64)),
            Code.RESOURCE_EXHAUSTED, "img: input 'images': recipe step 1 (Resize) makes "
            "65536x65536 (width x height), over the limit of 16384x16384")
    # 8. Cheap CPU exhaustion: 100 x (Resize 8000, Resize 224) is refused outright, 16 x by
    # the pixels it would touch, and a recipe within the limits stops at its deadline.
    refused("100 x (Resize 8000, Resize 224)",
            inline(yaml("1x3x224x224", "[" + ", ".join(
                ["{Resize: [8000, 8000]}, {Resize: [224, 224]}"] * 100) + "]"), tiny_png(64, 64)),
            Code.INVALID_ARGUMENT, "hbprep recipe has 200 steps, more than the 32 hbprep runs")
    refused("16 x (Resize 8000, Resize 224)",
            inline(yaml("1x3x224x224", "[" + ", ".join(
                ["{Resize: [8000, 8000]}, {Resize: [224, 224]}"] * 16) + "]"), tiny_png(64, 64)),
            Code.RESOURCE_EXHAUSTED, "the recipes of this request touch")
    peak = rss(server.pid, "VmHWM")
    print("     peak RSS over the refused requests: %.0f MiB (baseline %.0f MiB)"
          % (peak / MIB, baseline / MIB))
    check("refused requests cost no memory (peak RSS within 64 MiB of the start)",
          peak - baseline < 64 * MIB, "%d MiB" % ((peak - baseline) // MIB))

    slow = inline(yaml("1x3x224x224", "[" + ", ".join(
        ["{Resize: [4000, 4000]}, {Resize: [224, 224]}"] * 8) + "]"), tiny_png(64, 64))
    start = time.monotonic()
    refused("8 x (Resize 4000, Resize 224) with a 50 ms deadline", slow,
            Code.DEADLINE_EXCEEDED, "", timeout=0.05)
    # The worker stops between steps: a good request right behind it on both workers.
    serves_good("  a good request is served after the deadline")
    print("     (deadline case and the good request behind it: %.2f s)" % (time.monotonic() - start))

    # The budget: 8 concurrent requests of about 120 MiB peak each (1x3x2000x2000 float32,
    # 48 MB tensors) all succeed, taking turns, and the server stays within the budget.
    big = inline(yaml("1x3x2000x2000"), tiny_png(32, 32), target=pb.TARGET_CALIBRATION)
    reference = stub.Prepare(big, timeout=120)
    baseline = rss(server.pid, "VmRSS")
    reset_peak(server.pid)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: stub.Prepare(big, timeout=120), range(8)))
    peak = rss(server.pid, "VmHWM")
    print("     8 concurrent 48 MB calibration requests: peak RSS %.0f MiB over a %.0f MiB "
          "baseline, budget %d MiB" % (peak / MIB, baseline / MIB, BUDGET // MIB))
    check("8 concurrent worst-case requests all succeed with the same bytes",
          all(r.tensors[0].data == reference.tensors[0].data for r in results))
    check("8 concurrent worst-case requests stay within the memory budget",
          peak - baseline <= BUDGET, "%d MiB" % ((peak - baseline) // MIB))

    # 5. Streams whose client never reads: each holds at most its one response, charged to
    # the budget; 20 such streams stay within it, and once they go the server serves again.
    baseline = rss(server.pid, "VmRSS")
    reset_peak(server.pid)
    attackers = [grpc.insecure_channel("127.0.0.1:%d" % port, options=options) for _ in range(20)]
    streams = []
    for attacker in attackers:
        stream = rpc.InputAdapterStub(attacker).PrepareStream(iter([big] * 3), timeout=60)
        streams.append(stream)
    time.sleep(5)
    peak = rss(server.pid, "VmHWM")
    print("     20 streams that never read: peak RSS %.0f MiB over a %.0f MiB baseline"
          % (peak / MIB, baseline / MIB))
    check("streams whose client never reads stay within the memory budget",
          peak - baseline <= BUDGET, "%d MiB" % ((peak - baseline) // MIB))
    for stream in streams:
        stream.cancel()
    for attacker in attackers:
        attacker.close()
    serves_good("  after the stalled streams go, a good request is served as before")
    check("the server process is still up", server.poll() is None)
finally:
    server.send_signal(signal.SIGTERM)
    code = server.wait(timeout=60)
check("the server exits 0 on SIGTERM", code == 0)


def sanitized():
    with open(os.path.join(BUILD, "CMakeCache.txt")) as cache:
        return "HBPREP_SANITIZE:BOOL=ON" in cache.read()


# Under an address-space cap (3 GiB, as a container's memory limit would be), the requests
# that used to allocate gigabytes or abort are refused and the process lives on. AddressSanitizer
# reserves terabytes of address space, so its build cannot run under a cap.
if not sanitized():
    def capped():
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    server, log, port = start_server(BUILD, WORK, "capped", os.path.join(SOURCE, "deploy", "models"),
                                     "--workers", "2", preexec_fn=capped)
    stub = rpc.InputAdapterStub(grpc.insecure_channel("127.0.0.1:%d" % port, options=options))
    try:
        for shape, target in (("1x3x8000x8000", pb.TARGET_CALIBRATION),
                              ("1x3x12000x12000", pb.TARGET_CALIBRATION),
                              ("1x3x16000x4000", pb.TARGET_BOARD)):
            refused("under a 3 GiB address-space cap: %s" % shape,
                    inline(yaml(shape), tiny_png(8, 8), target=target),
                    Code.RESOURCE_EXHAUSTED, "")
        refused("under a 3 GiB address-space cap: huge strides",
                inline(yaml("1x3x224x224"), tiny_png(64, 64), model_info=info_ok,
                       packing=pb.PACKING_STRIDED), Code.RESOURCE_EXHAUSTED, "")
        again = stub.Prepare(good, timeout=60)
        check("under the cap, a good request is served as before",
              [t.data for t in again.tensors] == [t.data for t in expected.tensors])
        check("under the cap, the server process is still up", server.poll() is None)
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    check("under the cap, the server exits 0 on SIGTERM", code == 0)
check.finish()
