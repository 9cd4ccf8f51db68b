#!/usr/bin/env python3
"""Costs as the torrent grows: bt2p-tui on synthetic torrents of 1 k, 100 k and 1 M pieces
(16 KiB each: 16 MiB, 1.6 GiB and 16 GiB), 1, 1 000 and 10 000 files of equal size and 1, 8 and
32 players, on 127.0.0.1 only.

Per cell it writes a .torrent (random piece hashes; the data does not exist, and no peer has
it), starts `bt2p-tui --no-tui` on it with DHT, trackers and LSD off, the BitTorrent side and the
HTTP server on 127.0.0.1, waits (status.json, with a deadline) until it lists every file, opens
the cell's players as concurrent GETs of as many files (spread over the torrent; they wait for
data that never comes, and status.json's `streams` must list them all), then measures

  start        launch -> status.json lists every file, `downloading` (its first snapshot after
               the engine created the files and checked them: a step of the 500 ms tick)
  status.json  its size, and the median time to fetch it over 5 requests
  build        `snapshot_build_ms` of status.json: the time the engine's last snapshot took
               to build (it is rebuilt every 500 ms); median of 6 snapshots
  RSS          VmRSS of the process after the CPU window (and its peak, VmHWM)
  idle CPU     utime+stime over a 10 s window in which nothing asks the program anything:
               the half-second snapshots, the headless status line and the players' waits
  frame        the dashboard's frame time for the same cell, from `cargo bench --bench frame`
               (synthetic snapshots drawn into a 120x40 TestBackend; see benches/frame.rs)

then stops the process (SIGINT, SIGKILL after 15 s) and removes its folder. Every figure is
printed next to its ratio to the smallest cell's (1 k pieces, 1 file, 1 player), measured in
the same run.

    cargo build --release && benches/scale.py        # all 27 cells and the frame bench, ~8 min
    benches/scale.py --grid corners                  # the 8 corners and the centre of the cube
    benches/scale.py --no-frame --out scale.json
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from procs import cpu_seconds, free_port, log

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "bt2p-tui")
PIECE = 16 * 1024
PIECES = (1_000, 100_000, 1_000_000)
FILES = (1, 1_000, 10_000)
PLAYERS = (1, 8, 32)
START_LIMIT = 300.0
CPU_WINDOW = 10.0


def mem_kib(pid):
    """(VmRSS, VmHWM) in KiB."""
    got = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                got[key] = int(line.split()[1])
    return got.get("VmRSS", 0), got.get("VmHWM", 0)


# ---------------------------------------------------------------- the torrent, bencoded by hand


def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def make_torrent(path, pieces, nfiles):
    """A torrent of `pieces` 16 KiB pieces over `nfiles` files of equal size (the last takes
    the rest), random piece hashes; returns its info hash."""
    total = pieces * PIECE
    info = {"name": f"scale-{pieces}p-{nfiles}f", "piece length": PIECE, "pieces": os.urandom(20 * pieces)}
    if nfiles == 1:
        info["length"] = total
    else:
        each = total // nfiles
        info["files"] = [
            {"length": each if i + 1 < nfiles else total - each * (nfiles - 1),
             "path": [f"Season {i // 100 + 1:02d}", f"Episode {i:05d}.mkv"]}
            for i in range(nfiles)
        ]
    raw_info = bencode(info)
    with open(path, "wb") as f:
        f.write(b"d4:info" + raw_info + b"e")
    return hashlib.sha1(raw_info).hexdigest()


# ---------------------------------------------------------------- one cell


def fetch(port, path="/status.json", timeout=10.0):
    """(body, seconds to fetch it)."""
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        body = r.read()
    return body, time.monotonic() - t0


def status(port):
    return json.loads(fetch(port)[0])


def wait_for(what, check, proc, limit):
    """Polls `check` until it returns something true, the process ends or `limit` passes."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"bt2p-tui exited ({proc.returncode}) before {what}")
        try:
            got = check()
            if got:
                return got
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no {what} within {limit:.0f} s")


