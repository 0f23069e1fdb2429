#!/usr/bin/python3
"""Client-side balancing across three hbprep-server processes on loopback: one client with
round_robin over a comma list of addresses, all three serve traffic, one is killed mid-run,
and every request is still accounted for (retries of UNAVAILABLE are safe: every call is a
pure function of its request).

Usage: balance_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import re
import signal
import subprocess
import time

import cv2
import numpy as np

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import binary, start_server  # noqa: E402
from hbprep_client import Client, HbprepError  # noqa: E402


HBPREP = binary(BUILD, "client/hbprep")


def start(index):
    return start_server(BUILD, WORK, "server%d" % index, os.path.join(SOURCE, "deploy", "models"),
                        "--log-level", "debug")


def served(log):
    log.seek(0)
    return log.read().count("Prepare model=")


image = os.path.join(WORK, "photo.jpg")
cv2.imwrite(image, np.random.default_rng(1).integers(0, 256, (240, 320, 3), dtype=np.uint8))
servers = [start(i) for i in range(3)]
try:
    targets = ",".join("127.0.0.1:%d" % port for _, _, port in servers)
    run = subprocess.run([*HBPREP, "models", "--server", targets], capture_output=True, text=True,
                         timeout=60)
    check("the CLI takes a comma list of servers", run.returncode == 0 and "cls_pyramid" in run.stdout,
          run.stderr)

    sent = succeeded = rejected = errors = 0
    reference = None
    with Client(targets, timeout=30) as client:
        for n in range(90):
            if n == 45:  # one replica dies mid-run, without a goodbye
                servers[1][0].send_signal(signal.SIGKILL)
                servers[1][0].wait()
                counts_before_kill = [served(log) for _, log, _ in servers]
            sent += 1
            try:
                tensors = client.prepare("cls_pyramid", [image])
                if reference is None:
                    reference = tensors
                same = all(np.array_equal(tensors[k], reference[k]) for k in reference)
                succeeded += same
                errors += not same
            except HbprepError as error:
                if error.code.name == "RESOURCE_EXHAUSTED":
                    rejected += 1
                else:
                    errors += 1
                    print("  request %d: %s" % (n, error))
    check("all three replicas served traffic before the kill",
          all(count > 0 for count in counts_before_kill), str(counts_before_kill))
    check("the surviving replicas served the rest",
          served(servers[0][1]) > counts_before_kill[0] and
          served(servers[2][1]) > counts_before_kill[2])
    check("every request is accounted for (sent = succeeded + rejected + failed)",
          sent == succeeded + rejected + errors, "%d %d %d %d" % (sent, succeeded, rejected, errors))
    check("no request failed: the client moved to the live replicas", errors == 0 and rejected == 0,
          "%d failed, %d rejected of %d" % (errors, rejected, sent))
    print("sent %d, succeeded %d, rejected %d, failed %d; per replica %s" % (
        sent, succeeded, rejected, errors, [served(log) for _, log, _ in servers]))
finally:
    for process, _, _ in servers:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

check.finish()
