#!/usr/bin/env python3
"""Where a bt2p-tui seek's time went: reads a log of a playback.py run written with the engine's
trace lines, and prints for each read position (start and seeks) the pieces under the first second
of media, which seeder reserved each and when, how many unverified pieces that seeder already
held, steals, and when the piece was verified.

  echo 'info,librqbit::torrent_state::live=trace' > trace.conf
  benches/playback.py --reps 1 --swarms slow8 --clients '' --out run.json \\
      --variant 'trace=--log-conf trace.conf --log-file trace.log'
  benches/seek_trace.py trace.log run.json 'bt2p[trace]'

Assumes one file with 1 MiB pieces starting at offset 0, as playback.py makes.
"""

import datetime
import json
import re
import sys

PIECE = 1 << 20
MEDIA_SECOND = 1_000_000


def main():
    log, results, who = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
    run = next(r for r in results["results"] if r["who"] == who)
    rates = {int(k): v for k, v in run["seeders"].items()}
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    reserve, verified, stole, plays = [], {}, [], []
    for line in open(log, errors="replace"):
        m = re.match(r"(\S+Z)\s+\w+\s+(.*)", ansi.sub("", line))
        if not m:
            continue
        t = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
        rest = m.group(2)
        peer = re.search(r"peer=127\.0\.0\.1:(\d+)", rest)
        if (x := re.search(r"reserved piece (\d+)$", rest)) and peer:
            reserve.append((t, int(x.group(1)), int(peer.group(1))))
        elif (x := re.search(r"stole piece (\d+) from 127\.0\.0\.1:(\d+)", rest)) and peer:
            stole.append((t, int(x.group(1)), int(x.group(2)), int(peer.group(1))))
        elif "successfully downloaded and verified" in rest:
            verified.setdefault(int(re.search(r"piece=(\d+)", rest).group(1)), t)
        elif x := re.search(r"plays \S+ from byte (\d+)", rest):
            plays.append((t, int(x.group(1))))
    rate = lambda port: f"{rates.get(port, 0) / 1e3:.0f} kB/s"
    print(f"{who}: seeders " + ", ".join(f":{p} {rate(p)}" for p in sorted(rates, key=rates.get)))
    if not plays:
        return
    t0 = plays[0][0]
    for t, byte in plays:
        for p in sorted({byte // PIECE, (byte + MEDIA_SECOND - 1) // PIECE}):
            v = verified.get(p)
            if v is not None and v <= t:
                print(f"  {t - t0:6.2f} s  byte {byte} piece {p}: verified before the read")
                continue
            held = lambda port, at: sum(1 for (a, b, c) in reserve if c == port and a <= at
                                        and verified.get(b, float("inf")) > at) - 1
            who_had = [f"reserved {rt - t:+.2f} s by {rate(port)} (holding {held(port, rt)} other unverified)"
                       for rt, rp, port in reserve if rp == p and rt > t - 30 and (v is None or rt <= v)]
            steals = [f"stolen {st - t:+.2f} s from {rate(frm)} by {rate(to)}"
                      for st, sp, frm, to in stole if sp == p and st > t - 30]
            done = f"verified {v - t:+.2f} s" if v else "not verified"
            print(f"  {t - t0:6.2f} s  byte {byte} piece {p}: {done}; " + "; ".join(who_had + steals))


if __name__ == "__main__":
    main()