def open_players(port, paths):
    """One GET per path, left waiting for data: the players."""
    socks = []
    for p in paths:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: scale.py\r\n\r\n".encode())
        socks.append(s)
    return socks


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def run_cell(work, pieces, nfiles, players):
    d = tempfile.mkdtemp(prefix=f"{pieces}p-{nfiles}f-{players}s-", dir=work)
    torrent = os.path.join(d, "scale.torrent")
    make_torrent(torrent, pieces, nfiles)
    save = os.path.join(d, "data")
    os.makedirs(save)
    http, listen = free_port(), free_port()
    logf = open(os.path.join(d, "bt2p-tui.log"), "w")
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [BIN, torrent, "--no-tui", "--no-dht", "--no-trackers", "--no-lsd", "--no-resume",
         "--bind", "127.0.0.1", "--domain-name", "127.0.0.1", "--port", str(http),
         "--listen-addr", "127.0.0.1", "--listen-port", str(listen), "--save-path", save],
        stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    socks = []
    res = {"pieces": pieces, "files": nfiles, "players": players}
    try:
        up = wait_for("every file in status.json", lambda: (
            (st := status(http))["state"] == "downloading" and len(st["files"]) == nfiles and st), proc, START_LIMIT)
        res["start_s"] = time.monotonic() - t0
        files = up["files"]
        paths = [urllib.parse.urlsplit(files[i * len(files) // players]["url"]).path for i in range(players)]
        socks = open_players(http, paths)
        wait_for(f"{players} streams in status.json", lambda: len(status(http)["streams"]) == players, proc, 60)
        # Snapshot build times, each from a fresh snapshot (one every 500 ms).
        builds = []

        def fresh():
            ms = status(http)["snapshot_build_ms"]
            return ms if ms > 0 and (not builds or ms != builds[-1]) else None

        while len(builds) < 6:
            builds.append(wait_for("a new snapshot", fresh, proc, 10))
        res["build_ms"] = statistics.median(builds)
        res["build_ms_max"] = max(builds)
        times = []
        for _ in range(5):
            body, secs = fetch(http)
            times.append(secs)
        res["status_bytes"] = len(body)
        res["status_fetch_ms"] = statistics.median(times) * 1000
        res["streams"] = len(json.loads(body)["streams"])
        # The idle window: nothing asks the program anything.
        c0, w0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(CPU_WINDOW)
        c1, w1 = cpu_seconds(proc.pid), time.monotonic()
        res["idle_cpu_pct"] = (c1 - c0) / (w1 - w0) * 100
        res["rss_kib"], res["hwm_kib"] = mem_kib(proc.pid)
        if proc.poll() is not None:
            raise RuntimeError("bt2p-tui exited during the measurements")
    except RuntimeError as e:
        res["error"] = str(e)
    finally:
        for s in socks:
            s.close()
        stop(proc)
        logf.close()
        if "error" in res:
            with open(logf.name) as f:
                res["log_tail"] = f.read()[-2000:]
        shutil.rmtree(d, ignore_errors=True)
    return res


# ---------------------------------------------------------------- the frame bench


def frame_bench():
    """{(pieces, files, players): (median ms, p95 ms)} from `cargo bench --bench frame`."""
    log("running cargo bench --bench frame ...")
    out = subprocess.run(["cargo", "bench", "--bench", "frame"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        log(out.stderr[-3000:])
        sys.exit("cargo bench --bench frame failed")
    got = {}
    for line in out.stdout.splitlines():
        m = re.match(r"\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|", line)
        if m:
            got[tuple(int(x) for x in m.groups()[:3])] = (float(m.group(4)), float(m.group(5)))
    return got


# ---------------------------------------------------------------- the table


def grid(kind):
    full = [(p, f, s) for p in PIECES for f in FILES for s in PLAYERS]
    if kind == "full":
        return full
    corners = [(p, f, s) for p in (PIECES[0], PIECES[-1]) for f in (FILES[0], FILES[-1])
               for s in (PLAYERS[0], PLAYERS[-1])]
    centre = (PIECES[1], FILES[1], PLAYERS[1])
    return [c for c in full if c in corners or c == centre]


def fmt_ratio(v, base, digits):
    if v is None:
        return "-"
    text = f"{v:.{digits}f}"
    if base:
        text += f" ({v / base:.1f}×)"
    return text


def table(results, frames):
    base = results[0]
    cols = [
        ("start s", lambda r: r.get("start_s"), 2),
        ("status.json KiB", lambda r: r.get("status_bytes") and r["status_bytes"] / 1024, 1),
        ("fetch ms", lambda r: r.get("status_fetch_ms"), 1),
        ("build ms", lambda r: r.get("build_ms"), 2),
        ("RSS MiB", lambda r: r.get("rss_kib") and r["rss_kib"] / 1024, 1),
        ("peak MiB", lambda r: r.get("hwm_kib") and r["hwm_kib"] / 1024, 1),
        ("idle CPU %", lambda r: r.get("idle_cpu_pct"), 2),
        ("frame ms", lambda r: frames.get((r["pieces"], r["files"], r["players"]), (None,))[0], 3),
    ]
    print("| pieces | files | players | streams | " + " | ".join(c[0] for c in cols) + " |")
    print("|---:" * (4 + len(cols)) + "|")
    for r in results:
        cells = [str(r["pieces"]), str(r["files"]), str(r["players"]), str(r.get("streams", "-"))]
        for _, get, digits in cols:
            cells.append(fmt_ratio(get(r), get(base) if r is not base else None, digits))
        print("| " + " | ".join(cells) + " |")
        if "error" in r:
            print(f"|  |  |  | error: {r['error']} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--grid", choices=["full", "corners"], default="full")
    ap.add_argument("--no-frame", action="store_true", help="skip cargo bench --bench frame")
    ap.add_argument("--bin", default=BIN)
    ap.add_argument("--out", help="write every figure as JSON")
    args = ap.parse_args()
    globals()["BIN"] = os.path.abspath(args.bin)
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} not found: cargo build --release first")
    t_start = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="bt2p-scale-") as work:
        # A copy of the binary as built: `cargo bench` builds target/release/bt2p-tui again, with
        # the dev-dependencies' features.
        globals()["BIN"] = shutil.copy(BIN, os.path.join(work, "bt2p-tui"))
        frames = {} if args.no_frame else frame_bench()
        for pieces, nfiles, players in grid(args.grid):
            r = run_cell(work, pieces, nfiles, players)
            results.append(r)
            log(f"{pieces} pieces, {nfiles} files, {players} players: "
                + (f"error: {r['error']}" if "error" in r else
                   f"start {r['start_s']:.2f} s, status.json {r['status_bytes']} B in {r['status_fetch_ms']:.1f} ms, "
                   f"build {r['build_ms']:.2f} ms, RSS {r['rss_kib'] / 1024:.1f} MiB, "
                   f"idle CPU {r['idle_cpu_pct']:.2f} %"))
    print(f"\nbt2p-tui as the torrent grows (16 KiB pieces, headless, loopback; "
          f"ratio to the first row in parentheses; {time.monotonic() - t_start:.0f} s in all)\n")
    table(results, frames)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"cells": results, "frames": {"%d/%d/%d" % k: v for k, v in frames.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
