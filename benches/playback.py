#!/usr/bin/env python3
"""Playback benchmark on one machine, loopback only: bt2p-tui, rqbit and peerflix under a model
of a video player, over swarms of throttled seeders.

The player reads the file over HTTP from byte 0 as a film of 8 Mbit/s is played, with a
read-ahead cache like mpv's: it reads as fast as the server sends until it holds 64 MiB ahead of
the playback position, then only as fast as it plays. Playback starts, and resumes after a stall
or a seek, once 1 s of media (1 MB) is buffered at the playback position (mpv's
cache-pause-wait). A seek closes the connection and opens a Range request at the new place, as
mpv does. Per run it counts

  startup     launch of the client -> 1 s of media buffered at byte 0
  ahead       MB/s of the read-ahead: 32 MiB read from the first byte (the player's view of
              sequential speed; 0 if a seek came first); in the JSON also `ahead_secs`, launch
              -> 32 MiB buffered (a client that starts late then sends pieces it already holds
              at loopback speed)
  stalls      after startup, times the playback position caught up with the data (count and
              total time until 1 s was buffered again); seek waits are not stalls; in the
              JSON also `stalls_at`, when each began (seconds after launch) and where (MiB)
  seek resume seek -> 1 s of media buffered at the new place; p50 and p95 over all seeks of
              all repetitions (with a few seeks p95 is close to the worst one)

Seeks follow a script, each after a delay of playback from the moment playback (re)started:
by default 10 s after start to 85 %, 20 s later to 40 %, 8 s later to 15 %, 8 s later to 65 %,
then 8 s of playback. At 20 MB/s every client holds the whole file after about 27 s, so only
the first seek of that script lands on missing data; `--seeks 5:85,5:50,5:70` keeps every seek
on missing data there. Swarms, each fresh for every run (opentracker on 127.0.0.1 and seeders
of a generated 512 MiB file, 1 MiB pieces; aria2c seeders, each with its own
--max-overall-upload-limit, except in `choke`):

  one     one seeder at 20 MB/s
  eight   eight seeders of uneven speed, 20 MB/s together (shares 2.5, 5, 7.5, 10, 12.5, 15,
          15 and 32.5 %)
  slow8   the same eight at 4 MB/s together (100 kB/s to 1.3 MB/s each)
  choke   the rates of slow8 from eight libtorrent 2.0.8 seeders that choke, and three
          libtorrent leechers competing for their unchoke slots: what a busy swarm does to a
          client that arrives late

The `choke` peers are benches/lt_swarm_peer.py under /usr/bin/python3 (python3-libtorrent),
listening on 127.0.0.1 only, without DHT, LSD, UPnP or NAT-PMP, with rate limits applied on
loopback (ignore_limits_on_local_network off). The seeders start in seed mode on the generated
file, with upload_rate_limit at their rate and the fixed-slots choker: unchoke_slots_limit 2,
seed_choking_algorithm round_robin, seeding_piece_quota 2. With 2 slots libtorrent keeps one for
the optimistic unchoke, so each seeder sends to two peers: one regular, which keeps its slot for
at least a minute (libtorrent's floor for round robin, whatever the interval) and until it has 2
pieces, and one optimistic, which rotates every optimistic_unchoke_interval to the peer that has
waited longest (a newcomer first). A run lasts about a minute, so both intervals are a third of
libtorrent's defaults: unchoke_interval 5 s (15), the rounds that choke a preemptively unchoked
peer, promote the optimistic peer when it got more than the regular one and refill freed slots,
and optimistic_unchoke_interval 10 s (30), so that the slot rotates several times in a run
instead of once. Two seeders (200 and 600 kB/s) take uTP only, as many peers of real swarms do.
The leechers start on empty folders once the tracker lists every seeder, download unthrottled
and upload at most 250 kB/s each (a home uplink), with the same choker. The client is launched
once every leecher receives data and every seeder's slots are contested (both taken by leechers,
one optimistically, and a third leecher choked). Measured: a uTP-only seeder takes no TCP
connection, and it learns of a client only from an incoming connection, a later announce
(opentracker asks for one every 30 min) or PEX, which in practice did not happen within a run:
bt2p-tui (TCP first) and peerflix (TCP only) reached 6 of the 8 seeders, 3.2 of the 4 MB/s, as
rqbit (TCP only) should; the uTP-only seeders are kept because real swarms have them. Per run
the JSON has, per seeder and leecher, the bytes it sent to the client, how the two were
connected, how long the client was interested and unchoked, and its first unchoke; the table
adds their medians. A `choke` run takes about 100 s (11 s to set the swarm up).

Every client starts on an empty folder. The order of the clients alternates between
repetitions, so drift on a shared machine hits all of them. It prints medians over the
repetitions next to each other and writes every run to JSON. Variants of bt2p-tui with other
options run as further clients of the same swarms:

  --variant 'rw16=--request-window 16' --variant 'od=--on-demand'
  --variant 'new=' --variant-bin new=../other/target/release/bt2p-tui

Usage: benches/playback.py [--reps 2] [--swarms one,eight,slow8,choke]
                           [--clients bt2p,rqbit,peerflix] [--variant NAME=ARGS]...
                           [--seeks 10:85,20:40,8:15,8:65] [--tail 8]
                           [--bin target/release/bt2p-tui] [--rqbit PATH] [--peerflix PATH]
Needs: opentracker, aria2c, mktorrent, python3-libtorrent (for `choke`); rqbit (cargo install
rqbit --locked --root .tools), peerflix 0.39 (npm install --prefix .tools/peerflix
peerflix@0.39) and node. About 32 minutes with the defaults (24 runs: a run lasts about a
minute, one of `choke` about 100 s).
"""

