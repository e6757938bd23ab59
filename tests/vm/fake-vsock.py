#!/usr/bin/env python3
"""Stand-in for bulkhead-vmm's hybrid vsock socket (docs/vmm-virtio.md), for
host-side tests of the builtin transport: listens on UDS, expects
"CONNECT <port>\\n"; for port 1024 connects to the agent's --unix socket,
answers "OK <host port>\\n" and relays bytes both ways; any other port or a
malformed line is closed without a reply, as the VMM does.
  fake-vsock.py UDS AGENT_SOCKET"""
import os
import socket
import sys
import threading

uds, agent = sys.argv[1], sys.argv[2]
next_port = [1 << 30]


def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(c):
    line = b""
    while not line.endswith(b"\n") and len(line) < 32:
        ch = c.recv(1)
        if not ch:
            c.close()
            return
        line += ch
    parts = line.decode(errors="replace").split()
    if len(parts) != 2 or parts[0] != "CONNECT" or parts[1] != "1024":
        c.close()
        return
    a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        a.connect(agent)
    except OSError:
        c.close()
        return
    next_port[0] += 1
    c.sendall(f"OK {next_port[0]}\n".encode())
    threading.Thread(target=pump, args=(c, a), daemon=True).start()
    threading.Thread(target=pump, args=(a, c), daemon=True).start()


if os.path.exists(uds):
    os.unlink(uds)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(uds)
s.listen(16)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
