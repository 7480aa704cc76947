#!/bin/sh
# test_cdcd_options.sh - cdcd --dump-config prints the effective configuration, in the file's
# own syntax, and every key's option (--listen, --state-dir, --max-connections, --mdns-enable...)
# overrides what the file says.
# Nothing is started: --dump-config exits before the state directory or any socket is touched.
set -u
: "${top_builddir:=.}"
CDCD=${CDCD:-$top_builddir/cdcd}
[ -x "$CDCD" ] || { echo "FAIL: $CDCD is not an executable (set CDCD)"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cdcd-options.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failures=0
pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	failures=$((failures + 1))
}

# has NAME LINE: $TMP/out holds exactly this line.
has() {
	if grep -qxF -- "$2" "$TMP/out"; then pass "$1"; else fail "$1: no '$2' in: $(cat "$TMP/out")"; fi
}
lacks() {
	if grep -qF -- "$2" "$TMP/out"; then fail "$1: '$2' is there"; else pass "$1"; fi
}

cat >"$TMP/cdcd.conf" <<'CONF'
[global]
listen = 192.0.2.1:8009
listen = [2001:db8::1]:8009
state-dir = /srv/cdcd-file
nqn = nqn.2014-08.org.example:cdc:file
log-level = warning
idle-timeout = 30
api-request-timeout = 7

[subsystem nqn.2014-08.org.example:storage1]
port = traddr=192.0.2.10;portid=1
CONF

"$CDCD" --config "$TMP/cdcd.conf" --dump-config >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$TMP/err" ]; then pass "--dump-config exits 0, quietly"; else
	fail "--dump-config: exit $rc, stderr '$(cat "$TMP/err")'"
fi
has "the file's listen lines" "listen = 192.0.2.1:8009"
has "the file's IPv6 listen line" "listen = [2001:db8::1]:8009"
has "the file's state-dir" "state-dir = /srv/cdcd-file"
has "the file's nqn" "nqn = nqn.2014-08.org.example:cdc:file"
has "the file's log-level" "log-level = warning"
has "the file's idle-timeout" "idle-timeout = 30"
has "the file's api-request-timeout" "api-request-timeout = 7"
has "defaults written out" "max-connections-per-source = 64"
has "the subsystem section" "[subsystem nqn.2014-08.org.example:storage1]"
has "its port in full" "port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.10;trsvcid=4420;portid=1"

# The output is a configuration that loads to the same thing.
cp "$TMP/out" "$TMP/dumped.conf"
"$CDCD" --config "$TMP/dumped.conf" --dump-config >"$TMP/again" 2>&1
if cmp -s "$TMP/dumped.conf" "$TMP/again"; then pass "the dump reads back to itself"; else
	fail "the dump does not read back: $(diff "$TMP/dumped.conf" "$TMP/again")"
fi

# Command-line options win over the file; a relative --state-dir is made absolute.
(cd "$TMP" && "$CDCD" --config "$TMP/cdcd.conf" --listen 127.0.0.1:18009 --listen '[::1]:18010' \
	--state-dir rel/state --nqn nqn.2014-08.org.example:cdc:cli --log-level debug \
	--dump-config) >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && pass "overridden --dump-config exits 0" || fail "overrides: exit $rc, $(cat "$TMP/err")"
has "--listen replaces the file's addresses" "listen = 127.0.0.1:18009"
has "--listen repeats" "listen = [::1]:18010"
lacks "the file's addresses are gone" "192.0.2.1:8009"
has "--state-dir wins, made absolute" "state-dir = $(cd "$TMP" && pwd -P)/rel/state"
has "--nqn wins" "nqn = nqn.2014-08.org.example:cdc:cli"
has "--log-level wins" "log-level = debug"
has "what the options do not name comes from the file" "idle-timeout = 30"
[ ! -e "$TMP/rel" ] && pass "--dump-config creates no state directory" ||
	fail "--dump-config created $TMP/rel"

# Without a file of its own, the defaults.
"$CDCD" --config "$TMP/none.conf" --dump-config >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && grep -q "none.conf" "$TMP/err" && pass "a missing --config file is an error" ||
	fail "missing --config: exit $rc, stderr '$(cat "$TMP/err")'"

# Every key of the file is an option, named after it ([mdns] keys with "mdns-" before).
"$CDCD" --config "$TMP/cdcd.conf" --max-connections 77 --implicit-host-expiry 0 \
	--http-listen 127.0.0.1:19109 --mdns-enable no --mdns-interfaces eth1 --dump-config \
	>"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && pass "key options exit 0" || fail "key options: exit $rc, $(cat "$TMP/err")"
has "--max-connections" "max-connections = 77"
has "--implicit-host-expiry" "implicit-host-expiry = 0"
has "--http-listen" "http-listen = 127.0.0.1:19109"
has "--mdns-enable" "enable = no"
has "--mdns-interfaces" "interfaces = eth1"
for opt in $(awk '/^\[/ { sec = $1 } /^[a-z-]+ = / && sec == "[global]" { print $1 }
	/^[a-z-]+ = / && sec == "[mdns]" { print "mdns-" $1 }' "$TMP/out" | sort -u); do
	if "$CDCD" --help | grep -q -- "--$opt "; then pass "--help lists --$opt"; else
		fail "--help does not list --$opt"
	fi
done

for bad in "--listen nowhere" "--nqn not-an-nqn" "--log-level loud" "--max-connections 5x" \
	"--mdns-enable maybe" "--idle-timeout 0"; do
	# shellcheck disable=SC2086 # split on purpose
	"$CDCD" --config "$TMP/cdcd.conf" $bad --dump-config >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -eq 1 ] && [ ! -s "$TMP/out" ] && [ "$(wc -l <"$TMP/err")" -eq 1 ]; then
		pass "'$bad' is refused in one line"
	else
		fail "'$bad': exit $rc, stdout '$(cat "$TMP/out")', stderr '$(cat "$TMP/err")'"
	fi
done

[ $failures -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
exit 0