import argparse
import http.client
import json
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import free_port, log, spawn, stop, tracker, wait_port  # noqa: E402
from swarm import MIB, make_torrent, make_workdir, random_file, scrape_complete  # noqa: E402

BITRATE = 1_000_000  # bytes per second of media: 8 Mbit/s
CACHE = 64 * MIB  # read-ahead held by the player
RESUME = BITRATE  # 1 s of media buffered before playback (re)starts
AHEAD = 32 * MIB  # read-ahead measured for the `ahead` speed
SHARES = [0.025, 0.05, 0.075, 0.10, 0.125, 0.15, 0.15, 0.325]
SWARMS = {
    "one": [20_000_000],
    "eight": [round(s * 20_000_000) for s in SHARES],
    "slow8": [round(s * 4_000_000) for s in SHARES],
    "choke": [round(s * 4_000_000) for s in SHARES],
}
# Swarms of libtorrent peers (benches/lt_swarm_peer.py) instead of aria2c seeders.
LT_SWARMS = {"choke"}
LT_PYTHON = "/usr/bin/python3"  # the Debian python with python3-libtorrent
LT_PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lt_swarm_peer.py")
# The `choke` swarm: which seeders (indices into its rates) take uTP only, how many leechers
# compete with the client, and the choker every peer runs.
CHOKE_UTP_ONLY = (1, 6)  # 200 kB/s and 600 kB/s
CHOKE_LEECHERS = 3
CHOKE_LEECH_UP = 250_000  # bytes/s each leecher uploads at most (a 2 Mbit/s home uplink)
CHOKE_SLOTS = 2  # unchoke_slots_limit; libtorrent keeps one of them for the optimistic unchoke
CHOKE_QUOTA = 2  # seeding_piece_quota, pieces
CHOKE_INTERVAL = 5  # unchoke_interval, s (libtorrent: 15)
CHOKE_OPTIMISTIC = 10  # optimistic_unchoke_interval, s (libtorrent: 30)
LT_SAMPLE = 0.5  # seconds between the state lines of a libtorrent peer
NAME = "film.mkv"
START_LIMIT = 60.0  # most seconds a startup or a seek may wait before the run is given up
TICK = 0.01


class Env:
    pass


# ---------------------------------------------------------------- the swarm


class Swarm:
    """opentracker and one aria2c seeder per rate, fresh for one run; waits (bounded) until the
    tracker lists every seeder, so that the client hears of all of them in its first announce."""

    def __init__(self, env, rates):
        self.env, self.rates, self.procs, self.ports = env, rates, [], []

    def __enter__(self):
        e = self.env
        self.procs.append(tracker(e.tracker_port, e.pub))
        for rate in self.rates:
            port = free_port()
            self.ports.append(port)
            self.procs.append(spawn(
                ["aria2c", f"--max-overall-upload-limit={rate}", "--seed-ratio=0",
                 "--bt-seed-unverified=true", "--enable-dht=false", "--enable-dht6=false",
                 "--bt-enable-lpd=false", "--enable-peer-exchange=false", f"--listen-port={port}",
                 "--console-log-level=error", "--bt-max-peers=0", f"--dir={e.seed}",
                 "--check-integrity=false", "--bt-tracker-interval=1", "--file-allocation=none",
                 e.torrent]))
        end = time.monotonic() + 20
        while time.monotonic() < end and scrape_complete(e.tracker_port, e.info_hash) < len(self.rates):
            time.sleep(0.1)
        n = scrape_complete(e.tracker_port, e.info_hash)
        if n < len(self.rates):
            log(f"warning: the tracker lists {n} of {len(self.rates)} seeders")
        return self

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            stop(p)


