#!/usr/bin/python3
"""The Python package installed offline, the two ways README "Python API" gives: `cmake
--install BUILD --component python --prefix VENV` into a virtual environment made with
--system-site-packages (Debian's numpy visible; PEP 668 keeps pip out of /usr/bin/python3),
and the same into a plain prefix put on PYTHONPATH. Each then imports hbprep (from the
installed folder, not the build's) in a fresh interpreter outside the build tree and prepares
an image; hbprep.v1 and hbprep_client come along when the build has the wire API.

Usage: install_test.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
Prints one line per check and a closing "N passed, N failed" line; exits 1 on any failure.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402
BUILD, SOURCE, WORK, check = harness.setup()

WIRE_API = os.path.isdir(os.path.join(BUILD, "python", "hbprep", "v1"))
PROGRAM = """
import os, sys
import numpy as np
import hbprep
assert hbprep.__file__.startswith(sys.argv[1]), hbprep.__file__
model = hbprep.Model(os.path.join(sys.argv[2], "deploy", "models", "cls_pyramid.yaml"))
result = model.prepare([np.zeros((120, 160, 3), np.uint8)])
assert result["images_y"].shape == (1, 224, 224, 1), result
if sys.argv[3] == "1":
    import hbprep.v1.hbprep_pb2
    import hbprep_client
    assert hbprep.v1.hbprep_pb2.__file__.startswith(sys.argv[1])
print("ok", hbprep.__version__)
"""
env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def install(prefix):
    return subprocess.run(["cmake", "--install", BUILD, "--component", "python", "--prefix",
                           prefix], capture_output=True, text=True)


venv = os.path.join(WORK, "venv")
made = subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip",
                       "--system-site-packages", venv], capture_output=True, text=True)
installed = install(venv)
run = subprocess.run([os.path.join(venv, "bin", "python"), "-c", PROGRAM, venv, SOURCE,
                      str(int(WIRE_API))], capture_output=True, text=True, cwd=WORK, env=env)
check("cmake --install --component python into a --system-site-packages venv: import hbprep "
      "from it%s" % (", hbprep.v1 and hbprep_client" if WIRE_API else ""),
      made.returncode == 0 and installed.returncode == 0 and run.stdout.startswith("ok"),
      made.stderr + installed.stderr + run.stderr)

prefix = os.path.join(WORK, "prefix")
installed = install(prefix)
site = os.path.join(prefix, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
run = subprocess.run(["/usr/bin/python3", "-c", PROGRAM, site, SOURCE, str(int(WIRE_API))],
                     capture_output=True, text=True, cwd=WORK, env=dict(env, PYTHONPATH=site))
check("cmake --install --component python into a prefix on PYTHONPATH: import hbprep from it",
      installed.returncode == 0 and run.stdout.startswith("ok"), installed.stderr + run.stderr)
files = sorted(os.listdir(os.path.join(site, "hbprep")))
check("the package: __init__.py, its stubs, py.typed and one extension module%s" %
      (", v1" if WIRE_API else ""),
      {"__init__.py", "__init__.pyi", "py.typed"} <= set(files) and
      sum(f.startswith("_engine") and f.endswith(".so") for f in files) == 1 and
      ("v1" in files) == WIRE_API and len(files) == 4 + WIRE_API, files)
check.finish()
