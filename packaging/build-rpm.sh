#!/usr/bin/env bash
# packaging/build-rpm.sh OUT_DIR — `make rpm`: a tarball of the source tree and
# `rpmbuild -bb --nodeps` of packaging/rpm/relaymail.spec with OUT_DIR as its top directory
# (Debian's rpm database is empty, so the build dependencies are not checked there: make deps
# has installed them as Debian packages). rpmbuild comes from Debian's rpm package, installed
# when missing (as root). The RPM ends up in OUT_DIR/RPMS/<arch>/.
set -euo pipefail
out=${1:?usage: packaging/build-rpm.sh OUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v rpmbuild >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "build-rpm.sh: rpmbuild not found; as root run: apt-get install -y rpm" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rpm >/dev/null
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(sed -n 's/^Version:[[:space:]]*//p' "$root/packaging/rpm/relaymail.spec")
rm -rf "$out/SOURCES" "$out/BUILD" "$out/BUILDROOT" "$out/RPMS"
mkdir -p "$out/SOURCES" "$out/staging/relaymail-$version"
"$root/packaging/copy-tree.sh" "$out/staging/relaymail-$version"
tar -C "$out/staging" -czf "$out/SOURCES/relaymail-$version.tar.gz" "relaymail-$version"
rm -rf "$out/staging"
rpmbuild -bb --nodeps --define "_topdir $out" "$root/packaging/rpm/relaymail.spec" \
  >"$out/build.log" 2>&1 || {
  echo "build-rpm.sh: rpmbuild failed; the end of $out/build.log:" >&2
  tail -n 30 "$out/build.log" >&2
  exit 1
}
ls -l "$out"/RPMS/*/*.rpm
