"""A raw HTTP/2 client for hostile-peer tests (no h2 library on the machines): the client
preface, SETTINGS, HEADERS with HPACK literal fields without indexing (no Huffman, no
dynamic table), DATA, RST_STREAM and WINDOW_UPDATE frames, written by hand (RFC 9113,
RFC 7541), and a splitter of what the server sent into frames."""
import socket
import struct
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0x0, 0x1, 0x3, 0x4, 0x6, 0x7, 0x8
SETTINGS_INITIAL_WINDOW_SIZE = 0x4
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
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


def frames(data):
    """(type, flags, stream, payload) of each whole frame in `data`."""
    out, at = [], 0
    while at + 9 <= len(data):
        length = int.from_bytes(data[at:at + 3], "big")
        if at + 9 + length > len(data):
            break
        stream = int.from_bytes(data[at + 5:at + 9], "big") & 0x7FFFFFFF
        out.append((data[at + 3], data[at + 4], stream, data[at + 9:at + 9 + length]))
        at += 9 + length
    return out


def grpc_message(body):
    """One length-prefixed gRPC message (not compressed)."""
    return b"\0" + struct.pack(">I", len(body)) + body


class Connection:
    """One TCP connection after the preface and a SETTINGS (`settings`: {id: value}); whatever
    the server sends is read (and counted; kept in `data` with keep=True) on a thread of its
    own, so that its writes never block; a slow reader takes `read_size` bytes at a time with
    `read_pause` seconds between (and a small receive buffer). With keep=True the server's
    PINGs are acknowledged, as real clients do (gRPC's graceful GOAWAY waits for the ack)."""

    def __init__(self, host, port, settings=None, keep=False, read_size=65536, read_pause=0.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if read_pause:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, read_size)
        self.sock.settimeout(30)
        self.sock.connect((host, port))
        self.read_size, self.read_pause = read_size, read_pause
        payload = b"".join(struct.pack(">HI", k, v) for k, v in (settings or {}).items())
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0, payload))
        self.keep = keep
        self.data = bytearray()
        self.parsed = 0  # bytes of `data` looked at for PINGs
        self.lock = threading.Lock()  # sends come from the reader (PING acks) and the caller
        self.received = 0
        self.closed = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        try:
            while True:
                chunk = self.sock.recv(self.read_size)
                if not chunk:
                    break
                self.received += len(chunk)
                if self.keep:
                    self.data += chunk
                    self._answer_pings()
                if self.read_pause:
                    time.sleep(self.read_pause)
        except OSError:
            pass
        self.closed.set()

    def _answer_pings(self):
        while self.parsed + 9 <= len(self.data):
            length = int.from_bytes(self.data[self.parsed:self.parsed + 3], "big")
            end = self.parsed + 9 + length
            if end > len(self.data):
                return
            if self.data[self.parsed + 3] == PING and not self.data[self.parsed + 4] & ACK:
                self.send(frame(PING, ACK, 0, bytes(self.data[end - length:end])))
            self.parsed = end

    def send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
