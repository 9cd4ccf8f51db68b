#!/usr/bin/env python3
"""Streaming benchmark on one machine, loopback only: bt2p-tui against rqbit, same swarm.

A swarm is an HTTP tracker (opentracker) and a seeder written by others (qbittorrent-nox, or
aria2c with --seeder aria2) holding a generated 512 MiB file, torrented with 1 MiB and with
256 KiB pieces; the seeder runs unthrottled and throttled to 20 MB/s. Every run gets a fresh
tracker, a fresh seeder and an empty download folder. Per client and configuration it measures

  start       launch of the process -> first body byte of the file over HTTP
  sequential  time and MB/s to read the whole file over HTTP (sha256 checked)
  seek        3 s after launch, a Range read of 1 MiB at 70 % of the file (aligned to 1 MiB):
              time to its first and to its last byte (throttled runs only)
  player      time until ffprobe on the URL reports the duration of an MP4 whose moov
              sits at the end of the file (throttled runs only); its floor is the first
              byte of the file in the seek runs: no player starts before a piece arrives
  rss, cpu    peak RSS and CPU seconds of the client's process tree (sequential runs)
  idle        CPU of the dashboard over 5 s once the download is done (dashboard runs)

and, in the same run, the ceilings: the same files from nginx (throttled with limit_rate) and
the physical bound of a seek (piece size / rate). It prints a table of medians with each
figure's ratio to rqbit and to the ceiling, and writes everything to JSON.

With --shaper tc the seeder runs unthrottled and the kernel shapes what it sends to 20 MB/s
(an htb class on lo for its ports, needs root): a steady link, where a seeder's own limiter
sends in bursts (qbittorrent-nox: about 60 ms of data every 0.5 s at 20 MB/s), so that seek
and player start depend on when they fall between two bursts.

With --swarm mixed the swarm is five libtorrent seeders instead (tests/peers/lt_peer.py under
/usr/bin/python3 with python3-libtorrent), all holding one generated file (--size-mib, 512 by
default, 1 MiB pieces), each with its own transport and upload rate (20 MB/s in all):

  tcp        TCP only,                    7 MB/s   on the tracker
  utp        uTP only (--no-tcp),         5 MB/s   on the tracker
  ipv6       TCP and uTP on [::1] only,   4 MB/s   given directly: --peer / --initial-peers
  encrypted  MSE/PE required,             3 MB/s   on the tracker
  plain      TCP and uTP, plaintext,      1 MB/s   on the tracker

(opentracker is built for IPv4, so the IPv6 seeder is not on it; both clients then listen on
`::`). Clients: bt2p (bt2p-tui --no-tui), rqbit, and rqbit-utp (rqbit with
--experimental-enable-utp-listen). Each run has a fresh tracker, fresh seeders and an empty
download folder; per client it measures start, throughput (the whole file over HTTP, sha256
checked) and a seek (3 s after launch, 1 MiB at 70 %), and, from the seeders' own state lines,
which seeders sent data to the client, how much and over which transport. The table names the
seeders a client cannot reach and why.

Usage: benches/swarm.py [--reps 3] [--bin target/release/bt2p-tui] [--seeder qbittorrent]
                        [--shaper seeder|tc] [--bt2p-args '--request-window 64']
       benches/swarm.py --swarm mixed [--reps 3] [--size-mib 512] [--clients bt2p,rqbit,rqbit-utp]
Needs: opentracker, qbittorrent-nox (or aria2c), nginx, mktorrent, ffmpeg/ffprobe, curl,
rqbit (cargo install rqbit); the mixed swarm needs opentracker, mktorrent, python3-libtorrent
and rqbit. Takes about 13 minutes with the defaults, the mixed swarm about 10 with 3 reps.
"""

import argparse
import atexit
import hashlib
import http.client
import json
import os
import pty
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from procs import free_port, log, spawn, stop, stop_all, tracker, wait_port  # noqa: F401

MIB = 1024 * 1024
RATE = 20_000_000  # bytes per second of the throttled seeder
FILE_LEN = 512 * MIB
CLK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- process tree accounting