def scrape(tracker_port, info_hash):
    """(complete, incomplete) of the torrent on the tracker; (0, 0) when it does not answer."""
    q = "".join(f"%{b:02x}" for b in bytes.fromhex(info_hash))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", tracker_port, timeout=2)
        conn.request("GET", f"/scrape?info_hash={q}")
        body = conn.getresponse().read()
        conn.close()
    except (OSError, http.client.HTTPException):
        return 0, 0
    out = []
    for key in (b"8:completei", b"10:incompletei"):
        i = body.find(key)
        out.append(int(body[i + len(key):body.index(b"e", i + len(key))]) if i >= 0 else 0)
    return tuple(out)


class LtPeer(threading.Thread):
    """One lt_swarm_peer.py process; reads its state lines as they come (the pipe never fills)
    and keeps what it did with the client under test: every peer whose id does not start with
    libtorrent's -LT is that client."""

    def __init__(self, env, kind, save, rate, utp_only=False):
        super().__init__(daemon=True)
        self.kind, self.rate, self.utp_only = kind, rate, utp_only
        self.port = free_port()
        self.seeding, self.active = threading.Event(), threading.Event()
        # Every unchoke slot taken by the other peers, one of them optimistically, and someone
        # interested left choked: the steady state a client joins in a busy swarm.
        self.contested = threading.Event()
        self.alerts, self.uploaded, self.downloaded = [], 0, 0
        self.client_t0 = self.client_lp = None  # set when the client is launched
        self.dialed_client = False  # this peer tried to connect to the client's listen port
        # Most peers this one knew of (connected or not) before the client was launched, and after.
        self.known_before = self.known_after = 0
        self.conns = {}  # ip:port of a connection to the client -> its figures
        self.samples = {"connected": 0, "interested": 0, "unchoked": 0, "optimistic": 0}
        self.unchokes, self.first_unchoke, self.was_unchoked = 0, None, False
        args = [LT_PYTHON, LT_PEER, "--torrent", env.torrent, "--save", save,
                "--port", str(self.port), "--upload-rate", str(rate),
                "--unchoke-slots", str(CHOKE_SLOTS), "--piece-quota", str(CHOKE_QUOTA),
                "--unchoke-interval", str(CHOKE_INTERVAL),
                "--optimistic-interval", str(CHOKE_OPTIMISTIC), "--every", str(LT_SAMPLE)]
        if kind == "seeder":
            args.append("--seed-mode")
        if utp_only:
            args.append("--no-tcp")
        self.proc = spawn(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def run(self):
        for line in self.proc.stdout:
            try:
                st = json.loads(line)
            except ValueError:
                continue
            if "alert" in st:
                if len(self.alerts) < 10:
                    self.alerts.append(st["alert"])
                continue
            if st.get("seeding"):
                self.seeding.set()
            self.uploaded = max(self.uploaded, st.get("uploaded", 0))
            self.downloaded = max(self.downloaded, st.get("downloaded", 0))
            if self.downloaded > 0 or (self.kind == "seeder" and self.uploaded > 0):
                self.active.set()
            if self.client_t0 is None:
                self.known_before = max(self.known_before, st.get("list_peers", 0))
            else:
                self.known_after = max(self.known_after, st.get("list_peers", 0))
            lp = f":{self.client_lp}"
            if self.client_lp and any(a.endswith(lp) for a in st.get("dialing", [])):
                self.dialed_client = True
            others = [p for p in st.get("peers", [])
                      if p["pid"].startswith("-LT") and p["interested"]]
            if sum(not p["choked"] for p in others) >= CHOKE_SLOTS \
                    and any(p["choked"] for p in others) and any(p["optimistic"] for p in others):
                self.contested.set()
            mine = [p for p in st.get("peers", []) if not p["pid"].startswith("-LT")]
            for p in mine:
                c = self.conns.setdefault(p["ip"], {"utp": p["utp"], "outgoing": p["outgoing"],
                                                    "source": p["source"], "up": 0, "down": 0})
                c["up"], c["down"] = max(c["up"], p["up"]), max(c["down"], p["down"])
            if not mine or self.client_t0 is None:
                continue
            self.samples["connected"] += 1
            interested = any(p["interested"] for p in mine)
            unchoked = any(p["interested"] and not p["choked"] for p in mine)
            self.samples["interested"] += interested
            self.samples["unchoked"] += unchoked
            self.samples["optimistic"] += unchoked and any(p["optimistic"] for p in mine)
            if unchoked and not self.was_unchoked:
                self.unchokes += 1
                if self.first_unchoke is None:
                    self.first_unchoke = time.monotonic() - self.client_t0
            self.was_unchoked = unchoked

    def report(self):
        r = {"kind": self.kind, "rate": self.rate, "utp_only": self.utp_only,
             "uploaded": self.uploaded, "downloaded": self.downloaded,
             "sent": sum(c["up"] for c in self.conns.values()),
             "got": sum(c["down"] for c in self.conns.values()),
             # How the client was reached: utp/tcp, and who dialed (`out`: this peer did).
             "conns": sorted({("utp" if c["utp"] else "tcp") + ("-out" if c["outgoing"] else "")
                              for c in self.conns.values()}),
             "unchokes": self.unchokes, "first_unchoke": self.first_unchoke,
             "dialed_client": self.dialed_client,
             # It heard of a new peer after the launch: the client (incoming, or by PEX).
             "heard_of_client": self.known_after > self.known_before}
        r.update({f"{k}_secs": v * LT_SAMPLE for k, v in self.samples.items()})
        if self.alerts:
            r["alerts"] = self.alerts
        return r


class LtSwarm:
    """opentracker, one libtorrent seeder per rate (seed mode on the generated file; those in
    CHOKE_UTP_ONLY take uTP only) and CHOKE_LEECHERS libtorrent leechers on empty folders, fresh
    for one run. The seeders come first and are on the tracker before the leechers start, so
    that each leecher hears of all of them; the client is launched once every leecher is
    receiving data and every seeder's slots are contested (both unchoke slots taken by leechers,
    one of them optimistically, and a third leecher choked), as a client finds a busy swarm."""

    def __init__(self, env, rates):
        self.env, self.rates, self.procs, self.ports = env, rates, [], []
        self.seeders, self.leechers, self.dirs = [], [], []

    def _wait(self, what, ok, limit):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            if ok():
                return
            dead = [p for p in self.seeders + self.leechers if p.proc.poll() is not None]
            if dead:
                raise RuntimeError(f"a libtorrent {dead[0].kind} exited: {dead[0].alerts[:2]}")
            time.sleep(0.1)
        log(f"warning: {what() if callable(what) else what}")

    def __enter__(self):
        e = self.env
        self.t_start = time.monotonic()
        self.procs.append(tracker(e.tracker_port, e.pub))
        for i, rate in enumerate(self.rates):
            s = LtPeer(e, "seeder", e.seed, rate, utp_only=i in CHOKE_UTP_ONLY)
            self.procs.append(s.proc)
            self.seeders.append(s)
            self.ports.append(s.port)
            s.start()
        n = len(self.seeders)
        self._wait(lambda: f"the tracker lists {scrape(e.tracker_port, e.info_hash)[0]} of {n}",
                   lambda: all(s.seeding.is_set() for s in self.seeders)
                   and scrape(e.tracker_port, e.info_hash)[0] >= n, 30)
        for _ in range(CHOKE_LEECHERS):
            d = tempfile.mkdtemp(prefix="leech-", dir=e.work)
            self.dirs.append(d)
            lc = LtPeer(e, "leecher", d, CHOKE_LEECH_UP)
            self.procs.append(lc.proc)
            self.leechers.append(lc)
            lc.start()
        self._wait("not every leecher is on the tracker and receiving data",
                   lambda: all(lc.active.is_set() for lc in self.leechers)
                   and scrape(e.tracker_port, e.info_hash)[1] >= CHOKE_LEECHERS, 30)
        self._wait(lambda: "the unchoke slots of some seeders are not contested: " + ", ".join(
                   str(s.port) for s in self.seeders if not s.contested.is_set()),
                   lambda: all(s.contested.is_set() for s in self.seeders), 3 * CHOKE_OPTIMISTIC)
        return self

    def client_launched(self, t0, lp):
        self.setup_secs = t0 - self.t_start
        for p in self.seeders + self.leechers:
            p.client_t0, p.client_lp = t0, lp

    def report(self):
        return {"swarm_setup_secs": self.setup_secs,
                "seeders": {str(s.port): s.report() for s in self.seeders},
                "leechers": {str(lc.port): lc.report() for lc in self.leechers}}

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            stop(p)
        for p in self.seeders + self.leechers:
            p.join(timeout=5)
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


def choke_summary(res):
    """The figures of an LtSwarm run that go on its log line and into the table."""
    seeders = list(res["seeders"].values())
    utp = [s for s in seeders if s["utp_only"]]
    interested = sum(s["interested_secs"] for s in seeders)
    firsts = [s["first_unchoke"] for s in seeders if s["first_unchoke"] is not None]
    r = {
        "seeders_reached": sum(1 for s in seeders if s["conns"]),
        "seeders_sent": sum(1 for s in seeders if s["sent"] > 0),
        "utp_only_reached": sum(1 for s in utp if s["conns"]),
        # uTP-only seeders that heard of the client (by PEX from a leecher) and that dialed it.
        "utp_only_heard": sum(1 for s in utp if s["heard_of_client"]),
        "utp_only_dialed": sum(1 for s in utp if s["dialed_client"]),
        "from_seeders_mb": sum(s["sent"] for s in seeders) / 1e6,
        "from_leechers_mb": sum(lc["sent"] for lc in res["leechers"].values()) / 1e6,
        # Of the time the client was interested in a seeder, the share that seeder unchoked it.
        "unchoked_share": (sum(s["unchoked_secs"] for s in seeders) / interested
                           if interested else None),
        "first_unchoke": min(firsts) if firsts else None,
    }
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}


