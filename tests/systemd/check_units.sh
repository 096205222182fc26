#!/usr/bin/env bash
# tests/systemd/check_units.sh — the unit files of etc/systemd/ as systemd reads them, offline
# (no running systemd needed) and without touching the machine:
#   1. `systemd-analyze verify` of the system units and of the user units, each set in a temp
#      root (--root) holding the built binaries where packaging/install.sh puts them (verify
#      checks that ExecStart= is executable) and a copy of the distribution's units (the
#      targets the default dependencies name). verify exits 0 on mere warnings (an unknown key,
#      a bad value: the line is ignored), so any output at all fails the check.
#   2. The user units once more as the user manager reads them (--user): systemd 252 refuses
#      --user with --root, so the built binaries are laid over /usr/bin and /usr/sbin in a mount
#      namespace of this script's own. Needs root; skipped, saying so, where unshare or the
#      overlay mount is not allowed.
#   3. `systemd-analyze security --offline=true --threshold=25` of the system relaymail.service:
#      fails when its exposure is above 2.5.
#   check_units.sh UNITS_DIR RELAYMAIL_BIN RELAYMAILD_BIN WORK_DIR
set -euo pipefail
units=$1 relaymail=$2 relaymaild=$3 work=$4
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze not found (Debian package systemd; make deps installs it)"
  exit 1
fi
mkdir -p "$work"
tmp=$(mktemp -d "$(cd "$work" && pwd)/units.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

# A hard link where the build tree and the temp root share a file system, else a copy.
place() { ln -f "$1" "$2" 2>/dev/null || cp "$1" "$2"; }

# make_root ROOT UNIT_FILE...: a merged-/usr root with the binaries and these units installed.
make_root() {
  local root=$1
  shift
  mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib/systemd" "$root/etc/systemd/system"
  ln -s usr/bin "$root/bin"
  ln -s usr/sbin "$root/sbin"
  ln -s usr/lib "$root/lib"
  cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
  place "$relaymail" "$root/usr/bin/relaymail"
  place "$relaymaild" "$root/usr/sbin/relaymaild"
  printf '#!/bin/sh\n' >"$root/usr/bin/kill"  # ExecReload=/bin/kill (procps) need only exist
  chmod 0755 "$root/usr/bin/kill"
  cp "$@" "$root/etc/systemd/system/"
}

# quiet_ok DESCRIPTION COMMAND...: passes when COMMAND exits 0 and prints nothing.
quiet_ok() {
  local what=$1 out rc=0
  shift
  out=$("$@" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
    echo "FAIL $what (exit $rc):"
    echo "$out"
    failed=1
  else
    echo "ok   $what"
  fi
}

sys_units=(relaymail.socket relaymail.service)
user_units=(relaymail.socket relaymail.service relaymail-flush.service relaymail-flush.timer)
make_root "$tmp/system" "${sys_units[@]/#/$units/}"
make_root "$tmp/user" "${user_units[@]/#/$units/user/}"

quiet_ok "verify system units" \
  systemd-analyze verify --man=no --generators=no --root="$tmp/system" "${sys_units[@]}"
quiet_ok "verify user units (system scope)" \
  systemd-analyze verify --man=no --generators=no --root="$tmp/user" "${user_units[@]}"

# 2. In a mount namespace: the binaries over /usr, HOME and XDG_RUNTIME_DIR of our own.
mkdir -p "$tmp/over/bin" "$tmp/over/sbin" "$tmp/home" "$tmp/run"
chmod 0700 "$tmp/run"
place "$relaymail" "$tmp/over/bin/relaymail"
place "$relaymaild" "$tmp/over/sbin/relaymaild"
user_paths=("${user_units[@]/#/$units/user/}")
if [ "$(id -u)" -eq 0 ] && unshare --mount true 2>/dev/null; then
  rc=0
  out=$(TMPROOT=$tmp HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/run" unshare --mount bash -c '
    mount --make-rprivate / &&
      mount -t overlay overlay -o "lowerdir=$TMPROOT/over/bin:/usr/bin" /usr/bin &&
      mount -t overlay overlay -o "lowerdir=$TMPROOT/over/sbin:/usr/sbin" /usr/sbin || exit 77
    exec systemd-analyze verify --user --man=no --generators=no "$@"' -- "${user_paths[@]}" 2>&1) ||
    rc=$?
  if [ "$rc" -eq 77 ]; then
    echo "skip verify --user: no overlay mount here ($out)"
  elif [ "$rc" -ne 0 ] || [ -n "$out" ]; then
    echo "FAIL verify --user (exit $rc):"
    echo "$out"
    failed=1
  else
    echo "ok   verify --user"
  fi
else
  echo "skip verify --user: needs root and unshare --mount"
fi

# 3. The exposure score of the system service (0 best, 10 worst; --threshold is in tenths).
rc=0
out=$(systemd-analyze security --offline=true --threshold=25 --root="$tmp/system" \
  relaymail.service 2>&1) || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAIL security relaymail.service above 2.5 (exit $rc):"
  echo "$out"
  failed=1
else
  echo "ok   security: $(echo "$out" | grep 'Overall exposure')"
fi
exit "$failed"
