#!/usr/bin/python3
"""End-to-end tests of the real hbprep-server binary, driven by the real hbprep CLI and the
Python client, over TCP on a free port and over a unix socket.

Usage: server_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.
"""
import filecmp
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import cv2
import numpy as np

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from hbprep_client import Client, HbprepError  # noqa: E402
import grpc  # noqa: E402


HBPREP = harness.binary(BUILD, "client/hbprep")


def cli(*args):
    return subprocess.run([*HBPREP, *args], capture_output=True, text=True, timeout=120)


def Server(name, models, *flags):
    """A server of this test: repository polled every 200 ms, debug log."""
    return harness.Server(BUILD, WORK, name, models, "--reload-poll-ms", "200", "--log-level",
                          "debug", *flags)


def same_tree(a, b):
    """Every file in both folders, byte for byte."""
    comparison = filecmp.dircmp(a, b)
    if comparison.left_only or comparison.right_only:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, comparison.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(same_tree(os.path.join(a, d), os.path.join(b, d)) for d in comparison.common_dirs)


# --- inputs --------------------------------------------------------------------------------
rng = np.random.default_rng(5)
photo = os.path.join(WORK, "photo.jpg")
y, x = np.mgrid[0:375, 0:500]
image = np.stack([x * 0.5, y * 0.6, (x + y) * 0.2 + 40], -1) + rng.normal(0, 10, (375, 500, 3))
cv2.imwrite(photo, np.clip(image, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 92])
odd = os.path.join(WORK, "odd.png")
cv2.imwrite(odd, rng.integers(0, 256, (301, 417, 3), dtype=np.uint8))
prior = os.path.join(WORK, "prior.npy")
np.save(prior, rng.standard_normal((1, 64, 8, 8)).astype(np.float32))
broken = os.path.join(WORK, "broken.jpg")
with open(photo, "rb") as f:
    data = f.read()
