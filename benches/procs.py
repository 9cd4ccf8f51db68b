"""What the benchmark scripts share: a free loopback port, the processes they start (each
stopped by its PID), opentracker, a process's CPU time, a log line.

Imported by the scripts beside it (`benches/scale.py`, `transports.py`, `swarm.py`,
`playback.py`), which Python runs with this folder on its path.
"""

import os
import signal
import socket
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid, children=False):
    """User and system CPU seconds of `pid` (with its waited-for children's if `children`)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11 : 15 if children else 13]) / TICK


STARTED = []  # every process started through `spawn` and not stopped yet


def spawn(args, **kw):
    """Starts `args` in a session of its own, its output dropped unless `kw` says otherwise."""
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("stdout", subprocess.DEVNULL)
    kw.setdefault("stderr", subprocess.DEVNULL)
    p = subprocess.Popen(args, start_new_session=True, **kw)
    STARTED.append(p)
    return p


def stop(p, grace=3.0):
    """SIGTERM, then SIGKILL after `grace` seconds: this process only, by its PID."""
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)
        except ProcessLookupError:
            pass
    if p in STARTED:
        STARTED.remove(p)


def stop_all():
    """Stops every process `spawn` started that is still running (for atexit)."""
    for p in list(STARTED):
        try:
            stop(p, 1.0)
        except Exception:
            pass


def wait_port(port, limit=10.0):
    """Whether something listens on 127.0.0.1:`port` within `limit` seconds."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def tracker(port, whitelist_dir):
    """opentracker on 127.0.0.1:`port` (TCP and UDP), serving the torrents whose info hashes
    `whitelist_dir/whitelist` lists; returns its process once it answers."""
    p = spawn(["opentracker", "-i", "127.0.0.1", "-p", str(port), "-P", str(port),
               "-w", "whitelist", "-d", whitelist_dir, "-u", "nobody"])
    if not wait_port(port):
        stop(p)
        raise RuntimeError("opentracker did not start")
    return p
