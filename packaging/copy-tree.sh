#!/usr/bin/env bash
# packaging/copy-tree.sh DEST — copies the source tree the packages are built from into DEST:
# in a git checkout what git tracks plus what it would track (new files not yet added; never
# the build trees or anything ignored), else everything but build/ and .git/.
set -euo pipefail
dest=${1:?usage: packaging/copy-tree.sh DEST}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dest"
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z --cached --others --exclude-standard) |
    while IFS= read -r -d '' f; do if [ -e "$root/$f" ]; then printf '%s\0' "$f"; fi; done |
    (cd "$root" && xargs -0 cp -P --parents -t "$dest" --)
else
  tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$dest" -xf -
fi