with open(broken, "wb") as f:
    f.write(data[:len(data) // 3])

models = os.path.join(WORK, "models")
shutil.copytree(os.path.join(SOURCE, "deploy", "models"), models)
FILES = {  # the files one request of each example model takes, per target
    "cls_pyramid": {"board": [photo], "calibration": [odd], "onnx": [photo]},
    "det_resizer": {"board": [odd], "calibration": [photo], "onnx": [odd]},
    "cls_batch8": {"board": [photo] * 4 + [odd] * 4, "calibration": [odd],
                   "onnx": [odd] * 8},
    "fusion_multi": {"board": [photo, prior], "calibration": [odd, prior],
                     "onnx": [photo, prior]},
    "x5_ssd": {"board": [odd], "calibration": [photo], "onnx": [photo],
               "oe1_float_onnx": [photo], "oe1_quantized_onnx": [odd]},
}

server = Server("main", models, "--metrics-listen", "127.0.0.1:0")
try:
    run = cli("health", "--server", server.unix)
    check("health SERVING over the unix socket", run.returncode == 0 and run.stdout == "SERVING\n",
          run.stdout + run.stderr)

    # Byte equality with in-process mode, for every example model and target, over both
    # transports, for .npy, .bin and the manifest alike.
    for n, (model, targets) in enumerate(sorted(FILES.items())):
        for target, files in targets.items():
            local = os.path.join(WORK, "local", model, target)
            remote = os.path.join(WORK, "remote", model, target)
            config = os.path.join(models, model + ".yaml")
            a = cli("prepare", "--config", config, "--target", target, "--format", "bin",
                    "--out", local, *files)
            address = server.unix if (n % 2) else server.tcp
            b = cli("prepare", "--server", address, "--model", model, "--target", target,
                    "--format", "bin", "--out", remote, *files)
            ok = a.returncode == 0 and b.returncode == 0 and same_tree(local, remote)
            check("%s %s over %s equals in-process" % (model, target, address.split(":")[0]),
                  ok, a.stderr + b.stderr)
    # --config travels inline.
    a = cli("prepare", "--server", server.tcp, "--config", os.path.join(models, "det_resizer.yaml"),
            "--roi", "2,4,101,203", "--out", os.path.join(WORK, "inline"), odd)
    b = cli("prepare", "--config", os.path.join(models, "det_resizer.yaml"), "--roi", "2,4,101,203",
            "--out", os.path.join(WORK, "inline-local"), odd)
    check("inline --config with a ROI equals in-process",
          a.returncode == 0 and same_tree(os.path.join(WORK, "inline"),
                                          os.path.join(WORK, "inline-local")), a.stderr)
    a = cli("calib", "--server", server.unix, "--model", "cls_pyramid", "--out",
            os.path.join(WORK, "cal-remote"), photo, odd)
    b = cli("calib", "--config", os.path.join(models, "cls_pyramid.yaml"), "--out",
            os.path.join(WORK, "cal-local"), photo, odd)
    check("calib through the server equals in-process",
          a.returncode == 0 and same_tree(os.path.join(WORK, "cal-remote", "images"),
                                          os.path.join(WORK, "cal-local", "images")), a.stderr)
    a = cli("describe", "--server", server.tcp, "--model", "cls_batch8", "--json")
    b = cli("describe", "--config", os.path.join(models, "cls_batch8.yaml"), "--json")
    check("describe through the server equals in-process", a.stdout == b.stdout and a.stdout,
          a.stderr)

    # The Python client: arrays equal the in-process .npy files.
    with Client(server.unix) as client:
        tensors = client.prepare("cls_pyramid", [photo])
        local = os.path.join(WORK, "local", "cls_pyramid", "board")
        with open(os.path.join(local, "manifest.json")) as f:
            local_files = {t["name"]: t["file"] for t in json.load(f)["tensors"]}
        check("python client prepare equals in-process",
              set(tensors) == {"images_y", "images_uv"} and all(
                  np.array_equal(tensors[k], np.load(os.path.join(local, local_files[k])))
                  for k in tensors))
        tensors = client.prepare("fusion_multi", [photo, prior], features=[1])
        # deploy/models/fusion_multi.model_info.txt: prior is int16, scale 2^-11, zero point 0.
        quantised = np.clip(np.rint(np.load(prior) / np.float32(2.0 ** -11)), -32768, 32767)
        check("python client sends feature files (quantised as the compiled model says)",
              tensors["prior"].dtype == np.int16 and
              np.array_equal(tensors["prior"], quantised.astype(np.int16)) and
              tensors["image"].dtype == np.int8)
        names, errors = client.list_models()
        check("python client lists models", [m["name"] for m in names] ==
              ["cls_batch8", "cls_pyramid", "det_resizer", "fusion_multi", "x5_ssd"] and not errors)
        try:
            client.prepare("nope", [photo])
            check("unknown model is NOT_FOUND", False)
        except HbprepError as error:
            check("unknown model is NOT_FOUND", error.code == grpc.StatusCode.NOT_FOUND and
                  "model 'nope' is not in the repository" in error.message, str(error))
        try:
            client.prepare("cls_pyramid", [broken])
            check("bad image is INVALID_ARGUMENT", False)
        except HbprepError as error:
            check("bad image is INVALID_ARGUMENT",
                  error.code == grpc.StatusCode.INVALID_ARGUMENT and
                  error.message == "%s: truncated JPEG (no end-of-image marker)" % broken,
                  str(error))
        bad_yaml = ("model_parameters: {march: nash-e}\ninput_parameters:\n  input_name: d\n"
                    "  input_type_train: rgb\n  input_layout_train: NCHW\n  input_type_rt: nv12\n"
                    "  input_shape: 1x3x225x224\n")
        try:
            client.prepare(config=bad_yaml, images=[photo])
            check("invalid inline descriptor is INVALID_ARGUMENT", False)
        except HbprepError as error:
            check("invalid inline descriptor is INVALID_ARGUMENT",
                  error.code == grpc.StatusCode.INVALID_ARGUMENT and error.message ==
                  "inline descriptor 'inline': input 'd': input_type_rt nv12 needs even height "
                  "and width, got 225x224", str(error))
    run = cli("prepare", "--server", server.tcp, "--model", "nope", "--out",
              os.path.join(WORK, "x"), photo)
    check("CLI: unknown model exits 1 naming it", run.returncode == 1 and
          "model 'nope' is not in the repository" in run.stderr, run.stderr)
    run = cli("prepare", "--server", server.tcp, "--model", "cls_pyramid", "--out",
              os.path.join(WORK, "x"), broken)
    check("CLI: bad image exits 1 and writes nothing",
          run.returncode == 1 and not os.path.exists(os.path.join(WORK, "x")), run.stderr)

    # Prometheus metrics over HTTP.
    import urllib.request
    metrics_port = re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", server.text()).group(1)
    page = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % metrics_port, timeout=10).read().decode()
    check("metrics count requests by model, target and code",
          re.search(r'hbprep_requests_total\{method="Prepare",model="cls_pyramid",target="board",'
                    r'code="OK"\} [1-9]', page) is not None and
          'model="unknown",target="board",code="NOT_FOUND"' in page and
          "hbprep_stage_seconds_bucket{stage=\"decode\"" in page and "hbprep_models 5" in page)

    # Reload while serving: a new file appears, a broken file keeps its previous version.
    shutil.copy(os.path.join(models, "cls_pyramid.yaml"), os.path.join(models, "added.yaml"))
    deadline = time.time() + 10
    while time.time() < deadline and "added" not in cli("models", "--server", server.tcp).stdout:
        time.sleep(0.1)
    check("a new repository file is served after the watcher sees it",
          "added" in cli("models", "--server", server.tcp).stdout)
    with open(os.path.join(models, "added.yaml"), "w") as f:
        f.write("model_parameters: [unclosed\n")
    deadline = time.time() + 10
    while time.time() < deadline and "keeps serving" not in server.text():
        time.sleep(0.1)
    run = cli("prepare", "--server", server.tcp, "--model", "added", "--out",
              os.path.join(WORK, "added"), photo)
    check("a broken file keeps its previous version serving",
          run.returncode == 0 and "keeps serving" in server.text(), run.stderr)
    os.remove(os.path.join(models, "added.yaml"))
    server.process.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline and "added" in cli("models", "--server", server.tcp).stdout:
        time.sleep(0.1)
    check("SIGHUP reloads the repository", "added" not in cli("models", "--server", server.tcp).stdout)
    page = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % metrics_port, timeout=10).read().decode()
    check("metrics count repository reloads",
          re.search(r"hbprep_repository_reloads_total [3-9]", page) is not None)

    # SIGTERM drain: a request in flight completes, the process exits 0, health was flipped.
    noisy = os.path.join(WORK, "noisy.jpg")  # slow to decode: about 2 MB of noise
    cv2.imwrite(noisy, rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8),
                [cv2.IMWRITE_JPEG_QUALITY, 95])
    results = {}

    def slow_request():
        results["run"] = cli("prepare", "--server", server.unix, "--model", "cls_batch8",
                             "--out", os.path.join(WORK, "drain"), *([noisy] * 8))

    accepted = server.text().count("Prepare accepted")
    thread = threading.Thread(target=slow_request)
    thread.start()
    deadline = time.time() + 20
    while time.time() < deadline and server.text().count("Prepare accepted") == accepted:
        time.sleep(0.005)
    code = server.stop()
    thread.join()
    check("SIGTERM: the in-flight request completes",
          results["run"].returncode == 0, results["run"].stderr)
    check("SIGTERM: the server exits 0 after draining", code == 0 and "stopped" in server.text(),
          server.text()[-500:])