# ---------------------------------------------------------------- clients


def launch(env, who, dl, port, lp, logf):
    """Starts a client on an empty folder; returns (process, URL path of the film)."""
    if who == "rqbit":
        args = [env.args.rqbit, "--disable-dht", "--disable-dht-persistence",
                "--disable-upnp-port-forward", "--disable-lsd", "--listen-ip", "127.0.0.1",
                "--listen-port", str(lp), "--http-api-listen-addr", f"127.0.0.1:{port}",
                "download", "-o", dl, env.torrent]
        return spawn(args, stderr=logf), "/torrents/0/stream/0"
    if who == "peerflix":
        args = ["node", env.args.peerflix, env.torrent, "--no-dht", "-q", "-h", "127.0.0.1",
                "-p", str(port), "-x", str(lp), "-f", dl]
        return spawn(args, stdout=logf, stderr=logf), "/"
    extra = env.variants.get(who, "")
    args = [env.variant_bins.get(who, env.args.bin), env.torrent, "--no-tui", "--no-dht", "--no-lsd", "--no-resume",
            "--bind", "127.0.0.1", "--port", str(port), "--listen-addr", "127.0.0.1",
            "--listen-port", str(lp), "--save-path", dl] + shlex.split(extra)
    return spawn(args, stderr=logf), "/" + NAME


