#!/bin/sh
# Installs the built binaries and the sendmail-compatible links (SENDMAIL.md behaviour 72).
#   packaging/install.sh [BUILD_DIR]      honours DESTDIR and PREFIX (default /usr)
# No binary is installed setuid or setgid, ever.
set -eu
build=${1:-build}
prefix=${PREFIX:-/usr}
dest=${DESTDIR:-}
install -d "$dest$prefix/bin" "$dest$prefix/sbin" "$dest$prefix/lib" "$dest/etc"
install -m 0755 "$build/bin/relaymail" "$dest$prefix/bin/relaymail"
install -m 0755 "$build/bin/relaymaild" "$dest$prefix/sbin/relaymaild"
ln -sf "$prefix/bin/relaymail" "$dest$prefix/sbin/sendmail"
ln -sf "$prefix/bin/relaymail" "$dest$prefix/lib/sendmail"
ln -sf "$prefix/bin/relaymail" "$dest$prefix/bin/mailq"
ln -sf "$prefix/bin/relaymail" "$dest$prefix/bin/newaliases"
[ -e "$dest/etc/relaymail.conf" ] || install -m 0644 "$(dirname "$0")/../etc/relaymail.conf" "$dest/etc/relaymail.conf"
