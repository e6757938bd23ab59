"""A small client for the bulkhead wire protocol (4-byte BE length + JSON),
used by the agent tests.  Deliberately independent of the C code it tests."""
import base64
import json
import socket
import struct


class AgentError(Exception):
    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def frame(obj_or_bytes):
    body = obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes).encode()
    return struct.pack(">I", len(body)) + body


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def recv_frame(sock):
    (n,) = struct.unpack(">I", recv_exact(sock, 4))
    return json.loads(recv_exact(sock, n))


class Agent:
    def __init__(self, path, timeout=30):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.next_id = 1

    def call(self, method, **params):
        rid = self.next_id
        self.next_id += 1
        self.sock.sendall(frame({"id": rid, "method": method, "params": params}))
        rep = recv_frame(self.sock)
        if rep.get("id") != rid:
            raise AssertionError(f"reply id {rep.get('id')} != {rid}: {rep}")
        if "error" in rep:
            raise AgentError(rep["error"]["code"], rep["error"]["message"])
        return rep["result"]

    def raw(self, data):
        self.sock.sendall(data)
        return recv_frame(self.sock)

    def stream(self, token, first=b""):
        """first: bytes sent in the same write as the token frame."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.path)
        s.sendall(frame({"stream": token}) + first)
        return s

    def close(self):
        self.sock.close()


def decode_output(res):
    out = base64.b64decode(res.get("stdout_b64", "")).decode(errors="replace")
    err = base64.b64decode(res.get("stderr_b64", "")).decode(errors="replace")
    return out, err
