#!/usr/bin/env python3
"""bulkhead-agent on the host, over its --unix socket: every protocol method,
stdio capture and streams, and hostile requests.  The same agent binary is
PID 1 in the guest; here it runs as a plain process so the protocol and the
handlers are tested on every CI machine.  Prints TAP."""
import base64
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import Agent, AgentError, decode_output, frame, recv_frame  # noqa: E402

TOP = os.environ.get("BULKHEAD_TOP", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
BUILD = os.path.join(TOP, os.environ.get("BULKHEAD_BUILD", "build"))
AGENT = os.path.join(BUILD, "bin/bulkhead-agent")
CLI = os.path.join(BUILD, "bin/bulkhead")

n = 0
failed = 0


def tap(ok, name, detail=""):
    global n, failed
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} {name}")
    if not ok:
        failed += 1
        for line in str(detail).splitlines():
            print(f"#   {line}")
    sys.stdout.flush()


def skip_all(reason, count):
    for i in range(count):
        print(f"ok {i + 1} agent test {i + 1} # skip {reason}")
    print(f"1..{count}")
    sys.exit(0)


def check(name, fn):
    try:
        fn()
        tap(True, name)
    except Exception as e:  # noqa: BLE001 - any failure is a test failure
        tap(False, name, f"{type(e).__name__}: {e}")


PLANNED = 27
if os.geteuid() != 0:
    skip_all("needs root (namespaces, cgroups)", PLANNED)
for b in (AGENT, CLI):
    if not os.access(b, os.X_OK):
        skip_all(f"{b} not built", PLANNED)
busybox = shutil.which("busybox")
if not busybox:
    skip_all("busybox-static not installed", PLANNED)

work = tempfile.mkdtemp(prefix="bh-agent-")
root = os.path.join(work, "state")
sock = os.path.join(work, "agent.sock")
rootfs = os.path.join(work, "rootfs")
subprocess.run([os.path.join(TOP, "images/busybox-rootfs.sh"), rootfs], check=True,
               stdout=subprocess.DEVNULL)
subprocess.run([CLI, "spec", "--bundle", work], check=True)
with open(os.path.join(work, "config.json")) as f:
    BASE = json.load(f)
os.unlink(os.path.join(work, "config.json"))

