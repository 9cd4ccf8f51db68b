"""What the benchmark scripts share: a free loopback port, a process's CPU time, a log line.

Imported by the scripts beside it (`benches/scale.py`, `transports.py`, `swarm.py`), which
Python runs with this folder on its path.
"""

import os
import socket
import sys

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