def children_of(pid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                kids.append(int(d))
        except OSError:
            pass
    return kids


def tree(pid):
    out, todo = [], [pid]
    while todo and len(out) < 64:
        p = todo.pop()
        out.append(p)
        todo.extend(children_of(p))
    return out


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_secs(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # utime, stime, cutime, cstime
        return sum(int(x) for x in fields[11:15]) / CLK
    except OSError:
        return 0.0


class Sampler(threading.Thread):
    """Peak RSS of a process tree, sampled every 100 ms; RSS over time on request."""

    def __init__(self, pid, keep_series=False):
        super().__init__(daemon=True)
        self.pid, self.peak, self.series = pid, 0, [] if keep_series else None
        self.halt = threading.Event()
        self.t0 = time.monotonic()

    def run(self):
        while not self.halt.wait(0.1):
            pids = tree(self.pid)
            total = sum(rss_kib(p) for p in pids)
            self.peak = max(self.peak, total)
            if self.series is not None:
                self.series.append((round(time.monotonic() - self.t0, 2), total))

    def cpu(self):
        return sum(cpu_secs(p) for p in tree(self.pid))


# ---------------------------------------------------------------- HTTP measurements


def get(url_port, path, rng=None, timeout=120.0):
    """GET; returns (status, first-byte time, end time, bytes, sha256) or raises OSError."""
    conn = http.client.HTTPConnection("127.0.0.1", url_port, timeout=timeout)
    headers = {"Range": f"bytes={rng[0]}-{rng[1]}"} if rng else {}
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    h, n, first = hashlib.sha256(), 0, None
    if resp.status not in (200, 206):
        resp.read()
        conn.close()
        return resp.status, None, time.monotonic(), 0, None
    while True:
        chunk = resp.read1(256 * 1024)
        if not chunk:
            break
        if first is None:
            first = time.monotonic()
        h.update(chunk)
        n += len(chunk)
    conn.close()
    return resp.status, first, time.monotonic(), n, h.hexdigest()


def get_retry(port, path, rng, t0, limit=60.0, proc=None):
    """Retries until the server answers with a body; times are relative to t0."""
    while time.monotonic() - t0 < limit and (proc is None or proc.poll() is None):
        try:
            st, first, end, n, digest = get(port, path, rng)
            if first is not None:
                return first - t0, end - t0, n, digest
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.02)
    return None


def ffprobe_retry(url, t0, limit=60.0, proc=None):
    while time.monotonic() - t0 < limit and (proc is None or proc.poll() is None):
        r = subprocess.run(
            ["ffprobe", "-v", "error", "-rw_timeout", "30000000", "-show_entries",
             "format=duration", "-of", "default=nw=1:nk=1", url],
            capture_output=True, text=True, timeout=60,
        )
        if r.returncode == 0 and r.stdout.strip() not in ("", "N/A"):
            return time.monotonic() - t0, float(r.stdout.strip())
        time.sleep(0.05)
    return None


# ---------------------------------------------------------------- data and torrents


def sha256_file(path, start=0, length=None):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(start)
        left = os.path.getsize(path) - start if length is None else length
        while left > 0:
            b = f.read(min(left, 4 * MIB))
            if not b:
                break
            h.update(b)
            left -= len(b)
    return h.hexdigest()


def random_file(path, length):
    with open(path, "wb") as f:
        left = length
        while left:
            n = min(left, 8 * MIB)
            f.write(os.urandom(n))
            left -= n


def moov_at_end_mp4(path, work):
    """A real MP4 of about 512 MiB, index (moov) after the media data, as ffmpeg writes it."""
    clip = os.path.join(work, "clip.mp4")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=s=1280x720:r=25,noise=alls=60:allf=t+u", "-t", "8",
         "-c:v", "mpeg4", "-q:v", "2", "-pix_fmt", "yuv420p", clip],
        check=True, timeout=600,
    )
    loops = max(1, FILE_LEN // os.path.getsize(clip))
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops - 1), "-i", clip,
         "-c", "copy", "-f", "mp4", path],
        check=True, timeout=600,
    )
    os.remove(clip)
    with open(path, "rb") as f:
        head = f.read(64)
    if b"moov" in head:
        raise SystemExit("the test MP4 has its moov at the start")


def bdecode_info_hash(data):
    """SHA-1 of the bencoded info dictionary."""

    def skip(i):
        c = data[i:i + 1]
        if c == b"i":
            return data.index(b"e", i) + 1
        if c in (b"l", b"d"):
            i += 1
            while data[i:i + 1] != b"e":
                i = skip(i)
            return i + 1
        colon = data.index(b":", i)
        return colon + 1 + int(data[i:colon])

    i = 1
    while data[i:i + 1] != b"e":
        key_end = skip(i)
        key = data[data.index(b":", i) + 1:key_end]
        val_end = skip(key_end)
        if key == b"info":
            return hashlib.sha1(data[key_end:val_end]).hexdigest()
        i = val_end
    raise ValueError("no info dictionary")


def make_torrent(src, out, piece_log2, tracker_port):
    subprocess.run(
        ["mktorrent", "-l", str(piece_log2), "-a",
         f"http://127.0.0.1:{tracker_port}/announce", "-o", out, src],
        check=True, stdout=subprocess.DEVNULL, timeout=600,
    )
    with open(out, "rb") as f:
        return bdecode_info_hash(f.read())


# ---------------------------------------------------------------- the swarm


class Shaper:
    """Traffic from the seeder's ports limited to RATE by the kernel: an htb class on lo."""

    def __init__(self, ports):
        self.ports = ports

    def tc(self, *a, check=True):
        return subprocess.run(["tc", *a], check=check, capture_output=True, timeout=10)

    def __enter__(self):
        self.tc("qdisc", "del", "dev", "lo", "root", check=False)
        self.tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10", "r2q", "100000")
        self.tc("class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "100gbit")
        bits = f"{RATE * 8 // 1000}kbit"
        self.tc("class", "add", "dev", "lo", "parent", "1:", "classid", "1:20", "htb", "rate", bits,
                "ceil", bits, "burst", "64k", "cburst", "64k")
        for direction, port in self.ports:
            self.tc("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
                    "match", "ip", direction, str(port), "0xffff", "flowid", "1:20")
        return self

    def __exit__(self, *exc):
        self.tc("qdisc", "del", "dev", "lo", "root", check=False)


def unshape():
    subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True, timeout=10)