UPLOAD_MAX = 16 << 20   # --upload-max: small, so the over-cap test is cheap
agent = subprocess.Popen([AGENT, "--root", root, "--unix", sock, "--upload-max", str(UPLOAD_MAX)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
ready = ""
for _ in range(20):
    line = agent.stdout.readline()
    ready += line
    if not line or "bulkhead-agent: ready" in line:
        break
if "bulkhead-agent: ready" not in ready:
    tap(False, "agent starts and says ready", ready)
    print(f"1..{n}")
    sys.exit(1)


def config(args, **proc):
    c = json.loads(json.dumps(BASE))
    c["process"]["args"] = args
    c["process"].update(proc)
    return c


def leftovers(cid):
    found = []
    for p in (os.path.join(root, cid), os.path.join(root + "-agent/bundles", cid)):
        if os.path.exists(p):
            found.append(p)
    for base in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified"):
        for dirpath, dirnames, _ in os.walk(base):
            if os.path.basename(dirpath) == cid:
                found.append(dirpath)
    return found


a = Agent(sock)


def t_ping():
    r = a.call("ping")
    assert r["version"] == 1, r
    assert "capture" in r["features"] and "streams" in r["features"], r


def run_capture(cid, args):
    a.call("create", id=cid, config=config(args), rootfs={"path": rootfs})
    a.call("start", id=cid)
    res = a.call("wait", id=cid)
    a.call("delete", id=cid)
    return res


def t_sigmask():
    # The agent blocks signals for its signalfd; a container must not
    # inherit that mask (a blocked SIGTERM would make `kill` a no-op).
    res = run_capture("mask1", ["sh", "-c", "grep -E '^Sig(Blk|Ign):' /proc/self/status"])
    out, _ = decode_output(res)
    assert "SigBlk:\t0000000000000000" in out, out


def t_stream_first_bytes():
    # stdin bytes that arrive in the same read as the stream token frame
    r = a.call("create", id="str2", config=config(["sh", "-c", "read x; echo got:$x"]),
               rootfs={"path": rootfs}, stdio="streams")
    st = r["streams"]
    sin = a.stream(st["stdin"], first=b"early\n")
    sout = a.stream(st["stdout"])
    a.stream(st["stderr"]).close()
    a.call("start", id="str2")
    sin.close()
    data = b""
    while True:
        chunk = sout.recv(4096)
        if not chunk:
            break
        data += chunk
    a.call("wait", id="str2")
    a.call("delete", id="str2")
    assert data == b"got:early\n", data


def t_echo():
    res = run_capture("echo1", ["sh", "-c", "echo hello; echo oops >&2"])
    out, err = decode_output(res)
    assert res["status"] == 0, res
    assert out == "hello\n", repr(out)
    assert err == "oops\n", repr(err)
    assert not leftovers("echo1"), leftovers("echo1")


def t_exit_code():
    res = run_capture("exit7", ["sh", "-c", "exit 7"])
    assert res["status"] == 7, res


def t_security_inside():
    # The agent uses the same engine and defaults as bare mode.
    res = run_capture("sec1", ["sh", "-c",
                               "grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status;"
                               "grep Seccomp: /proc/self/status; mount -t tmpfs x /mnt && echo MOUNTED"])
    out, _ = decode_output(res)
    assert "CapEff:\t00000000a80425fb" in out or "CapEff:\t00000000800405fb" in out, out
    assert "NoNewPrivs:\t1" in out, out
    assert "Seccomp:\t2" in out, out
    assert "MOUNTED" not in out, out


def t_exec_and_signal():
    a.call("create", id="long1", config=config(["sleep", "60"]), rootfs={"path": rootfs})
    a.call("start", id="long1")
    r = a.call("exec", id="long1", process={"args": ["sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"],
                                             "cwd": "/", "env": ["PATH=/bin"]})
    res = a.call("wait", id="long1", exec_id=r["exec_id"])
    out, _ = decode_output(res)
    assert out.startswith("sleep 60"), repr(out)
    r2 = a.call("exec", id="long1", process={"args": ["sleep", "50"], "cwd": "/", "env": ["PATH=/bin"]})
    a.call("signal", id="long1", exec_id=r2["exec_id"], signal=9)
    res = a.call("wait", id="long1", exec_id=r2["exec_id"])
    assert res["status"] == 137, res


def t_stats():
    r = a.call("stats", id="long1")
    assert r["status"] == "running", r
    assert r["pids_current"] >= 1, r
    assert r["mem_usage"] > 0, r
    vm = a.call("stats")
    assert vm["mem_total_kb"] > 0, vm


def t_signal_container():
    # sleep is the container's PID 1: the kernel drops SIGTERM to a
    # namespace init without a handler, so use SIGKILL (like `runc kill 9`).
    a.call("signal", id="long1", signal=9)
    res = a.call("wait", id="long1")
    assert res["status"] == 137, res
    a.call("delete", id="long1")
    assert not leftovers("long1"), leftovers("long1")


def t_streams():
    r = a.call("create", id="str1", config=config(["sh", "-c", "read x; echo got:$x; echo e >&2"]),
               rootfs={"path": rootfs}, stdio="streams")
    st = r["streams"]
    sin, sout, serr = (a.stream(st[k]) for k in ("stdin", "stdout", "stderr"))
    a.call("start", id="str1")
    sin.sendall(b"ping\n")
    sin.close()
    data = b""
    while True:
        chunk = sout.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data == b"got:ping\n", data
    assert serr.recv(100) == b"e\n"
    res = a.call("wait", id="str1")
    assert res["status"] == 0, res
    a.call("delete", id="str1")


def t_bad_config_leaves_nothing():
    c = config(["true"])
    c["process"]["args"] = 5
    try:
        a.call("create", id="bad1", config=c, rootfs={"path": rootfs})
        raise AssertionError("create with args=5 succeeded")
    except AgentError as e:
        assert "process.args" in e.message, e.message
    assert not leftovers("bad1"), leftovers("bad1")


def t_bad_rootfs_leaves_nothing():
    try:
        a.call("create", id="bad2", config=config(["true"]), rootfs={"path": "/nonexistent/rootfs"})
        raise AssertionError("create with a missing rootfs succeeded")
    except AgentError as e:
        assert "nonexistent" in e.message, e.message
    assert not leftovers("bad2"), leftovers("bad2")


def t_bad_ids():
    for bad in ("../x", "a/b", "", "." * 2):
        try:
            a.call("create", id=bad, config=config(["true"]), rootfs={"path": rootfs})
            raise AssertionError(f"id {bad!r} accepted")
        except AgentError as e:
            assert e.code == "EINVAL", e


def t_wrong_types():
    for params, needle in (({"id": 5}, "params.id"), ({"id": "x", "signal": "KILL"}, "params.signal"),
                           ({"id": "x", "exec_id": -1}, "params.exec_id")):
        try:
            a.call("signal", **params)
            raise AssertionError(f"{params} accepted")
        except AgentError as e:
            assert needle in e.message, e.message
    rep = a.raw(frame({"id": 99, "method": "format_disk"}))
    assert rep["error"]["code"] == "ENOSYS", rep
    rep = a.raw(frame({"id": "1", "method": "ping"}))
    assert rep["error"]["code"] == "EPROTO", rep


def t_garbage_frames():
    # Each hostile frame gets an error and a closed connection; the agent lives on.
    for data in (b"\x7f\xff\xff\xff", frame(b"{not json"), frame(b"[1,2,3]"), b"\x00\x00\x00\x00"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(sock)
        s.sendall(data)
        rep = recv_frame(s)
        assert "error" in rep, rep
        assert s.recv(1) == b"", "connection stayed open after a bad frame"
        s.close()
    # truncated frame then hang up
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(b"\x00\x00\x01\x00{\"id\":")
    s.close()
    assert agent.poll() is None, "agent died"
    assert Agent(sock).call("ping")["version"] == 1


def t_duplicate_create():
    a.call("create", id="dup1", config=config(["sleep", "30"]), rootfs={"path": rootfs})
    try:
        a.call("create", id="dup1", config=config(["true"]), rootfs={"path": rootfs})
        raise AssertionError("duplicate id accepted")
    except AgentError as e:
        assert e.code == "EEXIST", e
    a.call("delete", id="dup1", force=True)
    assert not leftovers("dup1"), leftovers("dup1")


def t_update():
    a.call("create", id="upd1", config=config(["sleep", "30"]), rootfs={"path": rootfs})
    a.call("update", id="upd1", resources={"pids": {"limit": 42}})
    st = a.call("stats", id="upd1")
    assert st["pids_limit"] == 42, st
    a.call("delete", id="upd1", force=True)


def t_shutdown_cleans_up():
    a.call("create", id="left1", config=config(["sleep", "30"]), rootfs={"path": rootfs})
    a.call("start", id="left1")
    upload(a, "left-up", tar_bytes(rootfs_tar_members()))
    a.call("create", id="left2", config=config(["sleep", "30"]), rootfs={"upload": "left-up"})
    upload(a, "left-staged", b"x" * 1000)
    a.call("shutdown")
    agent.wait(timeout=30)
    assert agent.returncode == 0, agent.returncode
    assert not leftovers("left1"), leftovers("left1")
    assert not leftovers("left2"), leftovers("left2")
    assert not os.path.exists(UPLOADS), os.listdir(UPLOADS)
    assert not upload_mounts(), upload_mounts()


# ---- rootfs uploads: a tar sent in `upload` chunks, create {"upload": NAME} ----
UPLOADS = root + "-agent/uploads"
CHUNK = 512 * 1024


def upload(ag, name, data, chunk=CHUNK):
    off = 0
    while True:
        part = data[off:off + chunk]
        r = ag.call("upload", name=name, offset=off, data=base64.b64encode(part).decode())
        off += len(part)
        assert r["size"] == off, (r, off)
        if off >= len(data):
            return


def tar_bytes(members):
    """members: (TarInfo, bytes or None) pairs, written as-is (no name cleaning)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for ti, data in members:
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def rootfs_tar_members(extra=()):
    out = []
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        tf.add(rootfs, arcname=".")
    buf.seek(0)
    with tarfile.open(fileobj=buf) as tf:
        for ti in tf.getmembers():
            out.append((ti, tf.extractfile(ti).read() if ti.isfile() else None))
    return out + list(extra)


def file_member(name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    return ti, data


def upload_mounts():
    with open("/proc/self/mountinfo") as f:
        return [line for line in f if root + "-agent/bundles/" in line]


def staged(name):
    return os.path.exists(os.path.join(UPLOADS, name + ".tar"))


def expect_error(code, needle, fn):
    try:
        fn()
    except AgentError as e:
        assert e.code == code, e
        assert needle in e.message, e.message
        return e
    raise AssertionError(f"expected {code} ({needle}), got success")


def t_upload_run():
    assert "upload" in a.call("ping")["features"]
    secret = uuid.uuid4().hex
    marker = file_member("./srv/uploaded.txt", f"from the host {secret}\n".encode())
    srv = tarfile.TarInfo("./srv")
    srv.type = tarfile.DIRTYPE
    srv.mode = 0o750
    data = tar_bytes(rootfs_tar_members([(srv, None), marker]))
    assert len(data) > 3 * 256 * 1024, len(data)   # several chunks
    upload(a, "up-run", data, chunk=256 * 1024)
    assert staged("up-run")
    a.call("create", id="upl1", config=config(["sh", "-c", "cat /srv/uploaded.txt; stat -c %a /srv"]),
           rootfs={"upload": "up-run"})
    assert not staged("up-run"), "create did not consume the staged tar"
    a.call("start", id="upl1")
    res = a.call("wait", id="upl1")
    out, err = decode_output(res)
    assert res["status"] == 0, (res, err)
    assert out == f"from the host {secret}\n750\n", repr(out)
    assert upload_mounts(), "no tmpfs under the bundle while the container exists"
    a.call("delete", id="upl1")
    assert not leftovers("upl1"), leftovers("upl1")
    assert not upload_mounts(), upload_mounts()


def t_upload_order():
    chunk = base64.b64encode(b"a" * 100).decode()
    a.call("upload", name="ord", offset=0, data=chunk)
    expect_error("EINVAL", "expected offset 100, got 50",
                 lambda: a.call("upload", name="ord", offset=50, data=chunk))
    expect_error("EINVAL", "expected offset 100, got 300",
                 lambda: a.call("upload", name="ord", offset=300, data=chunk))
    assert a.call("upload", name="ord", offset=100, data=chunk)["size"] == 200
    assert a.call("upload", name="ord", offset=0, data=chunk)["size"] == 100   # restart
    assert os.path.getsize(os.path.join(UPLOADS, "ord.tar")) == 100
    expect_error("EINVAL", "expected offset 0",
                 lambda: a.call("upload", name="never-started", offset=10, data=chunk))
    a.call("upload", name="ord", offset=0, data="")
    assert os.path.getsize(os.path.join(UPLOADS, "ord.tar")) == 0


def t_upload_bad_params():
    ok = base64.b64encode(b"x").decode()
    for bad in ("", ".hidden", "a/b", "../x", "x" * 65, "sp ace", 5):
        expect_error("EINVAL", "params.name", lambda: a.call("upload", name=bad, offset=0, data=ok))
    for bad in ("@@@@", "abc", "ab=c", "=abc", "YQ==YQ==", 7):
        expect_error("EINVAL", "params.data", lambda: a.call("upload", name="b64", offset=0, data=bad))
    expect_error("EINVAL", "params.offset", lambda: a.call("upload", name="b64", offset=-1, data=ok))
    big = base64.b64encode(b"z" * (CHUNK + 3)).decode()
    expect_error("EINVAL", "params.data", lambda: a.call("upload", name="b64", offset=0, data=big))
    assert not staged("b64")
    for bad in ("", ".x", "a/b", 3):
        expect_error("EINVAL", "rootfs.upload",
                     lambda: a.call("create", id="upbad", config=config(["true"]), rootfs={"upload": bad}))
    expect_error("ENOENT", "no such upload",
                 lambda: a.call("create", id="upbad", config=config(["true"]), rootfs={"upload": "nope"}))
    assert not leftovers("upbad"), leftovers("upbad")


def t_upload_cap():
    # another upload holds part of the cap; this one crosses it
    upload(a, "cap-a", b"a" * (6 << 20))
    e = expect_error("ENOSPC", "limit", lambda: upload(a, "cap-b", b"b" * (12 << 20)))
    assert "discarded" in e.message, e.message
    assert not staged("cap-b"), "an upload over the cap was kept"
    assert staged("cap-a")
    a.call("upload", name="cap-a", offset=0, data="")   # free it
    upload(a, "cap-b", b"b" * (12 << 20))
    a.call("upload", name="cap-b", offset=0, data="")


def t_upload_hostile():
    tag = uuid.uuid4().hex[:8]
    outside = os.path.join(work, f"outside-{tag}")
    os.mkdir(outside)
    hostile = []
    # .. climbing out, from the rootfs and from deeper
    hostile.append([file_member("../../../../../../../../.." + outside + "/dotdot", b"x")])
    hostile.append([file_member("a/../../../../../../../../.." + outside + "/dotdot2", b"x")])
    # an absolute name (after a chroot it would be inside; libarchive refuses it anyway)
    hostile.append([file_member(outside + "/absolute", b"x")])
    # a symlink pointing out, then a file written through it
    for target in (outside, "../../../../../../../../.." + outside):
        ln = tarfile.TarInfo("lnk")
        ln.type = tarfile.SYMTYPE
        ln.linkname = target
        hostile.append([(ln, None), file_member("lnk/through-symlink", b"x")])
    # a hard link to a host file
    hl = tarfile.TarInfo("hl")
    hl.type = tarfile.LNKTYPE
    hl.linkname = "../../../../../../../../.." + outside + "/victim"
    with open(os.path.join(outside, "victim"), "w") as f:
        f.write("victim\n")
    hostile.append([(hl, None), file_member("hl", b"overwritten\n")])
    for i, members in enumerate(hostile):
        upload(a, f"hostile{i}", tar_bytes(members))
        try:
            a.call("create", id=f"host{i}", config=config(["true"]), rootfs={"upload": f"hostile{i}"})
            a.call("delete", id=f"host{i}", force=True)
        except AgentError as e:
            assert e.code == "EINVAL" and f"rootfs upload hostile{i}" in e.message, e
            if os.environ.get("UPLOAD_DEBUG"):
                print(f"# hostile{i}: {e.message}")
        assert sorted(os.listdir(outside)) == ["victim"], (i, os.listdir(outside))
        with open(os.path.join(outside, "victim")) as f:
            assert f.read() == "victim\n", i
        assert not staged(f"hostile{i}")
        assert not leftovers(f"host{i}"), leftovers(f"host{i}")
        for p in ("/dotdot", "/dotdot2", "/through-symlink", "/absolute"):
            assert not os.path.exists(p), p
    assert not upload_mounts(), upload_mounts()


def t_upload_devices_skipped():
    dev = tarfile.TarInfo("evil-mem")
    dev.type = tarfile.CHRTYPE
    dev.devmajor, dev.devminor = 1, 1
    upload(a, "devs", tar_bytes(rootfs_tar_members([(dev, None)])))
    res_ = None
    a.call("create", id="devs1", config=config(["sh", "-c", "[ -e /evil-mem ] && echo present || echo absent"]),
           rootfs={"upload": "devs"})
    a.call("start", id="devs1")
    res_ = a.call("wait", id="devs1")
    a.call("delete", id="devs1")
    assert decode_output(res_)[0] == "absent\n", res_


def t_upload_garbage():
    good = tar_bytes(rootfs_tar_members())
    for i, data in enumerate((os.urandom(70000), b"\0" * 100 + b"junk" * 300, good[:len(good) // 2 + 700])):
        upload(a, f"junk{i}", data)
        e = expect_error("EINVAL", f"rootfs upload junk{i}: ",
                         lambda: a.call("create", id=f"junk{i}", config=config(["true"]),
                                        rootfs={"upload": f"junk{i}"}))
        assert len(e.message) > len(f"rootfs upload junk{i}: ") + 5, e.message
        assert not staged(f"junk{i}")
        assert not leftovers(f"junk{i}"), leftovers(f"junk{i}")
    assert not upload_mounts(), upload_mounts()


def t_upload_consumed_on_failure():
    upload(a, "bad-cfg", tar_bytes(rootfs_tar_members()))
    c = config(["true"])
    c["process"]["args"] = 5
    expect_error("EINVAL", "process.args",
                 lambda: a.call("create", id="upcfg", config=c, rootfs={"upload": "bad-cfg"}))
    assert not staged("bad-cfg"), "a failed create kept its upload"
    assert not leftovers("upcfg"), leftovers("upcfg")
    assert not upload_mounts(), upload_mounts()


def t_cli_upload():
    # bulkhead tenant run --upload: the host packer (host/vm_upload.c) against
    # this agent, reached as a stand-in tenant over its Unix socket.
    tree = os.path.join(work, "cli-tree")
    subprocess.run(["cp", "-a", rootfs, tree], check=True)
    d = os.path.join(tree, "data")
    os.mkdir(d)
    with open(os.path.join(d, "f"), "w") as f:
        f.write("payload\n")
    os.chmod(os.path.join(d, "f"), 0o640)
    os.chown(os.path.join(d, "f"), 1234, 5678)
    os.link(os.path.join(d, "f"), os.path.join(d, "hl"))
    os.symlink("f", os.path.join(d, "sl"))
    os.mkfifo(os.path.join(d, "fifo"))
    os.mkdir(os.path.join(d, "private"), 0o700)
    with open(os.path.join(d, "sparse"), "wb") as f:
        f.seek(3 << 20)
        f.write(b"end")
    big = os.urandom(1536 * 1024)   # the tar needs several 512 KiB chunks
    with open(os.path.join(d, "big"), "wb") as f:
        f.write(big)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(d, "sock"))
    hr = os.path.join(work, "cli-root")
    os.makedirs(os.path.join(hr, "tenants/h1"))
    with open(f"/proc/{agent.pid}/stat") as f:
        start = f.read().rsplit(")", 1)[1].split()[19]
    with open(os.path.join(hr, "tenants/h1/state.json"), "w") as f:
        json.dump({"name": "h1", "backend": "qemu", "status": "running", "pid": agent.pid,
                   "start_time": int(start), "transport": "unix", "agent_socket": sock,
                   "console_log": "/dev/null", "images": {}}, f)
    script = ("cd /data; stat -c '%a %u %g %h' f; stat -c %i f hl | uniq | wc -l; readlink sl; cat sl;"
              "[ -p fifo ] && echo fifo; [ -e sock ] || echo nosock; stat -c %a private; wc -c < sparse;"
              "md5sum big | cut -d' ' -f1")
    r = subprocess.run([CLI, "--root", hr, "tenant", "run", "h1", "--upload", tree, "--", "sh", "-c", script],
                       capture_output=True, text=True, timeout=120)
    s.close()
    import hashlib
    want = ("640 1234 5678 2\n1\nf\npayload\nfifo\nnosock\n700\n%d\n%s\n"
            % ((3 << 20) + 3, hashlib.md5(big).hexdigest()))
    assert r.returncode == 0 and r.stdout == want, (r.returncode, r.stdout, r.stderr)
    assert not [x for x in os.listdir(UPLOADS) if x.startswith("run-")], os.listdir(UPLOADS)
    assert not upload_mounts(), upload_mounts()
    r = subprocess.run([CLI, "--root", hr, "tenant", "run", "h1", "--upload", tree + "/missing", "--", "true"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "--upload" in r.stderr and "missing" in r.stderr, (r.returncode, r.stderr)
    assert not [x for x in os.listdir(UPLOADS) if x.startswith("run-")], os.listdir(UPLOADS)


for name, fn in [("ping returns protocol version 1 and features", t_ping),
                 ("create/start/wait captures stdout and stderr, delete leaves nothing", t_echo),
                 ("exit status comes back through wait", t_exit_code),
                 ("containers start with no signals blocked", t_sigmask),
                 ("stdin bytes sent together with the stream token reach the process", t_stream_first_bytes),
                 ("agent containers get the default caps, no_new_privs, seccomp; mount fails", t_security_inside),
                 ("exec into a running container; a signal to an exec'd process", t_exec_and_signal),
                 ("stats of a container and of the VM", t_stats),
                 ("signal to the container: exit 137 and clean delete", t_signal_container),
                 ("stdio over separate stream connections", t_streams),
                 ("malformed config: error names the field, nothing left behind", t_bad_config_leaves_nothing),
                 ("missing rootfs: error, nothing left behind", t_bad_rootfs_leaves_nothing),
                 ("ids with / or .. or empty are refused", t_bad_ids),
                 ("wrong param types and unknown methods get errors", t_wrong_types),
                 ("oversized, non-JSON, zero-length, truncated frames: error, agent survives", t_garbage_frames),
                 ("duplicate container id is refused", t_duplicate_create),
                 ("update changes the pids limit", t_update),
                 ("upload in chunks, create {upload}, the container reads the uploaded tree; delete removes it", t_upload_run),
                 ("upload chunks out of order are refused; offset 0 restarts", t_upload_order),
                 ("upload: bad names, bad base64, oversized chunks, unknown uploads are refused", t_upload_bad_params),
                 ("upload: over the cap is ENOSPC and discarded", t_upload_cap),
                 ("hostile tars (.., absolute, through symlinks, hard links) write nothing outside", t_upload_hostile),
                 ("device nodes in an uploaded tar are skipped", t_upload_devices_skipped),
                 ("garbage and truncated tars: clear error, nothing left behind", t_upload_garbage),
                 ("a create that fails still consumes its upload", t_upload_consumed_on_failure),
                 ("tenant run --upload DIR: modes, owners, hard links, symlinks, fifos, sparse files; sockets skipped", t_cli_upload),
                 ("shutdown kills and deletes every container and staged upload", t_shutdown_cleans_up)]:
    check(name, fn)

if agent.poll() is None:
    agent.send_signal(signal.SIGTERM)
    agent.wait(timeout=10)
shutil.rmtree(work, ignore_errors=True)
print(f"1..{n}")
sys.exit(1 if failed else 0)
