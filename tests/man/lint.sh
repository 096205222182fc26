#!/usr/bin/env bash
# tests/man/lint.sh — the man pages of man/ as mandoc reads them: `mandoc -Tlint -Wwarning` on
# every page (*.1 to *.8). mandoc exits 0 on warnings, so any output at all fails the check,
# naming the page; style messages are not shown at -Wwarning.
#   lint.sh MAN_DIR
set -euo pipefail
dir=${1:?usage: lint.sh MAN_DIR}
if ! command -v mandoc >/dev/null; then
  echo "mandoc not found (Debian package mandoc; make deps installs it)"
  exit 1
fi
shopt -s nullglob
pages=("$dir"/*.[1-8])
if [ ${#pages[@]} -eq 0 ]; then
  echo "no man pages in $dir"
  exit 1
fi
failed=0
for page in "${pages[@]}"; do
  status=0
  out=$(mandoc -Tlint -Wwarning "$page" 2>&1) || status=$?
  if [ "$status" -ne 0 ] || [ -n "$out" ]; then
    echo "FAIL $(basename "$page") (mandoc exit $status)"
    [ -z "$out" ] || printf '%s\n' "$out"
    failed=1
  fi
done
if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "${#pages[@]} man pages lint clean"