# ---------------------------------------------------------------- the player


class Player:
    """An HTTP reader thread that fills a cache, and a clock that plays it."""

    def __init__(self, port, path, length, proc):
        self.port, self.path, self.length, self.proc = port, path, length, proc
        self.lock = threading.Lock()
        self.gen = 0  # bumped by every seek; an old reader stops counting
        self.recv = 0  # absolute offset the data reaches
        self.play = 0.0  # absolute playback position
        self.conn = None
        self.first_byte = None
        self.error = None

    def open(self, start):
        with self.lock:
            self.gen += 1
            gen = self.gen
            old, self.conn = self.conn, None
            self.recv, self.play = start, float(start)
            self.error = None
        if old is not None:
            try:
                old.sock.shutdown(socket.SHUT_RDWR)
            except (OSError, AttributeError):
                pass
        threading.Thread(target=self.reader, args=(gen,), daemon=True).start()

    def current(self, gen):
        with self.lock:
            return gen == self.gen

    def reader(self, gen):
        end = time.monotonic() + 600
        while self.current(gen) and time.monotonic() < end and self.proc.poll() is None:
            with self.lock:
                start = self.recv
            if start >= self.length:
                return
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                conn.request("GET", self.path, headers={"Range": f"bytes={start}-"})
                resp = conn.getresponse()
                with self.lock:
                    if gen == self.gen:
                        self.error = None  # an answer: earlier errors are not the story
                if resp.status != 206 and not (resp.status == 200 and start == 0):
                    resp.read()
                    conn.close()
                    time.sleep(0.05)
                    continue
                with self.lock:
                    if gen != self.gen:
                        conn.close()
                        return
                    self.conn = conn
                while True:
                    with self.lock:
                        if gen != self.gen:
                            break
                        room = CACHE - (self.recv - int(self.play))
                    if room <= 0:
                        time.sleep(TICK)
                        continue
                    b = resp.read1(min(room, 256 * 1024))
                    if not b:
                        break
                    with self.lock:
                        if gen != self.gen:
                            break
                        self.recv += len(b)
                        if self.first_byte is None:
                            self.first_byte = time.monotonic()
                conn.close()
                with self.lock:
                    if gen != self.gen or self.recv >= self.length:
                        return
            except (OSError, http.client.HTTPException, AttributeError) as e:
                with self.lock:
                    if gen == self.gen:
                        self.error = str(e)
                time.sleep(0.05)