finally:
    server.stop()

# Health flips to NOT_SERVING as soon as a shutdown starts (during the drain delay, while
# requests are still served). The delay is far longer than the two CLI calls take even under
# an emulator on a loaded machine, and the server is checked to be still draining after them,
# so the calls are known to have landed inside it; a second SIGTERM then ends the wait (the
# exit after a whole drain is checked above).
draining = Server("draining", models, "--drain-delay-ms", "60000")
try:
    before = cli("health", "--server", draining.unix)
    draining.process.send_signal(signal.SIGTERM)
    deadline = time.time() + 10
    while time.time() < deadline and "draining" not in draining.text():
        time.sleep(0.01)
    during = cli("health", "--server", draining.unix)
    served = cli("models", "--server", draining.unix)
    still_draining = draining.process.poll() is None
    check("health: SERVING, then NOT_SERVING while draining",
          before.stdout == "SERVING\n" and during.stdout == "NOT_SERVING\n" and
          during.returncode == 1, before.stdout + during.stdout + during.stderr)
    check("requests are still served during the drain delay",
          served.returncode == 0 and "cls_pyramid" in served.stdout and still_draining,
          (served.returncode, served.stderr, still_draining))
    draining.process.send_signal(signal.SIGTERM)
    check("a second SIGTERM ends the drain with 128 + 15",
          draining.process.wait(timeout=30) == 128 + signal.SIGTERM)