class Swarm:
    """A fresh tracker and seeder for one run. `client_port` is the BitTorrent port of the
    client about to join, for the kernel shaper."""

    def __init__(self, env, torrent, throttled, client_port=None):
        self.env, self.torrent, self.throttled = env, torrent, throttled
        self.client_port = client_port
        self.dir = tempfile.mkdtemp(prefix="swarm-", dir=env.work)
        self.procs = []
        self.shaper = None
        # With the kernel shaping, the seeder itself runs unthrottled.
        self.seeder_throttled = throttled and env.args.shaper == "seeder"

    def __enter__(self):
        e = self.env
        self.procs.append(tracker(e.tracker_port, e.pub))
        self.seed_port = free_port()
        if self.throttled and e.args.shaper == "tc":
            # What the seeder sends: from its port, and to the client's on connections it opens.
            ports = [("sport", self.seed_port)] + ([("dport", self.client_port)] if self.client_port else [])
            self.shaper = Shaper(ports).__enter__()
        if e.args.seeder == "aria2":
            self._aria2()
        else:
            self._qbittorrent()
        return self

    def _aria2(self):
        e = self.env
        args = ["aria2c", "--seed-ratio=0", "--bt-seed-unverified=true", "--enable-dht=false",
                "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
                f"--listen-port={self.seed_port}", "--console-log-level=error",
                "--bt-max-peers=0", f"--dir={e.seed}", "--check-integrity=false",
                "--bt-tracker-interval=1", self.torrent]
        if self.seeder_throttled:
            args.insert(1, f"--max-overall-upload-limit={RATE}")
        self.procs.append(spawn(args))
        time.sleep(1.5)

    def _qbittorrent(self):
        e = self.env
        prof = os.path.join(self.dir, "qb")
        conf = os.path.join(prof, "qBittorrent", "config")
        os.makedirs(conf)
        web = free_port()
        with open(os.path.join(conf, "qBittorrent.conf"), "w") as f:
            f.write(
                "[LegalNotice]\nAccepted=true\n\n[BitTorrent]\nSession\\DHTEnabled=false\n"
                "Session\\LSDEnabled=false\nSession\\PeXEnabled=false\n"
                f"Session\\Port={self.seed_port}\nSession\\InterfaceAddress=127.0.0.1\n"
                "Session\\IgnoreLimitsOnLAN=false\nSession\\AnonymousModeEnabled=false\n"
                "Session\\QueueingSystemEnabled=false\n\n[Preferences]\n"
                f"WebUI\\Port={web}\nWebUI\\Address=127.0.0.1\nWebUI\\LocalHostAuth=false\n"
                "WebUI\\CSRFProtection=false\nWebUI\\HostHeaderValidation=false\n"
                "WebUI\\UseUPnP=false\nConnection\\UPnP=false\nGeneral\\Locale=en\n")
        self.procs.append(spawn(["qbittorrent-nox", f"--profile={prof}", f"--webui-port={web}"],
                                env=dict(os.environ, HOME=prof)))
        if not wait_port(web, 20):
            raise RuntimeError("qbittorrent-nox did not start")
        api = f"http://127.0.0.1:{web}/api/v2"
        prefs = {"dht": False, "pex": False, "lsd": False, "upnp": False,
                 "listen_port": self.seed_port, "random_port": False,
                 "limit_lan_peers": True, "limit_tcp_overhead": False,
                 "up_limit": RATE if self.seeder_throttled else 0, "dl_limit": 0,
                 "queueing_enabled": False, "announce_ip": "",
                 "enable_multi_connections_from_same_ip": True}
        curl = ["curl", "-sf", "-o", "/dev/null", "--max-time", "10"]
        subprocess.run(curl + ["--data-urlencode", "json=" + json.dumps(prefs),
                               f"{api}/app/setPreferences"], check=True)
        subprocess.run(curl + ["-F", f"torrents=@{self.torrent}", "-F", f"savepath={e.seed}",
                               "-F", "skip_checking=true", f"{api}/torrents/add"], check=True)
        curl = ["curl", "-sf", "--max-time", "10"]
        end = time.monotonic() + 20
        info, t = [], None
        while time.monotonic() < end:
            r = subprocess.run(curl + [f"{api}/torrents/info"], capture_output=True, text=True)
            info = json.loads(r.stdout or "[]")
            if info and info[0].get("state") in ("uploading", "stalledUP", "forcedUP"):
                h = info[0]["hash"]
                t = subprocess.run(curl + [f"{api}/torrents/trackers?hash={h}"],
                                   capture_output=True, text=True)
                if any(x.get("status") == 2 for x in json.loads(t.stdout or "[]")):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"qbittorrent-nox did not start seeding: {info} {t and t.stdout}")

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            stop(p)
        if self.shaper:
            self.shaper.__exit__()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- clients


def launch(env, who, torrent, dl, port, lp, peers=()):
    """Starts `who`; `peers` are given to it directly (the mixed swarm's IPv6 seeder), and
    then it listens on `::` as bt2p-tui does by default, to reach IPv6 peers at all."""
    out = open(os.path.join(env.work, "client.log"), "wb")
    if who.startswith("rqbit"):
        args = [env.args.rqbit, "--disable-dht", "--disable-dht-persistence",
                "--disable-upnp-port-forward", "--disable-lsd", "--listen-ip",
                "::" if peers else "127.0.0.1",
                "--listen-port", str(lp), "--http-api-listen-addr", f"127.0.0.1:{port}"]
        if who == "rqbit-utp":
            args.append("--experimental-enable-utp-listen")
        args += ["download", "-o", dl, torrent]
        if peers:
            args[-1:-1] = ["--initial-peers", ",".join(peers)]
        with out:
            return spawn(args, stderr=out), None
    args = [env.args.bin, torrent, "--no-dht", "--no-lsd", "--no-resume", "--bind",
            "127.0.0.1", "--port", str(port), "--listen-port", str(lp), "--save-path", dl]
    args += [f"--peer={p}" for p in peers]
    args += shlex.split(env.args.bt2p_args)
    if who == "bt2p":
        with out:
            return spawn(args + ["--no-tui"], stderr=out), None
    out.close()
    # The dashboard on a pseudo-terminal; its output is drained so it never blocks.
    master, slave = pty.openpty()
    import fcntl
    import struct
    import termios
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    p = spawn(args, stdin=slave, stdout=slave, stderr=slave,
              env=dict(os.environ, TERM="xterm-256color"))
    os.close(slave)

    def drain():
        while True:
            try:
                if not os.read(master, 65536):
                    break
            except OSError:
                break

    threading.Thread(target=drain, daemon=True).start()
    return p, master


def url_path(who, name):
    return "/torrents/0/stream/0" if who.startswith("rqbit") else "/" + name


class Env:
    pass


def make_workdir(env, prefix):
    """A fresh folder for one benchmark in `env.args.workdir`: `env.work`, with `env.pub` (the
    tracker's) and `env.seed`, and a free `env.tracker_port`. The folder goes, and every
    process started is stopped, at exit or on SIGTERM."""
    env.work = tempfile.mkdtemp(prefix=prefix, dir=env.args.workdir)
    atexit.register(lambda: shutil.rmtree(env.work, ignore_errors=True))
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    # opentracker drops to `nobody` and chroots here: the folder and whitelist must be readable.
    env.pub = os.path.join(env.work, "pub")
    env.seed = os.path.join(env.work, "seed")
    os.makedirs(env.pub)
    os.makedirs(env.seed)
    os.chmod(env.work, 0o755)
    os.chmod(env.pub, 0o755)
    env.tracker_port = free_port()


