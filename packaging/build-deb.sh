#!/usr/bin/env bash
# packaging/build-deb.sh OUT_DIR [PREBUILT_DIR] — `make deb`: the Debian packages, built with
# `dpkg-buildpackage -us -uc -b` from packaging/debian/ in a copy of the source tree under
# OUT_DIR/src (dpkg-buildpackage wants debian/ at the root, and the checkout stays clean).
# The .deb files, .changes and .buildinfo end up in OUT_DIR, older ones removed first.
# PREBUILT_DIR: package the binaries of that build tree instead of compiling again
# (packaging/debian/rules, RELAYMAIL_PREBUILT).
set -euo pipefail
out=${1:?usage: packaging/build-deb.sh OUT_DIR [PREBUILT_DIR]}
prebuilt=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -n "$prebuilt" ]; then
  prebuilt=$(cd "$prebuilt" && pwd)
fi
version=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Version)
tree=$out/src/relaymail-$version

rm -rf "$out/src" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mkdir -p "$tree"
"$root/packaging/copy-tree.sh" "$tree"
cp -r "$root/packaging/debian" "$tree/debian"

(cd "$tree" && RELAYMAIL_PREBUILT=$prebuilt dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
  echo "build-deb.sh: dpkg-buildpackage failed; the end of $out/build.log:" >&2
  tail -n 30 "$out/build.log" >&2
  exit 1
}
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
rm -rf "$out/src"
ls -l "$out"/*.deb
