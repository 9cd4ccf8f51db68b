#!/usr/bin/env bash
# Captures the real dashboard of `bt2p-tui demo` as a PNG: tmux runs it at COLSxROWS, KEYS are
# sent once the torrent downloads, the pane (with its colours) becomes HTML through aha, and
# headless Chromium takes the picture.
#   scripts/screenshot.sh OUT.png [COLS] [ROWS] [KEYS...]     e.g. scripts/screenshot.sh help.png 100 30 '?'
# SHOT_PLAYER, when set, is a player command given the video's URL once the dashboard is up
# (e.g. 'mpv --no-config --vo=null --ao=null --cache-secs=10'); SHOT_SECS is how long the
# download runs before the picture (default 3).
set -euo pipefail
out=$(realpath -m "$1"); cols=${2:-100}; rows=${3:-30}; shift $(( $# < 3 ? $# : 3 ))
bin=${BT2P_BIN:-$(dirname "$0")/../target/release/bt2p-tui}
session=bt2p-shot-$$
work=$(mktemp -d)
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
tmux new-session -d -s "$session" -x "$cols" -y "$rows" \
  "XDG_CACHE_HOME=$work/cache $bin demo --port $port"
# Wait (bounded) until the dashboard shows data arriving.
for _ in $(seq 1 300); do
  tmux capture-pane -p -t "$session" | grep -q 'piece_par' && break
  sleep 0.1
done
if [ -n "${SHOT_PLAYER:-}" ]; then
  $SHOT_PLAYER "http://127.0.0.1:$port/bt2p-demo.mkv" >/dev/null 2>&1 &
  player=$!
  trap 'kill $player 2>/dev/null || true; tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT
fi
# A few seconds of download, so the window and the speed graph have something to show.
sleep "${SHOT_SECS:-3}"
for k in "$@"; do tmux send-keys -t "$session" "$k"; done
sleep 0.5
tmux capture-pane -p -e -t "$session" > "$work/pane.ans"
{ echo '<html><head><meta charset="utf-8"><style>'
  echo 'body{background:#000;margin:8px} pre{font-family:"DejaVu Sans Mono",monospace;font-size:14px;line-height:1.2;color:#ddd;margin:0}'
  echo '</style></head><body><pre>'
  aha --no-header --black < "$work/pane.ans"
  echo '</pre></body></html>'; } > "$work/pane.html"
width=$((cols * 85 / 10 + 16)); height=$((rows * 17 + 24))
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size="$width,$height" --screenshot="$out" "file://$work/pane.html" >/dev/null 2>&1
echo "wrote $out"
