#!/usr/bin/env python3
"""What the wire costs, against libtorrent (python3-libtorrent) on 127.0.0.1, with a generated
file (512 MiB by default), several times each; prints the transfer rate and the CPU seconds
bt2p-tui spent, as medians with the spread:

- utp: uTP against TCP, bt2p-tui seeding to a libtorrent leecher over uTP (its default) and
  over TCP (uTP off);
- encryption: RC4 against plaintext, bt2p-tui streaming the whole file over HTTP as it
  downloads it, unthrottled, from a libtorrent seeder over TCP that requires encryption (RC4
  throughout; bt2p-tui with --encryption require) or has it off (bt2p-tui --encryption off).

    cargo build --release && benches/transports.py [--mib 512] [--reps 3] [--only utp|encryption]
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from procs import cpu_seconds, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "bt2p-tui")
LT_PEER = os.path.join(ROOT, "tests", "peers", "lt_peer.py")


def wait_http(port, limit=60):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit("bt2p-tui did not answer")


def status(port):
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.json", timeout=5) as r:
        return json.load(r)


def utp_run(work, torrent, seed, transport):
    http, listen = free_port(), free_port()
    client = subprocess.Popen(
        [BIN, torrent, "--no-tui", "--no-dht", "--no-trackers", "--no-resume", "--bind", "127.0.0.1",
         "--port", str(http), "--listen-port", str(listen), "--save-path", seed],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        wait_http(http)
        end = time.monotonic() + 600
        while status(http)["state"] != "seeding":
            if time.monotonic() > end:
                sys.exit("bt2p-tui did not start seeding")
            time.sleep(0.1)
        leech = os.path.join(work, "leech")
        shutil.rmtree(leech, ignore_errors=True)
        os.makedirs(leech)
        args = ["/usr/bin/python3", LT_PEER, "--torrent", torrent, "--save", leech,
                "--listen", f"127.0.0.1:{free_port()}", "--peer", f"127.0.0.1:{listen}",
                "--encryption", "enabled", "--seconds", "900"]
        if transport == "tcp":
            args.append("--no-utp")
        cpu0 = cpu_seconds(client.pid)
        t0 = time.monotonic()
        lt = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        utp_seen = False
        for line in lt.stdout:
            st = json.loads(line)
            if "state" not in st:
                continue
            utp_seen |= any(p.get("utp") for p in st["peers"])
            if st["seeding"]:
                break
        secs = time.monotonic() - t0
        cpu = cpu_seconds(client.pid) - cpu0
        lt.send_signal(signal.SIGTERM)
        lt.wait(timeout=30)
        size = os.path.getsize(os.path.join(leech, os.listdir(leech)[0]))
        return {"mb_s": size / secs / 1e6, "cpu_s": cpu, "utp": utp_seen}
    finally:
        client.send_signal(signal.SIGTERM)
        client.wait(timeout=30)


def lt_seeding(work, torrent, seed, extra):
    """A libtorrent seeder on 127.0.0.1 (TCP only), once it seeds: (process, port)."""
    port = free_port()
    log = open(os.path.join(work, "lt-seeder.jsonl"), "w")
    lt = subprocess.Popen(
        ["/usr/bin/python3", LT_PEER, "--torrent", torrent, "--save", seed, "--listen", f"127.0.0.1:{port}",
         "--no-utp", "--seed-mode", "--seconds", "900"] + extra,
        stdout=log, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    end = time.monotonic() + 120
    while time.monotonic() < end:
        with open(log.name) as f:
            lines = [l for l in f.read().splitlines() if '"state"' in l]
        if lines and json.loads(lines[-1])["seeding"]:
            return lt, port
        time.sleep(0.1)
    lt.kill()
    sys.exit("the libtorrent seeder did not start")


def encryption_run(work, torrent, seed, mode, want_sha):
    """bt2p-tui streams the whole file from a libtorrent seeder, `mode` rc4 or plain."""
    lt_opts, ours = {
        "rc4": (["--encryption", "forced", "--rc4"], "require"),
        "plain": (["--encryption", "disabled"], "off"),
    }[mode]
    lt, lt_port = lt_seeding(work, torrent, seed, lt_opts)
    dl = os.path.join(work, "dl")
    shutil.rmtree(dl, ignore_errors=True)
    os.makedirs(dl)
    http = free_port()
    client = subprocess.Popen(
        [BIN, torrent, "--no-tui", "--no-dht", "--no-trackers", "--no-resume", "--bind", "127.0.0.1",
         "--port", str(http), "--listen-port", str(free_port()), "--save-path", dl,
         "--peer", f"127.0.0.1:{lt_port}", "--encryption", ours],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        import urllib.request
        wait_http(http)
        name = status(http)["files"][0]["path"]
        cpu0, lt_cpu0 = cpu_seconds(client.pid), cpu_seconds(lt.pid)
        t0 = time.monotonic()
        sha = hashlib.sha256()
        encrypted = set()
        got = 0
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/{name}", timeout=120) as r:
            while chunk := r.read(1 << 20):
                sha.update(chunk)
                got += len(chunk)
                if got % (64 << 20) < len(chunk):
                    encrypted |= {p["encrypted"] for p in status(http)["peers"]}
        secs = time.monotonic() - t0
        cpu = cpu_seconds(client.pid) - cpu0
        lt_cpu = cpu_seconds(lt.pid) - lt_cpu0
        if sha.hexdigest() != want_sha:
            sys.exit(f"{mode}: the stream is not the file")
        return {"mb_s": got / secs / 1e6, "cpu_s": cpu, "lt_cpu_s": lt_cpu, "mb": got / 1e6,
                "encrypted": sorted(encrypted)}
    finally:
        client.send_signal(signal.SIGTERM)
        client.wait(timeout=30)
        lt.send_signal(signal.SIGTERM)
        lt.wait(timeout=30)


def summary(name, runs, mib):
    rate = [r["mb_s"] for r in runs]
    cpu = [r["cpu_s"] for r in runs]
    print(f"{name} median {statistics.median(rate):.1f} MB/s ({min(rate):.1f}-{max(rate):.1f}), "
          f"CPU {statistics.median(cpu):.2f} s ({min(cpu):.2f}-{max(cpu):.2f}) for {mib} MiB, "
          f"{statistics.median(cpu) / (mib * 1.048576) * 1000:.2f} ms per MB")
    return statistics.median(rate)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", choices=["utp", "encryption"])
    a = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    with tempfile.TemporaryDirectory() as work:
        seed = os.path.join(work, "seed")
        os.makedirs(seed)
        data = os.path.join(seed, "big.bin")
        with open(data, "wb") as f:
            for _ in range(a.mib):
                f.write(os.urandom(1 << 20))
        torrent = os.path.join(work, "big.torrent")
        subprocess.run(["mktorrent", "-l", "20", "-a", "http://127.0.0.1:1/announce", "-o", torrent, data],
                       check=True, stdout=subprocess.DEVNULL)
        want_sha = hashlib.sha256(open(data, "rb").read()).hexdigest()
        if a.only != "encryption":
            results = {"utp": [], "tcp": []}
            for _ in range(a.reps):
                for transport in ("utp", "tcp"):
                    r = utp_run(work, torrent, seed, transport)
                    results[transport].append(r)
                    print(f"{transport}: {r['mb_s']:.1f} MB/s, bt2p-tui CPU {r['cpu_s']:.2f} s, uTP seen: {r['utp']}", flush=True)
            for transport, runs in results.items():
                summary(transport, runs, a.mib)
        if a.only != "utp":
            results = {"rc4": [], "plain": []}
            for _ in range(a.reps):
                for mode in ("rc4", "plain"):
                    r = encryption_run(work, torrent, seed, mode, want_sha)
                    results[mode].append(r)
                    print(f"{mode}: {r['mb_s']:.1f} MB/s, bt2p-tui CPU {r['cpu_s']:.2f} s, "
                          f"libtorrent seeder CPU {r['lt_cpu_s']:.2f} s, peers encrypted: {r['encrypted']}",
                          flush=True)
            rc4 = summary("rc4 (--encryption require)", results["rc4"], a.mib)
            plain = summary("plaintext (--encryption off)", results["plain"], a.mib)
            print(f"rc4 / plaintext: {rc4 / plain:.0%}")

if __name__ == "__main__":
    main()