def one_run(env, kind, who, cfg):
    """Launches `who` against a fresh swarm and measures one `kind` of run."""
    name = "movie.mp4" if kind == "player" else "film.bin"
    torrent = env.torrents[(name, cfg["piece"])]
    res = {"kind": kind, "who": who, **cfg}
    lp = free_port()
    with Swarm(env, torrent, cfg["throttled"], lp):
        dl = tempfile.mkdtemp(prefix="dl-", dir=env.work)
        port = free_port()
        t0 = time.monotonic()
        proc, master = launch(env, who, torrent, dl, port, lp)
        sampler = Sampler(proc.pid, keep_series=(kind == "long"))
        sampler.start()
        path = url_path(who, name)
        try:
            if kind in ("seq", "long"):
                res.update(measure_seq(env, port, path, name, t0, proc, limit=600))
                if master is not None and kind == "seq":
                    time.sleep(1)
                    c0 = sampler.cpu()
                    time.sleep(5)
                    res["idle_cpu_pct"] = (sampler.cpu() - c0) / 5 * 100
            elif kind == "seek":
                res.update(measure_seek(env, port, path, t0, proc))
            elif kind == "player":
                r = ffprobe_retry(f"http://127.0.0.1:{port}{path}", t0, proc=proc)
                if r:
                    res["player"], res["duration"] = r
                    res["ok"] = abs(r[1] - env.mp4_duration) < 0.5
        except (OSError, http.client.HTTPException) as e:
            res["error"] = str(e)
        if proc.poll() is not None or not res.get("ok"):
            with open(os.path.join(env.work, "client.log"), "rb") as f:
                res["log_tail"] = f.read()[-600:].decode(errors="replace")
        finish(res, sampler, proc, master, dl)
    return res


def measure_seq(env, port, path, name, t0, proc, limit):
    """The whole file over HTTP: its first byte since launch, time and MB/s, and whether it is
    the file (length and sha256)."""
    r = get_retry(port, path, None, t0, limit=limit, proc=proc)
    if not r:
        return {}
    first, end, n, digest = r
    return {"start": first, "seq_secs": end - first, "seq_mbps": n / (end - first) / 1e6,
            "ok": n == env.lengths[name] and digest == env.digests[name]}


def measure_seek(env, port, path, t0, proc):
    """3 s after launch, 1 MiB at 70 %: the time to its first and last byte, and whether it is
    right."""
    r = get_retry(port, path, (0, 0), t0, proc=proc)
    if r is None:
        raise OSError("the client did not serve the file")
    time.sleep(max(0.0, 3.0 - (time.monotonic() - t0)))
    a = env.seek_at
    t1 = time.monotonic()
    st, first, end, n, digest = get(port, path, (a, a + MIB - 1), timeout=60)
    return {"start_probe": r[0], "seek_first": first - t1 if first else None,
            "seek_last": end - t1, "ok": digest == env.seek_digest}


def finish(res, sampler, proc, master, dl):
    """Ends one client run: its CPU and memory into `res`, then the process and its folder."""
    res["cpu_secs"] = sampler.cpu()
    sampler.halt.set()
    sampler.join()
    res["peak_rss_mib"] = sampler.peak / 1024
    if sampler.series is not None:
        res["rss_series"] = sampler.series
    stop(proc)
    if master is not None:
        os.close(master)
    shutil.rmtree(dl, ignore_errors=True)


# ---------------------------------------------------------------- ceilings (nginx)


def nginx_run(env, kind, cfg):
    d = tempfile.mkdtemp(prefix="nginx-", dir=env.work)
    port = free_port()
    limit = f"limit_rate {RATE};" if cfg["throttled"] else ""
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""user root; worker_processes 1; daemon off; pid {d}/nginx.pid;
error_log {d}/error.log; events {{ worker_connections 64; }}
http {{ access_log off; sendfile on; types {{ video/mp4 mp4; }} default_type application/octet-stream;
  client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d};
  uwsgi_temp_path {d}; scgi_temp_path {d};
  server {{ listen 127.0.0.1:{port}; root {env.seed}; {limit} }} }}
