#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 60 s each): torrent loading, magnet links,
# the Range parser, request paths and queries. Needs a nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`). A crash leaves its input under fuzz/artifacts/<target>/:
# commit it as a regression test in the module the target covers.
# Usage: scripts/fuzz.sh [seconds per target]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-60}
for target in torrent magnet range query; do
  mkdir -p "corpus/$target"
  echo "== $target: $secs s"
  cargo +nightly fuzz run -O "$target" "corpus/$target" -- -max_total_time="$secs" -rss_limit_mb=2048 2>&1 \
    | grep -E "DONE|Done [0-9]+ runs|SUMMARY|panicked|ERROR" || true
  if ls "artifacts/$target"/crash-* >/dev/null 2>&1; then
    echo "crash inputs in fuzz/artifacts/$target" >&2
    exit 1
  fi
done
