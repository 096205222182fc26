#!/usr/bin/env bash
# tests/fuzz/run.sh [--smoke] SECONDS TARGET... — runs libFuzzer targets over their seed corpus
# (tests/fuzz/corpus/<name>/, never written to: new inputs go to a temp corpus in front of it)
# and then for SECONDS each. --smoke (ctest): the seeds, then the bounded run, quietly; else
# (make fuzz) the same with libFuzzer's progress, and the new inputs kept in
# build/fuzz-corpus/<name>/ for a later run. A crash leaves its input as crash-* in the current
# directory and fails the run (exit 1); libFuzzer prints the reproducer command.
set -euo pipefail
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
seconds=${1:?usage: run.sh [--smoke] SECONDS TARGET...}
shift
here=$(cd "$(dirname "$0")" && pwd)
# Leaks inside the libraries we link and cannot fix (tests/lsan.supp says which and why).
export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$here/../lsan.supp
failed=0
for target in "$@"; do
  name=$(basename "$target")
  seeds=$here/corpus/$name
  if [ ! -d "$seeds" ]; then
    echo "run.sh: no seed corpus $seeds" >&2
    failed=1
    continue
  fi
  if [ "$smoke" = 1 ]; then
    work=$(mktemp -d)
  else
    work=${FUZZ_CORPUS_DIR:-$PWD/fuzz-corpus}/$name
    mkdir -p "$work"
  fi
  # -runs=0 first: every seed once, so a seed that crashes names itself.
  flags=(-rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1)
  if ! "$target" "${flags[@]}" -runs=0 "$seeds" >"$work.log" 2>&1; then
    echo "run.sh: $name crashed on a seed:"; tail -n 30 "$work.log"; failed=1; continue
  fi
  if ! "$target" "${flags[@]}" -max_total_time="$seconds" "$work" "$seeds" \
    >"$work.log" 2>&1; then
    echo "run.sh: $name found a crash:"; tail -n 40 "$work.log"; failed=1; continue
  fi
  echo "run.sh: $name: $(grep -E 'stat::number_of_executed_units' "$work.log" | awk '{print $2}') runs in ${seconds}s, cov $(grep -oE 'cov: [0-9]+' "$work.log" | tail -n1 | awk '{print $2}')"
  rm -f "$work.log"
  if [ "$smoke" = 1 ]; then rm -rf "$work"; fi
done
exit "$failed"
