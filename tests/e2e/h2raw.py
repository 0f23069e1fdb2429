"""A raw HTTP/2 client for hostile-peer tests (no h2 library on the machines): the client
preface, SETTINGS, HEADERS with HPACK literal fields without indexing (no Huffman, no
dynamic table), DATA and RST_STREAM frames, written by hand (RFC 9113, RFC 7541)."""
import socket
import struct
import threading

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS = 0x0, 0x1, 0x3, 0x4
END_STREAM, END_HEADERS = 0x1, 0x4
CANCEL = 0x8


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream & 0x7FFFFFFF) + payload


def hpack_integer(value, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = [first | limit]
    value -= limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack_literal(name, value):
    """A literal header field without indexing, new name (RFC 7541 6.2.2), no Huffman."""
    name, value = name.encode(), value.encode()
    return b"\x00" + hpack_integer(len(name), 7) + name + hpack_integer(len(value), 7) + value


def grpc_headers(path, authority="localhost", extra=()):
    fields = [(":method", "POST"), (":scheme", "http"), (":path", path),
              (":authority", authority), ("content-type", "application/grpc"),
              ("te", "trailers"), *extra]
    return b"".join(hpack_literal(n, v) for n, v in fields)


class Connection:
    """One TCP connection after the preface and an empty SETTINGS; whatever the server sends
    is read (and counted) on a thread of its own, so that its writes never block."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
        self.received = 0
        self.closed = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.received += len(chunk)
        except OSError:
            pass
        self.closed.set()

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