""")
    res = {"kind": kind, "who": "nginx", **cfg}
    t0 = time.monotonic()
    p = spawn(["nginx", "-c", conf, "-p", d])
    try:
        if kind == "seq":
            r = get_retry(port, "/film.bin", None, t0)
            if r:
                first, end, n, digest = r
                res.update(start=first, seq_secs=end - first, seq_mbps=n / (end - first) / 1e6,
                           ok=digest == env.digests["film.bin"])
        elif kind == "seek":
            get_retry(port, "/film.bin", (0, 0), t0)
            a = env.seek_at
            t1 = time.monotonic()
            st, first, end, n, digest = get(port, "/film.bin", (a, a + MIB - 1))
            res.update(seek_first=first - t1, seek_last=end - t1, ok=digest == env.seek_digest)
        elif kind == "player":
            r = ffprobe_retry(f"http://127.0.0.1:{port}/movie.mp4", t0)
            if r:
                res["player"] = r[0]
    finally:
        stop(p)
        shutil.rmtree(d, ignore_errors=True)
    return res


# ---------------------------------------------------------------- report


def med(runs, key):
    v = [r[key] for r in runs if r.get(key) is not None]
    return (statistics.median(v), min(v), max(v), len(v)) if v else None


def table(results, bounds):
    rows = []
    fig = [("start", "s", "start", "seq"), ("sequential", "MB/s", "seq_mbps", "seq"),
           ("seek first byte", "s", "seek_first", "seek"), ("seek last byte", "s", "seek_last", "seek"),
           ("player start", "s", "player", "player"), ("peak RSS", "MiB", "peak_rss_mib", "seq"),
           ("CPU", "s", "cpu_secs", "seq"), ("dashboard idle CPU", "%", "idle_cpu_pct", "seq")]
    configs = sorted({(r["piece"], r["throttled"]) for r in results}, key=lambda c: (c[1], -c[0]))
    lines = []
    hdr = f"{'config':<16}{'figure':<20}{'client':<10}{'median':>10} {'min..max':>17}  {'n':>2} {'/rqbit':>7} {'/ceiling':>9}"
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for piece, thr in configs:
        cname = f"{piece // 1024}K {'20MB/s' if thr else 'unthr.'}"
        for label, unit, key, kind in fig:
            sel = lambda who: [r for r in results if r["who"] == who and r["piece"] == piece
                               and r["throttled"] == thr and r["kind"] == kind]
            rq = med(sel("rqbit"), key)
            ceil = None
            if key in ("start", "seq_mbps", "seek_first", "seek_last", "player"):
                c = med([r for r in results if r["who"] == "nginx" and r["throttled"] == thr
                         and r["kind"] == kind], key)
                ceil = c[0] if c else None
                if key == "seq_mbps" and thr:
                    ceil = RATE / 1e6
                if key in ("seek_first", "seek_last") and thr:
                    ceil = bounds[(piece, key)]
            for who in ("bt2p", "bt2p-tui", "rqbit", "nginx"):
                m = med(sel(who) if who != "nginx" else
                        [r for r in results if r["who"] == "nginx" and r["throttled"] == thr
                         and r["kind"] == kind], key)
                if not m:
                    continue
                if who == "nginx" and key not in ("start", "seq_mbps", "seek_first", "seek_last", "player"):
                    continue
                vs_rq = f"{m[0] / rq[0]:.2f}x" if rq and rq[0] and who != "rqbit" else ""
                vs_c = f"{m[0] / ceil:.2f}x" if ceil and who != "nginx" else ""
                lines.append(f"{cname:<16}{label + ' (' + unit + ')':<20}{who:<10}{m[0]:>10.3f} "
                             f"{m[1]:>8.3f}..{m[2]:<8.3f} {m[3]:>2} {vs_rq:>7} {vs_c:>9}")
            if key in ("seek_first", "seek_last") and thr:
                lines.append(f"{cname:<16}{label + ' (' + unit + ')':<20}{'bound':<10}"
                             f"{bounds[(piece, key)]:>10.3f}   (piece size / rate; 1 MiB / rate for the last byte)")
            if key == "player":
                # No player starts before the first verified piece reaches the client: the seek
                # runs of the same configuration measure that as their first byte.
                m = med([r for r in results if r["piece"] == piece and r["throttled"] == thr
                         and r["kind"] == "seek" and r["who"] != "nginx"], "start_probe")
                if m:
                    lines.append(f"{cname:<16}{label + ' (' + unit + ')':<20}{'floor':<10}{m[0]:>10.3f} "
                                 f"{m[1]:>8.3f}..{m[2]:<8.3f} {m[3]:>2}  (first byte of the file, seek runs)")
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------- mixed swarm


LT_PEER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "peers", "lt_peer.py")
LT_PYTHON = "/usr/bin/python3"  # the Debian python with python3-libtorrent

# Seeders of the mixed swarm: name, lt_peer.py options, upload rate (bytes/s), listen address.
# Uneven rates summing to 20 MB/s; the IPv6 one is not on the (IPv4) tracker.
MIXED_SEEDERS = [
    ("tcp", ["--no-utp"], 7_000_000, "127.0.0.1"),
    ("utp", ["--no-tcp"], 5_000_000, "127.0.0.1"),
    ("ipv6", [], 4_000_000, "[::1]"),
    ("encrypted", ["--encryption", "forced"], 3_000_000, "127.0.0.1"),
    ("plain", [], 1_000_000, "127.0.0.1"),
]
MIXED_CLIENTS = ("bt2p", "rqbit", "rqbit-utp")

# Why a client cannot get data from a seeder, known beforehand: (seeder, client or None for all).
MIXED_OUT_OF_REACH = {
    ("encrypted", None): "it requires MSE/PE encryption, which librqbit (under both clients) lacks",
    ("utp", "rqbit"): "rqbit connects over TCP only unless --experimental-enable-utp-listen",
    ("utp", "bt2p"): "libtorrent accepts the TCP connection and closes it in the handshake; librqbit "
                     "tries uTP only when TCP does not connect within 1 s (--bt2p-args=--prefer-utp "
                     "dials over uTP)",
    ("utp", "rqbit-utp"): "as bt2p: TCP connects, the handshake is closed, uTP is never tried",
    ("tcp", "bt2p"): "with --prefer-utp bt2p-tui dials over uTP only, and a TCP-only seeder does not "
                     "dial the client itself",
}
MIXED_NOTES = [
    "ipv6: not on the tracker (opentracker is built for IPv4); given to bt2p-tui with --peer and to "
    "rqbit with --initial-peers, both listening on ::",
    "a uTP-only peer that connects to bt2p-tui itself is accepted over uTP; it learns the client "
    "from a later announce, which a run is too short for",
]


class LtSeeder(threading.Thread):
    """One lt_peer.py seeder; its JSON state lines are read as they come (the pipe never fills)."""

    def __init__(self, env, name, opts, rate, host, torrent):
        super().__init__(daemon=True)
        self.name, self.rate, self.host = name, rate, host
        self.port = free_port()
        self.uploaded, self.client_conns, self.alerts = 0, {}, []
        self.seeding = threading.Event()
        args = [LT_PYTHON, LT_PEER, "--torrent", torrent, "--save", env.seed, "--seed-mode",
                "--listen", f"{host}:{self.port}", "--upload-rate", str(rate),
                "--seconds", "1800", *opts]
        self.proc = spawn(args, stdout=subprocess.PIPE, text=True)

    def run(self):
        for line in self.proc.stdout:
            try:
                st = json.loads(line)
            except ValueError:
                continue
            if "alert" in st:
                if len(self.alerts) < 20:
                    self.alerts.append(st["alert"])
                continue
            if st.get("seeding"):
                self.seeding.set()
            self.uploaded = max(self.uploaded, st.get("uploaded", 0))
            for p in st.get("peers", []):
                # The other seeders are libtorrent too; the client under test is not.
                if "libtorrent" in p["client"].lower() or "lt_peer" in p["client"]:
                    continue
                c = self.client_conns.setdefault(p["ip"], {"client": p["client"], "utp": p["utp"],
                                                            "encrypted": p["encrypted"], "up": 0})
                c["up"] = max(c["up"], p["up"])
                c["client"] = p["client"] or c["client"]

    @property
    def addr(self):
        return f"{self.host}:{self.port}"


def scrape_complete(tracker_port, info_hash):
    q = "".join(f"%{b:02x}" for b in bytes.fromhex(info_hash))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", tracker_port, timeout=2)
        conn.request("GET", f"/scrape?info_hash={q}")
        body = conn.getresponse().read()
        conn.close()
    except (OSError, http.client.HTTPException):
        return 0
    i = body.find(b"8:completei")
    return int(body[i + 11:body.index(b"e", i + 11)]) if i >= 0 else 0


class MixedSwarm:
    """A fresh opentracker and the MIXED_SEEDERS for one run."""

    def __init__(self, env):
        self.env = env
        self.procs, self.seeders = [], []

    def __enter__(self):
        e = self.env
        self.procs.append(tracker(e.tracker_port, e.pub))
        for name, opts, rate, host in MIXED_SEEDERS:
            s = LtSeeder(e, name, opts, rate, host, e.mixed_torrent)
            self.procs.append(s.proc)
            s.start()
            self.seeders.append(s)
        v4 = sum(1 for s in self.seeders if s.host == "127.0.0.1")
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if all(s.seeding.is_set() for s in self.seeders) and \
                    scrape_complete(e.tracker_port, e.mixed_hash) >= v4:
                return self
            if any(s.proc.poll() is not None for s in self.seeders):
                break
            time.sleep(0.1)
        raise RuntimeError("the mixed swarm did not come up: " + "; ".join(
            f"{s.name}: seeding={s.seeding.is_set()} exit={s.proc.poll()} {s.alerts[:2]}" for s in self.seeders))

    def v6_peers(self):
        return [s.addr for s in self.seeders if s.host.startswith("[")]

    def report(self):
        return {s.name: {"uploaded": s.uploaded, "rate": s.rate,
                         "conns": list(s.client_conns.values()), "alerts": s.alerts}
                for s in self.seeders}

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            stop(p)
        for s in self.seeders:
            s.join(timeout=5)


def mixed_run(env, kind, who):
    """`who` against a fresh mixed swarm: `seq` reads the whole file, `seek` a MiB at 70 %."""
    name = "film.bin"
    res = {"kind": kind, "who": who, "swarm": "mixed"}
    lp = free_port()
    with MixedSwarm(env) as swarm:
        dl = tempfile.mkdtemp(prefix="dl-", dir=env.work)
        port = free_port()
        t0 = time.monotonic()
        proc, master = launch(env, who, env.mixed_torrent, dl, port, lp, peers=swarm.v6_peers())
        sampler = Sampler(proc.pid)
        sampler.start()
        path = url_path(who, name)
        try:
            if kind == "seq":
                res.update(measure_seq(env, port, path, name, t0, proc, limit=900))
            elif kind == "seek":
                res.update(measure_seek(env, port, path, t0, proc))
        except (OSError, http.client.HTTPException) as e:
            res["error"] = str(e)
        # The seeders' last state line is at most 200 ms old.
        time.sleep(0.5)
        res["seeders"] = swarm.report()
        if proc.poll() is not None or not res.get("ok"):
            with open(os.path.join(env.work, "client.log"), "rb") as f:
                res["log_tail"] = f.read()[-600:].decode(errors="replace")
        finish(res, sampler, proc, master, dl)
    return res


def mixed_table(results, clients, file_len):
    lines = []
    hdr = f"{'figure':<26}" + "".join(f"{c:>27}" for c in clients)
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for label, unit, key, kind in (("start", "s", "start", "seq"), ("throughput", "MB/s", "seq_mbps", "seq"),
                                   ("seek last byte", "s", "seek_last", "seek"),
                                   ("seek first byte", "s", "seek_first", "seek")):
        row = f"{label + ' (' + unit + ')':<26}"
        for c in clients:
            m = med([r for r in results if r["who"] == c and r["kind"] == kind and r.get("ok")], key)
            n_all = len([r for r in results if r["who"] == c and r["kind"] == kind])
            cell = f"{m[0]:.3f} ({m[1]:.2f}..{m[2]:.2f}) {m[3]}/{n_all}" if m else f"- 0/{n_all}"
            row += f"{cell:>27}"
        lines.append(row)
    # What the seeders sent for one whole-file read, over the file's size: above 1, pieces or
    # blocks were fetched twice (or more of the file than the read needed).
    row = f"{'seeders sent / file':<26}"
    for c in clients:
        v = [sum(s["uploaded"] for s in r["seeders"].values()) / file_len
             for r in results if r["who"] == c and r["kind"] == "seq" and "seeders" in r]
        cell = f"{statistics.median(v):.3f} ({min(v):.2f}..{max(v):.2f})" if v else "-"
        row += f"{cell:>27}"
    lines.append(row)
    lines.append("")
    lines.append("peers reached, from the seeders' side: MiB each sent to the client in a whole-file run")
    lines.append("(median) and its share, the transport, runs in which it sent anything / all runs")
    hdr = f"{'seeder':<26}" + "".join(f"{c:>27}" for c in clients)
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for name, opts, rate, host in MIXED_SEEDERS:
        row = f"{name + ' ' + str(rate // 1_000_000) + ' MB/s':<26}"
        for c in clients:
            seq = [r for r in results if r["who"] == c and r["kind"] == "seq" and "seeders" in r]
            got = [r["seeders"][name]["uploaded"] for r in seq]
            total = [sum(s["uploaded"] for s in r["seeders"].values()) for r in seq]
            runs = [r for r in results if r["who"] == c and "seeders" in r]
            reached = sum(1 for r in runs if r["seeders"][name]["uploaded"] > 0)
            how = set()
            for r in runs:
                for conn in r["seeders"][name]["conns"]:
                    if conn["up"] > 0:
                        how.add(("uTP" if conn["utp"] else "TCP") + ("+enc" if conn["encrypted"] else ""))
            if got and max(got) > 0:
                share = statistics.median(g / t for g, t in zip(got, total) if t) * 100
                cell = f"{statistics.median(got) / MIB:.0f} {share:.0f}% {'/'.join(sorted(how))} {reached}/{len(runs)}"
            else:
                cell = f"- {reached}/{len(runs)}"
            row += f"{cell:>27}"
        lines.append(row)
    lines.append("")
    # The reasons, for the seeders a client did not reach in these runs only.
    for name, *_ in MIXED_SEEDERS:
        missed = [c for c in clients
                  if not any(r["seeders"][name]["uploaded"] > 0
                             for r in results if r["who"] == c and "seeders" in r)]
        if not missed:
            continue
        if MIXED_OUT_OF_REACH.get((name, None)) and len(missed) == len(clients):
            lines.append(f"out of reach: {name} for every client: {MIXED_OUT_OF_REACH[(name, None)]}")
            continue
        for c in missed:
            why = MIXED_OUT_OF_REACH.get((name, c), "not reached in these runs")
            lines.append(f"out of reach: {name} for {c}: {why}")
    lines += [f"note: {n}" for n in MIXED_NOTES]
    return "\n".join(lines)


def mixed_main(args):
    for tool in ("opentracker", "mktorrent"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install opentracker mktorrent")
    if subprocess.run([LT_PYTHON, "-c", "import libtorrent"], capture_output=True).returncode:
        raise SystemExit(f"{LT_PYTHON} cannot import libtorrent: apt-get install python3-libtorrent")
    clients = (args.clients or ",".join(MIXED_CLIENTS)).split(",")
    kinds = (args.kinds or "seq,seek").split(",")
    for c in clients:
        if c not in MIXED_CLIENTS:
            raise SystemExit(f"--swarm mixed runs {', '.join(MIXED_CLIENTS)}, not {c}")
    for b in [args.bin] + ([args.rqbit] if any(c.startswith("rqbit") for c in clients) else []):
        if not os.access(b, os.X_OK):
            raise SystemExit(f"{b} is missing (cargo build --release; cargo install rqbit)")

    env = Env()
    env.args = args
    make_workdir(env, "bt2p-bench-")

    t_begin = time.monotonic()
    log("generating data…")
    name = "film.bin"
    random_file(os.path.join(env.seed, name), FILE_LEN)
    env.lengths = {name: FILE_LEN}
    env.digests = {name: sha256_file(os.path.join(env.seed, name))}
    env.seek_at = (FILE_LEN * 7 // 10) // MIB * MIB
    env.seek_digest = sha256_file(os.path.join(env.seed, name), env.seek_at, MIB)
    env.mixed_torrent = os.path.join(env.pub, "film.bin.1024k.torrent")
    env.mixed_hash = make_torrent(os.path.join(env.seed, name), env.mixed_torrent, 20, env.tracker_port)
    with open(os.path.join(env.pub, "whitelist"), "w") as f:
        f.write(env.mixed_hash + "\n")
    os.chmod(os.path.join(env.pub, "whitelist"), 0o644)

    results = []
    for rep in range(args.reps):
        for kind in kinds:
            whos = list(clients)
            if rep % 2:
                whos.reverse()
            for who in whos:
                r = mixed_run(env, kind, who)
                r["rep"] = rep
                results.append(r)
                log(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()
                                if k != "seeders"}))
                log("  seeders: " + ", ".join(f"{n} {s['uploaded'] / MIB:.1f} MiB"
                                              for n, s in r["seeders"].items()))
    text = mixed_table(results, clients, FILE_LEN)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"mixed swarm, {FILE_LEN // MIB} MiB, 1 MiB pieces, {args.reps} reps, {os.cpu_count()} cores, "
          f"load at the end {load}; medians of the runs whose data was right (min..max, right/all)\n")
    print(text)
    print(f"\ntotal time {time.monotonic() - t_begin:.0f} s; JSON in {args.out}")
    with open(args.out, "w") as f:
        json.dump({"swarm": "mixed", "size_mib": FILE_LEN // MIB, "reps": args.reps,
                   "seeders": [{"name": n, "options": o, "rate": r, "host": h} for n, o, r, h in MIXED_SEEDERS],
                   "results": results, "table": text}, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--bin", default=os.path.join(root, "target", "release", "bt2p-tui"))
    ap.add_argument("--rqbit", default=shutil.which("rqbit") or os.path.expanduser("~/.cargo/bin/rqbit"))
    ap.add_argument("--seeder", choices=["qbittorrent", "aria2"], default="qbittorrent")
    ap.add_argument("--shaper", choices=["seeder", "tc"], default="seeder",
                    help="who holds the rate at 20 MB/s: the seeder's limiter, or the kernel (tc, root)")
    ap.add_argument("--bt2p-args", default="", help="more options for bt2p-tui, e.g. '--request-window 64'")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--pieces", default="1024,256", help="piece sizes in KiB")
    ap.add_argument("--throttle", default="0,1", help="0 unthrottled, 1 at 20 MB/s")
    ap.add_argument("--kinds", default=None, help="seq,seek,player (mixed swarm: seq,seek)")
    ap.add_argument("--clients", default=None,
                    help="bt2p,bt2p-tui,rqbit (mixed swarm: bt2p,rqbit,rqbit-utp)")
    ap.add_argument("--swarm", choices=["single", "mixed"], default="single",
                    help="one qbittorrent-nox/aria2c seeder, or the mixed swarm of libtorrent seeders")
    ap.add_argument("--long-gib", type=int, default=4, help="size of the memory-over-a-long-stream run (0: skip)")
    ap.add_argument("--size-mib", type=int, default=512, help="size of the test files")
    ap.add_argument("--out", default="bench-results.json")
    ap.add_argument("--workdir", default=None, help="where the temporary files go (default: /tmp)")
    args = ap.parse_args()
    global FILE_LEN
    FILE_LEN = args.size_mib * MIB
    if args.swarm == "mixed":
        return mixed_main(args)
    args.kinds = args.kinds or "seq,seek,player"
    args.clients = args.clients or "bt2p,bt2p-tui,rqbit"

    for tool in ("opentracker", "mktorrent", "nginx", "ffmpeg", "ffprobe", "curl",
                 "aria2c" if args.seeder == "aria2" else "qbittorrent-nox"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install opentracker mktorrent nginx-light ffmpeg curl qbittorrent-nox aria2")
    for b in (args.bin, args.rqbit):
        if not os.access(b, os.X_OK):
            raise SystemExit(f"{b} is missing (cargo build --release; cargo install rqbit)")

    env = Env()
    env.args = args
    make_workdir(env, "bt2p-bench-")
    if args.shaper == "tc":
        atexit.register(unshape)

    t_begin = time.monotonic()
    log("generating data…")
    random_file(os.path.join(env.seed, "film.bin"), FILE_LEN)
    moov_at_end_mp4(os.path.join(env.seed, "movie.mp4"), env.work)
    env.lengths = {n: os.path.getsize(os.path.join(env.seed, n)) for n in ("film.bin", "movie.mp4")}
    env.digests = {n: sha256_file(os.path.join(env.seed, n)) for n in ("film.bin", "movie.mp4")}
    env.seek_at = (FILE_LEN * 7 // 10) // MIB * MIB
    env.seek_digest = sha256_file(os.path.join(env.seed, "film.bin"), env.seek_at, MIB)
    env.mp4_duration = float(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1",
         os.path.join(env.seed, "movie.mp4")], capture_output=True, text=True, check=True).stdout)
    pieces = [int(p) * 1024 for p in args.pieces.split(",")]
    env.torrents, hashes = {}, []
    for name in ("film.bin", "movie.mp4"):
        for p in pieces:
            t = os.path.join(env.pub, f"{name}.{p // 1024}k.torrent")
            hashes.append(make_torrent(os.path.join(env.seed, name), t, p.bit_length() - 1, env.tracker_port))
            env.torrents[(name, p)] = t
    env.whitelist = os.path.join(env.pub, "whitelist")
    with open(env.whitelist, "w") as f:
        f.write("\n".join(hashes) + "\n")
    os.chmod(env.whitelist, 0o644)
    log(f"data ready in {time.monotonic() - t_begin:.0f} s")

    results = []
    kinds = args.kinds.split(",")
    clients = args.clients.split(",")
    for thr in (int(x) for x in args.throttle.split(",")):
        for piece in pieces:
            cfg = {"piece": piece, "throttled": bool(thr)}
            for rep in range(args.reps):
                for kind in kinds:
                    if kind != "seq" and not thr:
                        continue  # at loopback speed the seek target is downloaded before 3 s
                    whos = [w for w in ("bt2p", "rqbit") if w in clients]
                    if kind == "seq" and piece == pieces[0] and "bt2p-tui" in clients:
                        whos.append("bt2p-tui")
                    # Alternate the order so that drift on a shared machine hits both sides.
                    if rep % 2:
                        whos.reverse()
                    for who in whos:
                        r = one_run(env, kind, who, cfg)
                        r["rep"] = rep
                        results.append(r)
                        log(json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                                        for k, v in r.items() if k != "rss_series"}))
                    # Ceilings: nginx does not depend on the piece size.
                    if piece == pieces[0] and (rep == 0 or not thr or kind != "seq"):
                        r = nginx_run(env, kind, cfg)
                        r["rep"] = rep
                        results.append(r)
                        log(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}))
    # Copy nginx ceilings to every piece size of the same throttle.
    for r in [r for r in results if r["who"] == "nginx"]:
        for p in pieces[1:]:
            results.append(dict(r, piece=p))

    long_run = None
    if args.long_gib:
        log(f"memory over a {args.long_gib} GiB stream…")
        big = os.path.join(env.seed, "long.bin")
        random_file(big, args.long_gib * 1024 * MIB)
        t = os.path.join(env.pub, "long.torrent")
        with open(env.whitelist, "a") as f:
            f.write(make_torrent(big, t, 22, env.tracker_port) + "\n")
        env.torrents[("long.bin", 4 * MIB)] = t
        env.lengths["long.bin"] = os.path.getsize(big)
        env.digests["long.bin"] = sha256_file(big)
        long_run = {}
        for who in ("bt2p-tui", "rqbit"):
            r = one_run_long(env, who)
            long_run[who] = r
            log(json.dumps({k: v for k, v in r.items() if k != "rss_series"}))
        os.remove(big)

    bounds = {}
    for p in pieces:
        bounds[(p, "seek_first")] = p / RATE
        bounds[(p, "seek_last")] = max(p, MIB) / RATE
    text = table(results, bounds)
    print(text)
    if long_run:
        for who, r in long_run.items():
            s = r.get("rss_series", [])
            q = [s[int(len(s) * f) - 1][1] / 1024 for f in (0.25, 0.5, 0.75, 1.0)] if s else []
            print(f"long stream {args.long_gib} GiB, {who}: RSS MiB at 25/50/75/100 %: "
                  + " / ".join(f"{x:.0f}" for x in q)
                  + f"; peak {r.get('peak_rss_mib', 0):.0f} MiB, {r.get('seq_mbps', 0):.0f} MB/s, ok={r.get('ok')}")
    print(f"\ntotal time {time.monotonic() - t_begin:.0f} s; JSON in {args.out}")
    with open(args.out, "w") as f:
        json.dump({"results": results, "long": long_run, "bounds": {f"{k[0]}:{k[1]}": v for k, v in bounds.items()},
                   "table": text}, f, indent=1)


def one_run_long(env, who):
    # The 4 MiB-piece torrent of the long file, unthrottled, one sequential read.
    name = "long.bin"
    torrent = env.torrents[(name, 4 * MIB)]
    res = {"kind": "long", "who": who}
    with Swarm(env, torrent, False):
        dl = tempfile.mkdtemp(prefix="dl-", dir=env.work)
        port = free_port()
        t0 = time.monotonic()
        proc, master = launch(env, who, torrent, dl, port, free_port())
        sampler = Sampler(proc.pid, keep_series=True)
        sampler.start()
        r = get_retry(port, url_path(who, name), None, t0, limit=900, proc=proc)
        if r:
            first, end, n, digest = r
            res.update(start=first, seq_secs=end - first, seq_mbps=n / (end - first) / 1e6,
                       ok=n == env.lengths[name] and digest == env.digests[name])
        finish(res, sampler, proc, master, dl)
    return res


if __name__ == "__main__":
    main()
