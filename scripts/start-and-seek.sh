#!/usr/bin/env bash
# Start and seek latency on loopback: aria2c seeds a 512 MiB file (1 MiB pieces) throttled to
# 20 MB/s; the client under test is launched on an empty folder, and we time
#   start: launch → first body byte of the file over HTTP
#   seek:  3 s after launch, a 1 MiB Range read at 70 % of the file (time to its last byte).
# Usage: scripts/start-and-seek.sh [bt2p|rqbit]   (needs aria2c, mktorrent, curl; rqbit for rqbit)
set -euo pipefail
who=${1:-bt2p}
bin=${BT2P_BIN:-$(dirname "$0")/../target/release/bt2p-tui}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/seed" "$work/dl"
head -c $((512 * 1024 * 1024)) /dev/urandom > "$work/seed/film.mkv"
mktorrent -l 20 -a http://127.0.0.1:1/announce -o "$work/t.torrent" "$work/seed/film.mkv" >/dev/null
seedport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
aria2c --seed-ratio=0 --bt-seed-unverified=true --enable-dht=false --bt-enable-lpd=false \
  --enable-peer-exchange=false --listen-port="$seedport" --max-overall-upload-limit=20M \
  --console-log-level=error --dir="$work/seed" "$work/t.torrent" >/dev/null 2>&1 &
sleep 2
len=$((512 * 1024 * 1024)); a=$((len * 7 / 10)); b=$((a + 1024 * 1024 - 1))
t0=$(date +%s.%N)
if [ "$who" = bt2p ]; then
  "$bin" "$work/t.torrent" --no-tui --no-dht --no-trackers --no-resume --bind 127.0.0.1 --port 17599 \
    --listen-port 6990 --peer "127.0.0.1:$seedport" --save-path "$work/dl" >/dev/null 2>&1 &
  url=http://127.0.0.1:17599/film.mkv
else
  # The .torrent names a dead tracker on 127.0.0.1:1, so rqbit reaches only the seeder.
  rqbit --disable-dht --disable-dht-persistence --disable-upnp-port-forward --listen-port 6990 \
    --http-api-listen-addr 127.0.0.1:17599 download --initial-peers "127.0.0.1:$seedport" \
    -o "$work/dl" "$work/t.torrent" >/dev/null 2>&1 &
  url=http://127.0.0.1:17599/torrents/0/stream/0
fi
for _ in $(seq 1 300); do
  if curl -s -o /dev/null -r 0-0 --max-time 20 "$url"; then break; fi
  sleep 0.02
done
t1=$(date +%s.%N)
sleep "$(python3 -c "print(max(0, 3 - ($t1 - $t0)))")"
seek=$(curl -s -o /dev/null -r "$a-$b" -w '%{time_starttransfer} %{time_total}' --max-time 60 "$url")
python3 -c "print('$who start %.3f s; seek 1 MiB at 70%%: first byte %s s, last byte %s s' % ($t1 - $t0, *'$seek'.split()))"
