#!/usr/bin/env bash
# tests/bench/run.sh BUILD_DIR [bench_relay flags...] — `make bench`: relaymail against msmtp,
# one Markdown table on stdout and in BUILD_DIR/bench.md (tests/bench/bench_relay.cc).
#
# msmtp (1.8.23, Debian's package and the libraries Debian 12 lacks by default) is fetched with
# `apt-get download` into BUILD_DIR/bench/debs and unpacked with `dpkg -x` into
# BUILD_DIR/bench/msmtp — never installed system-wide; skipped when already unpacked. When it
# cannot be fetched or does not load, the table still prints, with msmtp's cells saying why.
# The benchmark's temp dir (spools, maildir) goes under BUILD_DIR/bench, so the spool sits on
# the build's filesystem rather than a possibly memory-backed /tmp.
#
# Exit status: bench_relay's (0 when everything ran, targets met or not; 1 when something
# failed), or 1 when BUILD_DIR has no bench_relay. Not here: building (make bench builds first).
set -euo pipefail
build=${1:?usage: tests/bench/run.sh BUILD_DIR [bench_relay flags...]}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" && pwd)
bench=$build/bench
bin=$build/bin
if [ ! -x "$bin/bench_relay" ]; then
  echo "run.sh: $bin/bench_relay is missing: build first (make bench does)" >&2
  exit 1
fi
mkdir -p "$bench/debs" "$bench/tmp"

msmtp=$bench/msmtp/usr/bin/msmtp
libdir=$bench/msmtp/usr/lib/x86_64-linux-gnu
debs=(msmtp libgsasl18 libidn12 libntlm0 libgssglue1)
missing=""

fetch_msmtp() {
  local log=$bench/debs/apt.log
  # Ordinary client, no root needed for a download; `apt-get update` only when the lists are stale.
  if ! (cd "$bench/debs" && apt-get download "${debs[@]}") >"$log" 2>&1; then
    if ! apt-get update -qq >>"$log" 2>&1 ||
      ! (cd "$bench/debs" && apt-get download "${debs[@]}") >>"$log" 2>&1; then
      missing="apt-get download failed: $(grep -m1 -E '^(E|W):' "$log" || tail -n1 "$log")"
      return
    fi
  fi
  rm -rf "$bench/msmtp.new"
  for p in "${debs[@]}"; do
    local found=("$bench/debs/${p}"_*.deb)
    if [ ! -f "${found[0]}" ] || ! dpkg -x "${found[0]}" "$bench/msmtp.new"; then
      missing="dpkg -x ${found[0]} failed"
      return
    fi
  done
  rm -rf "$bench/msmtp"
  mv "$bench/msmtp.new" "$bench/msmtp"
}

if [ ! -x "$msmtp" ]; then
  echo "run.sh: fetching msmtp into $bench/msmtp" >&2
  fetch_msmtp
fi
if [ -z "$missing" ]; then
  if [ ! -x "$msmtp" ]; then
    missing="no $msmtp after unpacking"
  elif notfound=$(LD_LIBRARY_PATH=$libdir ldd "$msmtp" 2>&1 | grep "not found"); then
    missing="libraries not found: $(echo "$notfound" | awk '{print $1}' | tr '\n' ' ')"
  fi
fi

# --no-optional-locks: reading the revision must not rewrite the index under other users of the tree.
rev=$(git --no-optional-locks -C "$root" describe --always --dirty=" + local changes" 2>/dev/null ||
  echo "unknown")
args=(--out "$build/bench.md" --dir "$bench/tmp" --revision "git $rev")
if [ -z "$missing" ]; then
  args+=(--msmtp "$msmtp" --msmtp-libdir "$libdir")
else
  echo "run.sh: msmtp not available: $missing" >&2
  args+=(--msmtp-missing "$missing")
fi
echo "run.sh: $bin/bench_relay ${args[*]} $*" >&2
exec "$bin/bench_relay" "${args[@]}" "$@"