def play_run(env, who, rates):
    """One client against a fresh swarm, driven by the player model."""
    res = {"who": who, "swarm": env.swarm_name, "stalls": 0, "stall_secs": 0.0, "seeks": []}
    lt = env.swarm_name in LT_SWARMS
    with (LtSwarm if lt else Swarm)(env, rates) as sw:
        if not lt:
            res["seeders"] = {str(port): rate for port, rate in zip(sw.ports, rates)}
        dl = tempfile.mkdtemp(prefix="dl-", dir=env.work)
        port, lp = free_port(), free_port()
        logpath = os.path.join(env.work, f"client-{who}.log")
        with open(logpath, "wb") as logf:
            t0 = time.monotonic()
            proc, path = launch(env, who, dl, port, lp, logf)
        if lt:
            sw.client_launched(t0, lp)
        p = Player(port, path, env.length, proc)
        p.open(0)
        events = list(env.seeks)
        playing, waiting, wait_t0 = False, "start", t0
        next_at, done_at = None, None
        last = time.monotonic()
        try:
            while True:
                time.sleep(TICK)
                now = time.monotonic()
                dt, last = now - last, now
                if proc.poll() is not None:
                    res["error"] = f"the client exited with status {proc.returncode}"
                    break
                with p.lock:
                    recv = p.recv
                    if playing:
                        p.play = min(p.play + BITRATE * dt, float(p.length))
                        if p.play >= recv and recv < p.length:
                            p.play = float(recv)
                            playing, waiting, wait_t0 = False, "stall", now
                            res["stalls"] += 1
                            res.setdefault("stalls_at", []).append(
                                {"at": round(now - t0, 3), "mib": round(recv / MIB, 1)})
                    elif recv - p.play >= RESUME or recv >= p.length:
                        playing = True
                        if waiting == "start":
                            res["startup"] = now - t0
                        elif waiting == "seek":
                            res["seeks"][-1]["resume"] = now - wait_t0
                        else:
                            res["stall_secs"] += now - wait_t0
                        if waiting != "stall":
                            if events:
                                next_at = now + events[0][0]
                            else:
                                done_at = now + env.args.tail
                        waiting = None
                    first = p.first_byte
                if "ahead_mbps" not in res and first is not None and recv >= AHEAD:
                    res["ahead_mbps"] = AHEAD / max(now - first, 1e-3) / 1e6
                    res["ahead_secs"] = now - t0
                if waiting in ("start", "seek") and now - wait_t0 > START_LIMIT:
                    res["error"] = f"{waiting} waited more than {START_LIMIT:.0f} s"
                    break
                if waiting == "stall" and now - wait_t0 > START_LIMIT:
                    res["stall_secs"] += now - wait_t0
                    res["error"] = f"a stall lasted more than {START_LIMIT:.0f} s"
                    break
                if next_at is not None and now >= next_at and events:
                    delay, pct = events.pop(0)
                    if waiting == "stall":
                        res["stall_secs"] += now - wait_t0
                    target = int(env.length * pct / 100)
                    res.setdefault("ahead_mbps", 0.0)
                    res["seeks"].append({"to_pct": pct, "at": now - t0})
                    p.open(target)
                    playing, waiting, wait_t0, next_at = False, "seek", now, None
                if done_at is not None and now >= done_at:
                    break
        finally:
            if p.error and res.get("error"):
                res["error"] += f" (last HTTP error: {p.error})"
            p.open(env.length)  # stops the reader
            stop(proc)
            res["total_secs"] = time.monotonic() - t0
            if res.get("error"):
                with open(logpath, "rb") as f:
                    res["log_tail"] = f.read()[-800:].decode(errors="replace")
            if env.args.keep_logs:
                os.makedirs(env.args.keep_logs, exist_ok=True)
                shutil.copy(logpath, os.path.join(env.args.keep_logs,
                                                  f"{env.swarm_name}-{who}-{env.rep}.log"))
            shutil.rmtree(dl, ignore_errors=True)
    if lt:
        res.update(sw.report())
        res["choke"] = choke_summary(res)
    res["seek_resume"] = [s["resume"] for s in res["seeks"] if "resume" in s]
    return res


