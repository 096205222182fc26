#!/usr/bin/env bash
# tests/bench/run.sh BUILD_DIR [bench_relay flags...] — `make bench`: relaymail against msmtp
# (and nullmailer in figure 1), one Markdown table on stdout and in BUILD_DIR/bench.md
# (tests/bench/bench_relay.cc).
#
# msmtp (1.8.23, Debian's package and the libraries Debian 12 lacks by default) and nullmailer
# (Debian 12's 1:2.2-4) are fetched with `apt-get download` into BUILD_DIR/bench/debs and
# unpacked with `dpkg -x` into BUILD_DIR/bench/msmtp and BUILD_DIR/bench/nullmailer — never
# installed system-wide (nullmailer's package would replace the machine's MTA); skipped when
# already unpacked. bench_relay runs nullmailer only inside a private mount namespace of its own
# (root only). When either cannot be fetched or does not load, the table still prints, saying why.
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
nullmailer=$bench/nullmailer
nm_bins=(usr/sbin/sendmail usr/bin/nullmailer-inject usr/sbin/nullmailer-queue)
nm_missing=""

# fetch DEST PKG... — apt-get download PKG... into $bench/debs and unpack them all into
# $bench/DEST. On failure prints why (one line) and returns 1.
fetch() {
  local dest=$1 log=$bench/debs/apt-$1.log
  shift
  # Ordinary client, no root needed for a download; `apt-get update` only when the lists are stale.
  if ! (cd "$bench/debs" && apt-get download "$@") >"$log" 2>&1; then
    if ! apt-get update -qq >>"$log" 2>&1 ||
      ! (cd "$bench/debs" && apt-get download "$@") >>"$log" 2>&1; then
      echo "apt-get download failed: $(grep -m1 -E '^(E|W):' "$log" || tail -n1 "$log")"
      return 1
    fi
  fi
  rm -rf "$bench/$dest.new"
  for p in "$@"; do
    local found=("$bench/debs/${p}"_*.deb)
    if [ ! -f "${found[0]}" ] || ! dpkg -x "${found[0]}" "$bench/$dest.new"; then
      echo "dpkg -x ${found[0]} failed"
      return 1
    fi
  done
  rm -rf "${bench:?}/$dest"
  mv "$bench/$dest.new" "$bench/$dest"
}

# unloadable [LD_LIBRARY_PATH] BIN... — prints the libraries BIN... lack; returns 1 when none.
unloadable() {
  local libs=$1 notfound
  shift
  notfound=$(LD_LIBRARY_PATH=$libs ldd "$@" 2>&1 | grep "not found") || return 1
  echo "libraries not found: $(echo "$notfound" | awk '{print $1}' | sort -u | tr '\n' ' ')"
}

if [ ! -x "$msmtp" ]; then
  echo "run.sh: fetching msmtp into $bench/msmtp" >&2
  missing=$(fetch msmtp "${debs[@]}") || true
fi
if [ -z "$missing" ]; then
  if [ ! -x "$msmtp" ]; then
    missing="no $msmtp after unpacking"
  else
    missing=$(unloadable "$libdir" "$msmtp") || true
  fi
fi

if [ ! -x "$nullmailer/${nm_bins[2]}" ]; then
  echo "run.sh: fetching nullmailer into $nullmailer" >&2
  nm_missing=$(fetch nullmailer nullmailer) || true
fi
if [ -z "$nm_missing" ]; then
  for b in "${nm_bins[@]}"; do
    if [ ! -x "$nullmailer/$b" ]; then
      nm_missing="no $nullmailer/$b after unpacking"
      break
    fi
  done
fi
if [ -z "$nm_missing" ]; then
  nm_missing=$(unloadable "" "${nm_bins[@]/#/$nullmailer/}") || true
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
if [ -z "$nm_missing" ]; then
  nm_deb=("$bench/debs/nullmailer"_*.deb)
  nm_version=$(dpkg-deb -f "${nm_deb[0]}" Version 2>/dev/null || echo "version unknown")
  args+=(--nullmailer "$nullmailer" --nullmailer-version "$nm_version")
else
  echo "run.sh: nullmailer not available: $nm_missing" >&2
  args+=(--nullmailer-missing "$nm_missing")
fi
echo "run.sh: $bin/bench_relay ${args[*]} $*" >&2
exec "$bin/bench_relay" "${args[@]}" "$@"
