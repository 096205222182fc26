#!/usr/bin/env bash
# tests/package/check_deb.sh DEB_DIR BIN_DIR — the Debian package as a user gets it:
#   1. lintian --fail-on error,warning on the .changes (every .deb of the build);
#   2. its contents: the programs (stripped, their symbols in relaymail-dbgsym), the sendmail,
#      mailq and newaliases links, units, sysusers.d, tmpfiles.d, man pages, examples,
#      /etc/relaymail.conf a conffile, no setuid or setgid bit anywhere; the control fields an
#      MTA needs (Provides/Conflicts/Replaces: mail-transport-agent);
#   3. unpacked with dpkg-deb -x into a temp root: the shipped config passes `relaymail check`
#      and says that no account is given yet; that root's `sendmail -t -i` queues a message
#      (queue mode) and its `relaymail flush` delivers it to the test smarthost (BIN_DIR's
#      fake_smtpd, STARTTLS and AUTH on loopback), finding relaymaild where the package put it.
# Prints one line per failure and exits 1 when there was any.
set -euo pipefail
debs=$(cd "${1:?usage: check_deb.sh DEB_DIR BIN_DIR}" && pwd)
bin=$(cd "${2:?usage: check_deb.sh DEB_DIR BIN_DIR}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/relaymail-deb-XXXXXX")
smtpd_pid=""
cleanup() {
  if [ -n "$smtpd_pid" ]; then kill "$smtpd_pid" 2>/dev/null; wait "$smtpd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
failed=0
fail() { echo "check_deb: $*"; failed=1; }

shopt -s nullglob
main=("$debs"/relaymail_*.deb)
dbgsym=("$debs"/relaymail-dbgsym_*.deb)
changes=("$debs"/*.changes)
[ ${#main[@]} -eq 1 ] || { echo "check_deb: no single relaymail_*.deb in $debs"; exit 1; }
[ ${#dbgsym[@]} -eq 1 ] || fail "no relaymail-dbgsym package beside it"

# 1. lintian
if [ ${#changes[@]} -eq 1 ]; then
  if ! lintian --fail-on error,warning "${changes[0]}" \
    >"$work/lintian.txt" 2>&1; then
    fail "lintian: $(grep -E '^[EW]: ' "$work/lintian.txt" | head -n 20 | tr '\n' ';')"
  fi
else
  fail "no single .changes in $debs"
fi

# 2. contents and control fields
dpkg-deb -c "${main[0]}" >"$work/contents.txt"
for path in ./usr/bin/relaymail ./usr/sbin/relaymaild ./etc/relaymail.conf \
  ./lib/systemd/system/relaymail.socket ./lib/systemd/system/relaymail.service \
  ./usr/lib/systemd/user/relaymail.socket ./usr/lib/sysusers.d/relaymail.conf \
  ./usr/lib/tmpfiles.d/relaymail.conf ./usr/share/man/man1/relaymail.1.gz \
  ./usr/share/man/man5/relaymail.conf.5.gz ./usr/share/man/man8/relaymaild.8.gz \
  ./usr/share/man/man8/sendmail.8.gz ./usr/share/doc/relaymail/examples/gmail-oauth2.conf; do
  grep -qE " $path( |$)" "$work/contents.txt" || fail "the package has no $path"
done
for link in "./usr/sbin/sendmail -> ../bin/relaymail" "./usr/lib/sendmail -> ../bin/relaymail" \
  "./usr/bin/mailq -> relaymail" "./usr/bin/newaliases -> relaymail"; do
  grep -qF " $link" "$work/contents.txt" || fail "the package has no link $link"
done
if awk '{print $1}' "$work/contents.txt" | grep -q '^...[sS]\|^......[sS]'; then
  fail "setuid or setgid files: $(awk '$1 ~ /^...[sS]|^......[sS]/' "$work/contents.txt")"
fi
dpkg-deb -e "${main[0]}" "$work/control"
grep -qx /etc/relaymail.conf "$work/control/conffiles" || fail "/etc/relaymail.conf is not a conffile"
for field in Provides Conflicts Replaces; do
  grep -qx "$field: mail-transport-agent" "$work/control/control" ||
    fail "control has no '$field: mail-transport-agent'"
done

# 3. unpacked and run
root=$work/root
dpkg-deb -x "${main[0]}" "$root"
for prog in "$root/usr/bin/relaymail" "$root/usr/sbin/relaymaild"; do
  if readelf -S "$prog" | grep -q '\.debug_info'; then fail "${prog#"$root"} is not stripped"; fi
done
out=$("$root/usr/bin/relaymail" -C "$root/etc/relaymail.conf" check 2>&1) ||
  fail "relaymail check of the shipped config: $out"
grep -q "no account yet" <<<"$out" || fail "relaymail check does not say no account is given: $out"

umask 077
mkdir -p "$work/pki" "$work/maildir"
printf 'package-test-pass\n' >"$work/smtpd.pass"
cp "$work/smtpd.pass" "$work/account.pass"
"$bin/fake_smtpd" --tls starttls --pki "$work/pki" --user demo --pass-file "$work/smtpd.pass" \
  --maildir "$work/maildir" --port-file "$work/port" >/dev/null 2>&1 &
smtpd_pid=$!
for _ in $(seq 1 400); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { fail "fake_smtpd did not start"; exit 1; }
cat >"$work/relaymail.conf" <<CONF
delivery = "queue";
spool = "$work/spool";
domain = "example.com";
log = { syslog = false; };
accounts = ( {
  name = "test";
  host = "localhost";
  port = $(cat "$work/port");
  tls = "starttls";
  tls_ca_file = "$work/pki/ca.pem";
  user = "demo";
  password = { file = "$work/account.pass"; };
} );
CONF
printf 'To: alice@example.org\nSubject: from the package\n\nhello\n' |
  "$root/usr/sbin/sendmail" -C "$work/relaymail.conf" -t -i || fail "sendmail -t -i exited $?"
queued=$("$root/usr/bin/mailq" -C "$work/relaymail.conf" 2>&1 || true)
grep -q "alice@example.org" <<<"$queued" || fail "mailq does not list the message: $queued"
flushed=$("$root/usr/bin/relaymail" -C "$work/relaymail.conf" flush 2>&1) ||
  fail "relaymail flush: $flushed"
grep -q "status=sent" <<<"$flushed" || fail "relaymail flush did not send: $flushed"
ls "$work/maildir"/*.eml >/dev/null 2>&1 || fail "the smarthost received nothing"

if [ "$failed" = 0 ]; then
  echo "check_deb: OK: $(basename "${main[0]}") ($(stat -c %s "${main[0]}") bytes), lintian clean, runs unpacked"
fi
exit "$failed"