finally:
    draining.stop()

# Auth on: every RPC but health needs the token.
token_file = os.path.join(WORK, "token")
with open(token_file, "w") as f:
    f.write("s3cret\n")
auth = Server("auth", models, "--auth-token-file", token_file)
try:
    run = cli("models", "--server", auth.tcp)
    check("auth: no token is refused", run.returncode == 1 and "missing 'authorization" in run.stderr,
          run.stderr)
    wrong = os.path.join(WORK, "wrong")
    with open(wrong, "w") as f:
        f.write("guess")
    run = cli("models", "--server", auth.tcp, "--token-file", wrong)
    check("auth: a wrong token is refused", run.returncode == 1 and "wrong token" in run.stderr)
    run = cli("models", "--server", auth.tcp, "--token-file", token_file)
    check("auth: the right token works", run.returncode == 0 and "cls_pyramid" in run.stdout)
    run = cli("health", "--server", auth.tcp)
    check("auth: health needs no token", run.returncode == 0 and run.stdout == "SERVING\n")
    # Reflection: on for the open server, off where a token is configured (so nothing but
    # health answers without it). The request is list_services, in wire format.
    def reflect(address):
        channel = grpc.insecure_channel(address)
        call = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
        try:
            return b"".join(call(iter([b"\x3a\x00"]), timeout=10)), None
        except grpc.RpcError as error:
            return b"", error.code()
        finally:
            channel.close()
    open_server = Server("reflection", models)
    try:
        answer, _ = reflect(open_server.tcp)
        check("reflection lists the services", b"hbprep.v1.InputAdapter" in answer)
    finally:
        open_server.stop()
    _, code = reflect(auth.tcp)
    check("auth: reflection is off", code == grpc.StatusCode.UNIMPLEMENTED, str(code))
    try:
        Client(auth.unix).list_models()
        check("auth: python client without token is UNAUTHENTICATED", False)
    except HbprepError as error:
        check("auth: python client without token is UNAUTHENTICATED",
              error.code == grpc.StatusCode.UNAUTHENTICATED)
    check("auth: the token is never logged", "s3cret" not in auth.text())
finally:
    auth.stop()

# TLS and mutual TLS, with a throwaway CA.
tls = os.path.join(WORK, "tls")
os.makedirs(tls)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tls)


openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
        "-keyout", "ca.key", "-out", "ca.pem")
for name in ("server", "client"):
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout",
            name + ".key", "-out", name + ".csr")
    with open(os.path.join(tls, name + ".ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "1", "-extfile", name + ".ext", "-out", name + ".pem")
secure = Server("tls", models, "--tls-cert", os.path.join(tls, "server.pem"), "--tls-key",
                os.path.join(tls, "server.key"), "--tls-client-ca", os.path.join(tls, "ca.pem"))
try:
    address = "localhost:%d" % secure.port
    ca = os.path.join(tls, "ca.pem")
    run = cli("models", "--server", address, "--tls-ca", ca, "--tls-cert",
              os.path.join(tls, "client.pem"), "--tls-key", os.path.join(tls, "client.key"))
    check("mutual TLS with a client certificate works", run.returncode == 0 and
          "cls_pyramid" in run.stdout, run.stderr)
    run = cli("models", "--server", address, "--tls-ca", ca, "--timeout-ms", "3000")
    check("mutual TLS refuses a client without a certificate", run.returncode == 1, run.stdout)
    run = cli("models", "--server", address, "--timeout-ms", "3000")
    check("TLS refuses a plaintext client", run.returncode == 1)
finally:
    secure.stop()

# Oversized messages get RESOURCE_EXHAUSTED with gRPC's message.
small = Server("small", models, "--max-message-bytes", "100000")
try:
    with Client(small.tcp, max_message_bytes=64 << 20) as client:
        try:
            client.prepare("cls_pyramid", [noisy])
            check("an oversized request is RESOURCE_EXHAUSTED", False)
        except HbprepError as error:
            check("an oversized request is RESOURCE_EXHAUSTED",
                  error.code == grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than max" in
                  error.message, str(error))
finally:
    small.stop()

check.finish()
