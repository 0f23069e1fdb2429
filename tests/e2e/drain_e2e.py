#!/usr/bin/python3
"""A response in flight when hbprep-server is told to stop reaches its client whole, even
while the client goes on writing (as gRPC clients do: WINDOW_UPDATE frames as they read).

gRPC closes its end of a connection once its last call is answered; the client's frames that
arrive after that cannot be delivered, and the connection gate (server/listener.cc) used to
close the whole connection on that failed write, dropping the part of the response it had not
forwarded yet ("Socket closed" at the client, about one SIGTERM in five); and gRPC 1.51 drops
what it has not written yet when it closes, so a slow client lost the end of its response
(the gate now takes everything gRPC writes while the server drains). A raw HTTP/2 client
(h2raw.py) sends one Prepare of 8 noisy JPEGs, reads the answer slowly (so that it is still
on its way when gRPC closes) while it writes a WINDOW_UPDATE every half millisecond, and the
server gets SIGTERM while the call runs; every run must see the whole response message
and the stream's trailers. And the gate's lingering (after gRPC is done it half-closes and waits
for the client's EOF rather than resetting the connection) is bounded, also after clients that
half-closed first.

Usage: drain_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import signal
import socket
import struct
import threading
import time

import cv2
import numpy as np

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import Server  # noqa: E402
from hbprep.v1 import hbprep_pb2 as pb  # noqa: E402

import h2raw  # noqa: E402

MODELS = os.path.join(SOURCE, "deploy", "models")
RUNS = 3

# About 3 MB in all: within the 4 MB flow-control window gRPC grants at once.
noise = np.random.default_rng(3).integers(0, 256, (540, 960, 3), dtype=np.uint8)
jpeg = cv2.imencode(".jpg", noise, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
request = pb.PrepareRequest(model_name="cls_batch8")
for _ in range(8):
    request.images.add(encoded=jpeg)
message = h2raw.grpc_message(request.SerializeToString())
assert len(message) < 4000000, len(message)
headers = h2raw.grpc_headers("/hbprep.v1.InputAdapter/Prepare")


def run(index):
    """One SIGTERM during the call; returns (response bytes, whether the trailers came, exit)."""
    server = Server(BUILD, WORK, "server%d" % index, MODELS, "--log-level", "debug")
    client = h2raw.Connection("127.0.0.1", server.port, keep=True,
                              settings={h2raw.SETTINGS_INITIAL_WINDOW_SIZE: 1 << 30},
                              read_size=16384, read_pause=0.01)
    client.send(h2raw.frame(h2raw.WINDOW_UPDATE, 0, 0, struct.pack(">I", (1 << 30) - 65535)))
    # The server's SETTINGS (its 4 MB stream window counts once acknowledged) and its
    # connection window.
    deadline = time.time() + 20
    while time.time() < deadline and not any(
            kind == h2raw.WINDOW_UPDATE for kind, _, _, _ in h2raw.frames(bytes(client.data))):
        time.sleep(0.002)
    client.send(h2raw.frame(h2raw.SETTINGS, h2raw.ACK, 0))
    chunks = [message[at:at + 16384] for at in range(0, len(message), 16384)]
    client.send(h2raw.frame(h2raw.HEADERS, h2raw.END_HEADERS, 1, headers) + b"".join(
        h2raw.frame(h2raw.DATA, h2raw.END_STREAM if i == len(chunks) - 1 else 0, 1, chunk)
        for i, chunk in enumerate(chunks)))
    deadline = time.time() + 20
    while time.time() < deadline and "Prepare accepted" not in server.text():
        time.sleep(0.002)

    def answered():
        return any(kind == h2raw.HEADERS and stream == 1 and flags & h2raw.END_STREAM
                   for kind, flags, stream, _ in h2raw.frames(bytes(client.data)))

    def keep_writing():
        try:
            while not client.closed.is_set() and not answered():
                client.send(h2raw.frame(h2raw.WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)))
                time.sleep(0.0005)
        except OSError:
            pass

    writer = threading.Thread(target=keep_writing)
    writer.start()
    server.process.send_signal(signal.SIGTERM)
    writer.join(30)
    # As a gRPC client does once its calls are answered after a GOAWAY: hang up.
    client.close()
    code = server.process.wait(timeout=30)
    body = b"".join(p for kind, _, stream, p in h2raw.frames(bytes(client.data))
                    if kind == h2raw.DATA and stream == 1)
    return body, answered(), code


def lingering_is_bounded():
    """Once gRPC is done with a connection the gate waits at most ConnectionGate::kLingerMs
    (2 s) for the client's EOF, also after clients that half-closed first (whose count once
    went wrong, leaving later connections open for good). Returns the seconds a client that
    never hangs up waited for its EOF (None: not closed within 10 s)."""
    server = Server(BUILD, WORK, "linger", MODELS)
    try:
        for _ in range(3):  # half-close after the preface: gRPC closes, the client is gone
            early = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            early.sendall(h2raw.PREFACE + h2raw.frame(h2raw.SETTINGS, 0, 0))
            early.shutdown(socket.SHUT_WR)
            while early.recv(65536):
                pass
            early.close()
        stuck = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        stuck.sendall(b"not HTTP/2 at all\r\n" * 4)  # gRPC closes at once; the client stays
        started = time.time()
        while stuck.recv(65536):  # the gate's half-close (FIN) comes at once
            pass
        # The client goes on writing, as if it had not noticed: the gate reads and drops it
        # until it closes the socket, after which a write fails.
        waited = None
        while time.time() - started < 10:
            try:
                stuck.send(b"x")
            except OSError:
                waited = time.time() - started
                break
            time.sleep(0.05)
        stuck.close()
        return waited
    finally:
        server.stop()


waited = lingering_is_bounded()
check("a client that never hangs up is closed about 2 s after gRPC is done",
      waited is not None and 1.5 <= waited <= 6, waited)
results = [run(i) for i in range(RUNS)]
whole = [len(body) >= 5 and len(body) == 5 + struct.unpack(">I", body[1:5])[0] and trailers
         for body, trailers, _ in results]
print("runs with the whole response and its trailers: %d of %d (sizes %s)" %
      (sum(whole), RUNS, sorted({len(body) for body, _, _ in results})))
check("every response in flight at SIGTERM arrives whole, with its trailers", all(whole),
      [(len(body), trailers) for body, trailers, _ in results])
response = pb.PrepareResponse()
if whole[0]:
    response.ParseFromString(results[0][0][5:])
check("and it is the model's answer", len(response.tensors) == 16, len(response.tensors))
check("the server exits 0 each time", all(code == 0 for _, _, code in results),
      [code for _, _, code in results])
check.finish()