# ---------------------------------------------------------------- report


def pct(values, q):
    """Nearest-rank percentile."""
    v = sorted(values)
    if not v:
        return None
    return v[min(len(v) - 1, max(0, int(-(-q * len(v) // 100)) - 1))]


def summary(runs):
    ok = [r for r in runs if "startup" in r]
    m = lambda k: statistics.median([r[k] for r in ok if r.get(k) is not None]) if ok else None
    seeks = [s for r in runs for s in r["seek_resume"]]
    missed = sum(len(r["seeks"]) - len(r["seek_resume"]) for r in runs)
    return {
        "runs": len(runs), "failed": sum(1 for r in runs if r.get("error")),
        "startup": m("startup"), "ahead_mbps": m("ahead_mbps"), "stalls": m("stalls"),
        "stall_secs": m("stall_secs"), "seek_p50": pct(seeks, 50), "seek_p95": pct(seeks, 95),
        "seek_n": len(seeks), "seek_missed": missed,
    }


def table(results, swarms, clients):
    hdr = (f"{'swarm':<7}{'client':<22}{'startup s':>10}{'ahead MB/s':>11}{'stalls':>7}"
           f"{'stall s':>8}{'seek p50':>9}{'seek p95':>9}{'seeks':>6}{'failed':>7}")
    lines = [hdr, "-" * len(hdr)]
    f = lambda v, d=3: "-" if v is None else f"{v:.{d}f}"
    for s in swarms:
        for c in clients:
            runs = [r for r in results if r["swarm"] == s and r["who"] == c]
            if not runs:
                continue
            x = summary(runs)
            seeks = f"{x['seek_n']}" + (f"+{x['seek_missed']}" if x["seek_missed"] else "")
            lines.append(f"{s:<7}{c:<22}{f(x['startup']):>10}{f(x['ahead_mbps'], 1):>11}"
                         f"{f(x['stalls'], 1):>7}{f(x['stall_secs']):>8}{f(x['seek_p50']):>9}"
                         f"{f(x['seek_p95']):>9}{seeks:>6}{x['failed']:>4}/{x['runs']}")
        lines.append("")
    for s in swarms:
        if s not in LT_SWARMS:
            continue
        lines.append(f"{s}, what the libtorrent peers did with each client (medians): seeders "
                     f"connected (of {len(SWARMS[s])}; of the {len(CHOKE_UTP_ONLY)} uTP-only ones: "
                     f"connected, heard of the client by PEX) and that sent data; MB from the "
                     f"seeders and from the {CHOKE_LEECHERS} leechers; share of the time the "
                     f"client was interested in a seeder that it was unchoked; first unchoke")
        for c in clients:
            runs = [r["choke"] for r in results if r["swarm"] == s and r["who"] == c and "choke" in r]
            if not runs:
                continue
            def m(k):
                v = [r[k] for r in runs if r[k] is not None]
                return statistics.median(v) if v else None
            lines.append(f"  {c:<20} connected {f(m('seeders_reached'), 1)} (uTP-only "
                         f"{f(m('utp_only_reached'), 1)}, heard {f(m('utp_only_heard'), 1)}), "
                         f"sent {f(m('seeders_sent'), 1)}; "
                         f"{f(m('from_seeders_mb'), 1)} MB from seeders, "
                         f"{f(m('from_leechers_mb'), 1)} MB from leechers; unchoked "
                         f"{f(None if m('unchoked_share') is None else 100 * m('unchoked_share'), 0)} %"
                         f" of the time; first unchoke {f(m('first_unchoke'), 2)} s")
        lines.append("")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tools = os.path.join(root, ".tools")
    ap.add_argument("--bin", default=os.path.join(root, "target", "release", "bt2p-tui"))
    ap.add_argument("--rqbit", default=os.path.join(tools, "bin", "rqbit"))
    ap.add_argument("--peerflix", default=os.path.join(tools, "peerflix", "node_modules", "peerflix", "app.js"))
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--swarms", default="one,eight,slow8,choke")
    ap.add_argument("--clients", default="bt2p,rqbit,peerflix")
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=ARGS: bt2p-tui with these options, as one more client")
    ap.add_argument("--variant-bin", action="append", default=[],
                    help="NAME=PATH: the bt2p-tui binary of variant NAME (another build)")
    ap.add_argument("--seeks", default="10:85,20:40,8:15,8:65",
                    help="DELAY:PERCENT,...: seconds of playback, then a seek to PERCENT of the file")
    ap.add_argument("--tail", type=float, default=8.0, help="seconds played after the last seek")
    ap.add_argument("--size-mib", type=int, default=512)
    ap.add_argument("--keep-logs", default=None, help="copy each client's log here")
    ap.add_argument("--out", default="playback-results.json")
    ap.add_argument("--workdir", default=None, help="where the temporary files go (default: /tmp)")
    args = ap.parse_args()

    for tool in ("opentracker", "aria2c", "mktorrent"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install opentracker aria2 mktorrent")
    env = Env()
    env.args = args
    env.variants = {}
    for v in args.variant:
        name, _, extra = v.partition("=")
        env.variants[f"bt2p[{name}]"] = extra
    env.variant_bins = {}
    for v in args.variant_bin:
        name, _, path = v.partition("=")
        env.variant_bins[f"bt2p[{name}]"] = path
    clients = [c for c in args.clients.split(",") if c] + list(env.variants)
    need = {"bt2p": args.bin, "rqbit": args.rqbit, "peerflix": args.peerflix}
    for c in clients:
        path = need.get(c, env.variant_bins.get(c, args.bin))
        if not os.path.exists(path):
            raise SystemExit(f"{path} is missing (cargo build --release; see the usage above)")
    if "peerflix" in clients and not shutil.which("node"):
        raise SystemExit("node is missing (apt-get install nodejs)")
    swarms = [s for s in args.swarms.split(",") if s]
    for s in swarms:
        if s not in SWARMS:
            raise SystemExit(f"unknown swarm {s}: one of {', '.join(SWARMS)}")
    if any(s in LT_SWARMS for s in swarms):
        if subprocess.run([LT_PYTHON, "-c", "import libtorrent"], capture_output=True).returncode:
            raise SystemExit(f"{LT_PYTHON} cannot import libtorrent: apt-get install python3-libtorrent")
    env.seeks = [(float(d), float(p)) for d, p in (x.split(":") for x in args.seeks.split(",") if x)]

    make_workdir(env, "bt2p-playback-")

    t_begin = time.monotonic()
    log("generating data…")
    env.length = args.size_mib * MIB
    random_file(os.path.join(env.seed, NAME), env.length)
    env.torrent = os.path.join(env.pub, "film.torrent")
    env.info_hash = make_torrent(os.path.join(env.seed, NAME), env.torrent, 20, env.tracker_port)
    with open(os.path.join(env.pub, "whitelist"), "w") as f:
        f.write(env.info_hash + "\n")
    os.chmod(os.path.join(env.pub, "whitelist"), 0o644)

    results = []
    for rep in range(args.reps):
        env.rep = rep
        for s in swarms:
            env.swarm_name = s
            order = clients if rep % 2 == 0 else list(reversed(clients))
            for who in order:
                r = play_run(env, who, SWARMS[s])
                r["rep"] = rep
                results.append(r)
                log(json.dumps({k: (round(v, 3) if isinstance(v, float) else v)
                                for k, v in r.items() if k not in ("seeks", "log_tail", "seeders", "leechers")}))
    text = table(results, swarms, clients)
    print(f"player: {BITRATE * 8 // 1_000_000} Mbit/s, cache {CACHE // MIB} MiB, resume at 1 s buffered; "
          f"seeks {args.seeks}; medians of {args.reps}, seek percentiles over all seeks\n")
    print(text)
    print(f"total time {time.monotonic() - t_begin:.0f} s; JSON in {args.out}")
    with open(args.out, "w") as f:
        json.dump({"swarms": {s: SWARMS[s] for s in swarms}, "seeks": env.seeks,
                   "summary": {f"{s}/{c}": summary([r for r in results if r["swarm"] == s and r["who"] == c])
                               for s in swarms for c in clients},
                   "results": results, "table": text}, f, indent=1)


if __name__ == "__main__":
    main()
