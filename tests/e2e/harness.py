"""Shared pieces of the end-to-end tests: their setup, counting checks, the commands that run
hbprep's binaries, and hbprep-server processes started on a free loopback port (read back from
the server's log)."""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time


# The emulator the binaries under test run in, as the cross-build's CTest sets it
# (HBPREP_EMULATOR="qemu-aarch64 -L /opt/hbprep/arm64-sysroot": aarch64 binaries, from
# cmake/aarch64-linux-gnu.cmake's CMAKE_CROSSCOMPILING_EMULATOR); empty for a native build.
EMULATOR = shlex.split(os.environ.get("HBPREP_EMULATOR", ""))


def binary(build, path):
    """The command that runs BUILD's `path` ("client/hbprep", "server/hbprep-server"), under
    the emulator when there is one; arguments are appended to it."""
    return [*EMULATOR, os.path.join(build, *path.split("/"))]


class Checks:
    """Prints one line per check and, at the end, the closing "N passed, N failed" line."""

    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, name, condition, detail=""):
        self.passed += bool(condition)
        self.failed += not condition
        suffix = "" if condition or not detail else ": " + str(detail)
        print(("ok   " if condition else "FAIL ") + name + suffix)

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


def start_server(build, work, name, models, *flags, preexec_fn=None):
    """Starts hbprep-server on 127.0.0.1:0 (plus any --listen in `flags`); returns
    (process, log file, TCP port). `preexec_fn` runs in the child before the server starts
    (e.g. to lower a resource limit)."""
    log = open(os.path.join(work, name + ".log"), "w+")
    process = subprocess.Popen(
        [*binary(build, "server/hbprep-server"), "--models", models, "--listen", "127.0.0.1:0",
         *flags], stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
    deadline = time.time() + 20
    while time.time() < deadline:
        time.sleep(0.05)
        log.seek(0)
        match = re.search(r"serving on 127\.0\.0\.1:(\d+)", log.read())
        if match:
            return process, log, int(match.group(1))
        if process.poll() is not None:
            break
    log.seek(0)
    raise RuntimeError("server %s did not start:\n%s" % (name, log.read()))


class Server:
    """An hbprep-server process (start_server's) on a free TCP port and a unix socket in
    `work`: `tcp` and `unix` are its addresses."""

    def __init__(self, build, work, name, models, *flags):
        self.socket = os.path.join(work, name + ".sock")
        self.process, self.log, self.port = start_server(
            build, work, name, models, "--listen", "unix:" + self.socket, *flags)
        self.tcp = "127.0.0.1:%d" % self.port
        self.unix = "unix:" + self.socket

    def stop(self):
        """SIGTERM, then the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def text(self):
        """The server's log so far."""
        self.log.seek(0)
        return self.log.read()


def setup():
    """The start of every e2e script (usage: SCRIPT BUILD_DIR SOURCE_DIR WORK_DIR): returns
    (BUILD, SOURCE, WORK, Checks()), with BUILD/python (the generated stubs and the Python
    client) importable and WORK empty."""
    build, source, work = sys.argv[1:4]
    sys.path.insert(0, os.path.join(build, "python"))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    return build, source, work, Checks()


def example_requests(photo, odd):
    """One request of each example model (deploy/models) per target, from two images:
    {model: {target: (images, ROIs)}}."""
    return {
        "cls_pyramid": {"board": ([photo], None), "calibration": ([odd], None),
                        "onnx": ([photo], None)},
        "det_resizer": {"board": ([odd], [(2, 4, 101, 203)]), "calibration": ([photo], None),
                        "onnx": ([odd], None)},
        "cls_batch8": {"board": ([photo] * 4 + [odd] * 4, None), "calibration": ([odd], None),
                       "onnx": ([odd, photo] * 4, None)},
        "fusion_multi": {"board": ([photo], None), "calibration": ([odd], None),
                         "onnx": ([photo], None)},
        "x5_ssd": {"board": ([odd], None), "calibration": ([photo], None),
                   "onnx": ([photo], None), "oe1_float_onnx": ([photo], None),
                   "oe1_quantized_onnx": ([odd], None)},
    }
