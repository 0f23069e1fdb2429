#!/usr/bin/python3
"""Finding 14 of issue 15 against the real hbprep-server's metrics endpoint: a bare :PORT
binds loopback; 12 slow peers trickling their requests do not delay scrapes and are cut off
after the 5 s deadline; beyond 16 open connections new ones get 503 at once, and scrapes work
again once they go; with a token (the server's, or --metrics-token-file's) the page needs it.

Usage: metrics_e2e.py BUILD_DIR SOURCE_DIR WORK_DIR   (Debian's /usr/bin/python3)
"""
import os
import re
import socket
import time

import harness
BUILD, SOURCE, WORK, check = harness.setup()
from harness import Server  # noqa: E402

MODELS = os.path.join(SOURCE, "deploy", "models")


def metrics_port(server):
    match = re.search(r"metrics on http://([^:]+):(\d+)/metrics(.*)", server.text())
    return match.group(1), int(match.group(2)), match.group(3)


def get(port, path="/metrics", headers="", method="GET", timeout=3):
    """(status line, body) of one request, or (exception name, '')."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (method, path, headers)).encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return head.split(b"\r\n")[0].decode(), body.decode()
    except OSError as error:
        return type(error).__name__, ""


server = Server(BUILD, WORK, "plain", MODELS, "--metrics-listen", ":0")
host, port, suffix = metrics_port(server)
check("':0' binds 127.0.0.1", host == "127.0.0.1", host)
status, body = get(port)
check("GET /metrics is 200 with the page", status == "HTTP/1.1 200 OK" and
      "hbprep_models 5\n" in body, status)
check("GET / is 404", get(port, "/")[0] == "HTTP/1.1 404 Not Found")
check("POST /metrics is 405", get(port, method="POST")[0] == "HTTP/1.1 405 Method Not Allowed")

# 12 slow peers, each trickling its request a byte at a time.
slow = []
for _ in range(12):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nX-Slow: ")
    slow.append(s)
started = time.time()
took = []
for i in range(5):
    for s in slow:
        s.sendall(b"a")
    t = time.time()
    status, _ = get(port, timeout=2)
    took.append(time.time() - t)
    check("scrape %d beside 12 slow peers is 200" % i, status == "HTTP/1.1 200 OK", status)
    time.sleep(0.4)
print("scrape times beside 12 slow peers: %s s" % ", ".join("%.3f" % t for t in took))
check("each under 0.5 s", max(took) < 0.5, took)
closed = 0
for s in slow:
    s.settimeout(max(0.1, started + 7 - time.time()))
    try:
        while s.recv(4096):
            pass
        closed += 1  # the server closed it (its deadline passed)
    except OSError:
        pass
    s.close()
took = time.time() - started
check("the slow peers are cut off after the 5 s deadline", closed == 12 and took < 7,
      (closed, took))

# Beyond 16 open connections: 503 at once.
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
time.sleep(0.2)
status, body = get(port)
check("the 17th connection gets 503 at once", status == "HTTP/1.1 503 Service Unavailable" and
      body == "too many connections\n", (status, body))
for s in idle:
    s.close()
time.sleep(0.2)
check("once they are gone, scrapes are 200 again", get(port)[0] == "HTTP/1.1 200 OK")
check("the server exits 0", server.stop() == 0)

# Tokens.
for name, text in (("grpc", "grpc-token\n"), ("metrics", "metrics-token\n")):
    with open(os.path.join(WORK, name + ".token"), "w") as f:
        f.write(text)
UNAUTHORIZED = ("HTTP/1.1 401 Unauthorized",
                "the metrics need 'Authorization: Bearer <token>'\n")
server = Server(BUILD, WORK, "token", MODELS, "--metrics-listen", "0",
                "--auth-token-file", os.path.join(WORK, "grpc.token"))
host, port, suffix = metrics_port(server)
check("'0' binds 127.0.0.1 and says a token is needed",
      (host, suffix) == ("127.0.0.1", " (token required)"), (host, suffix))
check("with the server's token, no Authorization is 401", get(port) == UNAUTHORIZED, get(port))
check("a wrong token is 401",
      get(port, headers="Authorization: Bearer nope\r\n") == UNAUTHORIZED)
status, body = get(port, headers="authorization: Bearer grpc-token\r\n")
check("the server's token is 200", status == "HTTP/1.1 200 OK" and "hbprep_models 5" in body,
      status)
check("the server exits 0", server.stop() == 0)
server = Server(BUILD, WORK, "metrics-token", MODELS, "--metrics-listen", "127.0.0.1:0",
                "--auth-token-file", os.path.join(WORK, "grpc.token"),
                "--metrics-token-file", os.path.join(WORK, "metrics.token"))
host, port, suffix = metrics_port(server)
check("with --metrics-token-file, the server's token is 401",
      get(port, headers="Authorization: Bearer grpc-token\r\n") == UNAUTHORIZED)
check("and the metrics token is 200",
      get(port, headers="Authorization: Bearer metrics-token\r\n")[0] == "HTTP/1.1 200 OK")
check("the server exits 0", server.stop() == 0)
check.finish()
