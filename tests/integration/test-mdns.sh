#!/bin/sh
# cdcd's mDNS announcement against a real avahi-daemon: a private system bus and avahi-daemon
# in a network namespace of their own with a veth pair (avahi ignores a loopback-only
# system). avahi-browse must see exactly what cdcd publishes, TXT included; the service
# must come back after avahi-daemon restarts, appear when cdcd started before the bus and
# avahi, follow a reload, take avahi's alternative name on a collision, and go with cdcd.
# Exits 77 (SKIP) where a network namespace cannot be made or a program is missing.
set -u
: "${top_builddir:=.}"
CDCD=${CDCD:-$top_builddir/cdcd}
CDCCTL_BIN=${CDCCTL:-$top_builddir/cdcctl}
NS=cdc-mdns-$$
NQN=nqn.2014-08.org.example:cdc:mdns
NAME="cdc mdns test"
BROWSE_NAME='cdc\\032mdns\\032test' # as avahi-browse -p writes it, as a regex
fail=0
PID= DDC_PID= DBUS_PID= AVAHI_PID= PUB_PID= PUB2_PID= NS_MADE=

skip() {
	echo "SKIP: $*"
	exit 77
}
for p in ip dbus-daemon avahi-daemon avahi-browse avahi-publish unshare timeout python3; do
	command -v $p >/dev/null 2>&1 || skip "$p is not installed (apt-get install avahi-daemon avahi-utils dbus iproute2)"
done
[ -f /usr/share/dbus-1/system.conf ] || skip "no /usr/share/dbus-1/system.conf (package dbus)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdc-mdns.XXXXXX")
BUS="unix:path=$WORK/bus"

stop_pid() { # PID: TERM, then KILL if it lingers; reap it
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
cleanup() {
	stop_pid "$PUB_PID"
	stop_pid "$PUB2_PID"
	stop_pid "$PID"
	stop_pid "$DDC_PID"
	stop_pid "$AVAHI_PID"
	stop_pid "$DBUS_PID"
	if [ -n "$NS_MADE" ]; then
		# Whatever the test started in its namespace and lost track of.
		for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$NS" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" 2>"$WORK/err" || skip "cannot create a network namespace: $(cat "$WORK/err")"
NS_MADE=1
ip -n "$NS" link add mdns0 type veth peer name mdns1 &&
	ip -n "$NS" link set lo up && ip -n "$NS" link set mdns0 up && ip -n "$NS" link set mdns1 up &&
	ip -n "$NS" addr add 169.254.77.1/16 dev mdns0 && ip -n "$NS" addr add 169.254.77.2/16 dev mdns1 ||
	skip "cannot set up a veth pair in the namespace"
# Commands put in the background are written out, not run through this function, so that
# $! is the process itself (env and ip exec it), not a subshell.
in_ns() { DBUS_SYSTEM_BUS_ADDRESS=$BUS ip netns exec "$NS" "$@"; }

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds; a deadline, no fixed sleep.
wait_for() {
	end=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

start_dbus() {
	rm -f "$WORK/bus"
	ip netns exec "$NS" dbus-daemon --config-file=/usr/share/dbus-1/system.conf --address="$BUS" \
		--nopidfile --nofork >"$WORK/dbus.log" 2>&1 &
	DBUS_PID=$!
	wait_for 10 test -S "$WORK/bus" || bad "the private system bus did not start"
}
# avahi-daemon insists on /run/avahi-daemon for its pid file: a tmpfs over /run in a mount
# namespace of its own keeps it away from the machine's.
start_avahi() {
	: >"$WORK/avahi.log"
	DBUS_SYSTEM_BUS_ADDRESS=$BUS ip netns exec "$NS" unshare -m sh -c "mount -t tmpfs tmpfs /run && exec avahi-daemon --no-drop-root \
		--no-chroot --no-rlimits -f '$WORK/avahi.conf'" >"$WORK/avahi.log" 2>&1 &
	AVAHI_PID=$!
	wait_for 15 grep -q "Server startup complete" "$WORK/avahi.log" ||
		{ bad "avahi-daemon did not start"; cat "$WORK/avahi.log"; }
}
stop_avahi() {
	stop_pid "$AVAHI_PID"
	AVAHI_PID=
}
start_cdcd() {
	DBUS_SYSTEM_BUS_ADDRESS=$BUS ip netns exec "$NS" "$CDCD" -f -c "$WORK/cdcd.conf" >>"$WORK/cdcd.log" 2>&1 &
	PID=$!
	wait_for 10 test -S "$WORK/cdcd.sock" || bad "cdcd did not start"
}
stop_cdcd() {
	stop_pid "$PID"
	PID=
	# Under the sanitizers, a leak or an error is reported as cdcd exits.
	! grep -q "Sanitizer" "$WORK/cdcd.log" || { bad "cdcd: sanitizer report"; cat "$WORK/cdcd.log"; }
}
write_conf() { # PORT...
	{
		echo "[global]"
		for port in "$@"; do echo "listen = 0.0.0.0:$port"; echo "listen = [::]:$port"; done
		echo "nqn = $NQN"
		echo "state-dir = $WORK/state"
		echo "control-socket = $WORK/cdcd.sock"
		echo "[mdns]"
		echo "instance-name = $NAME"
	} >"$WORK/cdcd.conf"
}

# browse [TYPE]: avahi-browse's resolved lines ("=;IF;PROTO;NAME;TYPE;DOMAIN;HOST;ADDR;PORT;TXT")
browse() {
	in_ns timeout 10 avahi-browse -rpt "${1:-_nvme-disc._tcp}" 2>/dev/null | grep '^=' | sort
}
# published NAME PORT: the service resolves on both interfaces over IPv4 and IPv6, with
# exactly the TXT strings p=tcp and nqn=NQN.
published() {
	browse >"$WORK/browse"
	n=$(grep -c "^=;mdns[01];IPv[46];$1;_nvme-disc._tcp;local;[^;]*;[^;]*;$2;" "$WORK/browse")
	[ "$n" = 4 ] || return 1
	grep "^=;mdns[01];IPv[46];$1;" "$WORK/browse" | while IFS= read -r line; do
		txt=${line##*;}
		case "$txt" in
		"\"p=tcp\" \"nqn=$NQN\"" | "\"nqn=$NQN\" \"p=tcp\"") ;;
		*) exit 1 ;;
		esac
	done
}
withdrawn() { ! browse | grep -q ";$1;_nvme-disc._tcp;"; }
status_has() { "$CDCCTL_BIN" --socket "$WORK/cdcd.sock" status 2>&1 | grep -q -- "$1"; }

cat >"$WORK/avahi.conf" <<CONF
[server]
use-ipv4=yes
use-ipv6=yes
allow-interfaces=mdns0,mdns1
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
CONF
write_conf 8009

# 1. The usual order: bus, avahi, then cdcd.
start_dbus
start_avahi
start_cdcd
if wait_for 20 published "$BROWSE_NAME" 8009; then
	ok "avahi-browse resolves '$NAME' port 8009 on both interfaces with p=tcp and nqn="
else
	bad "the service is not published as expected:"
	cat "$WORK/browse"
	cat "$WORK/cdcd.log"
fi
n=$(browse | wc -l)
[ "$n" = 4 ] && ok "nothing else is published ($n records)" || bad "$n records, wanted 4"
subtype_found() { browse _cdc._sub._nvme-disc._tcp | grep -q "^=.*;$BROWSE_NAME;"; }
wait_for 10 subtype_found &&
	ok "the _cdc subtype finds it" || bad "the _cdc subtype does not find it"
grep -q "mdns: published '$NAME' on _nvme-disc._tcp port 8009" "$WORK/cdcd.log" &&
	ok "the log says it is published" || bad "no 'published' line in the log"
status_has "mdns: *published '$NAME' on port 8009" && ok "cdcctl status shows it" ||
	{ bad "cdcctl status does not show it"; "$CDCCTL_BIN" --socket "$WORK/cdcd.sock" status; }
"$CDCCTL_BIN" --socket "$WORK/cdcd.sock" -o json status | python3 -c '
import json, sys
m = json.load(sys.stdin)["mdns"]
assert m["state"] == "published", m
assert m["txt"] == ["p=tcp", "nqn='"$NQN"'"], m
assert m["services"] == [{"port": 8009, "interface": "any", "protocol": "any"}], m
' && ok "the status JSON shows state, TXT and services" || bad "the status JSON is wrong"

# 2. avahi-daemon restarts: the service is back within seconds, "not running" said once.
stop_avahi
start_avahi
if wait_for 20 published "$BROWSE_NAME" 8009; then ok "published again after avahi-daemon restarted"; else
	bad "not published again after avahi-daemon restarted"
	cat "$WORK/cdcd.log"
fi
n=$(grep -c "avahi-daemon not running" "$WORK/cdcd.log")
[ "$n" = 1 ] && ok "'not running' logged once" || bad "'not running' logged $n times"

# 3. A reload moving the listener moves the announcement.
write_conf 4420
kill -HUP "$PID"
port_gone() { ! browse | grep -q ";$1;\""; }
if wait_for 20 published "$BROWSE_NAME" 4420 && wait_for 10 port_gone 8009; then
	ok "a reload re-publishes on the new port and withdraws the old one"
else
	bad "the reload did not move the service"
	browse
fi

# 4. Stopping cdcd withdraws the service.
stop_cdcd
wait_for 15 withdrawn "$BROWSE_NAME" && ok "stopping cdcd withdraws the service" ||
	bad "the service outlived cdcd"

# 5. A name taken by someone else: avahi's alternative name, state collision-renamed.
write_conf 8009
rm -f "$WORK/cdcd.log"
DBUS_SYSTEM_BUS_ADDRESS=$BUS ip netns exec "$NS" avahi-publish -s "$NAME" _nvme-disc._tcp 9999 p=tcp >"$WORK/pub.log" 2>&1 &
PUB_PID=$!
wait_for 10 grep -q "Established" "$WORK/pub.log" || bad "avahi-publish did not establish its service"
start_cdcd
if wait_for 20 published "$BROWSE_NAME"'\\032\\0352' 8009; then
	ok "a taken name becomes avahi's alternative"
else
	bad "no alternative name after a collision"
	cat "$WORK/browse"
fi
wait_for 5 status_has "collision-renamed" && ok "cdcctl status says collision-renamed" ||
	bad "cdcctl status does not say collision-renamed"
stop_pid "$PUB_PID"
PUB_PID=
stop_cdcd

# 6. cdcd first, with neither bus nor avahi-daemon: it serves, waits, and publishes when
# they appear (the bus is retried with backoff, avahi-daemon awaited on the bus).
stop_avahi
stop_pid "$DBUS_PID"
DBUS_PID=
rm -f "$WORK/cdcd.log"
start_cdcd
wait_for 5 status_has "waiting for avahi" && ok "without bus or avahi, status says waiting" ||
	bad "status does not say waiting for avahi"
start_dbus
sleep 1 # the bus alone for a moment: cdcd must also wait for avahi-daemon on it
start_avahi
if wait_for 40 published "$BROWSE_NAME" 8009; then ok "started before the bus and avahi, published once they came"; else
	bad "not published after the bus and avahi came up"
	cat "$WORK/browse" "$WORK/cdcd.log"
fi
n=$(grep -c "avahi-daemon not running" "$WORK/cdcd.log")
[ "$n" = 1 ] && ok "'not running' logged once while retrying" || bad "'not running' logged $n times"
status_has "mdns: *published" && ok "status says published" || bad "status does not say published"
stop_cdcd

# 7. Browsing, with browse = automatic: what avahi-publish announces in the namespace.
write_conf 8009
echo "browse = automatic" >>"$WORK/cdcd.conf"
rm -f "$WORK/cdcd.log"
start_cdcd
wait_for 20 published "$BROWSE_NAME" 8009 || bad "not published before browsing"
# found INSTANCE KIND [PORT NQN]: exactly one entry of that kind in the status's mdns.found
# (one, though avahi reports it on two interfaces over IPv4 and IPv6).
found() {
	"$CDCCTL_BIN" --socket "$WORK/cdcd.sock" -o json status | python3 -c '
import json, sys
m = json.load(sys.stdin)["mdns"]
assert m["browse"] == "automatic", m
f = [x for x in m["found"] if x["instance"] == sys.argv[1]]
assert len(f) == 1 and f[0]["kind"] == sys.argv[2], f
assert f[0]["address"] and f[0]["interface"] in ("mdns0", "mdns1"), f
if len(sys.argv) > 3:
    assert f[0]["port"] == int(sys.argv[3]) and f[0]["nqn"] == sys.argv[4], f
' "$@"
}
not_found() {
	"$CDCCTL_BIN" --socket "$WORK/cdcd.sock" -o json status | python3 -c '
import json, sys
sys.exit(any(x["instance"] == sys.argv[1] for x in json.load(sys.stdin)["mdns"]["found"]))
' "$1"
}
# The DDC behind the announcement: another cdcd in the namespace, with one subsystem of two
# ports and no mDNS of its own, listening on every address the announcement may resolve to.
DDC_NQN=nqn.2014-08.org.example:ddc1
DDC_SUBSYS=nqn.2014-08.org.example:behind-ddc1
cat >"$WORK/ddc.conf" <<CONF
[global]
listen = 0.0.0.0:4420
listen = [::]:4420
nqn = $DDC_NQN
state-dir = $WORK/ddc-state
control-socket = $WORK/ddc.sock
[mdns]
enable = no
[subsystem $DDC_SUBSYS]
port = trtype=tcp;traddr=192.0.2.11;trsvcid=4420
port = trtype=tcp;traddr=192.0.2.12;trsvcid=4420
CONF
ip netns exec "$NS" "$CDCD" -f -c "$WORK/ddc.conf" >"$WORK/ddc.log" 2>&1 &
DDC_PID=$!
wait_for 10 test -S "$WORK/ddc.sock" || bad "the DDC did not start"
# pulled N: the CDC's log holds N entries of the DDC's subsystem
pulled() {
	"$CDCCTL_BIN" --socket "$WORK/cdcd.sock" -o json host log nqn.2014-08.org.example:h1 | python3 -c '
import json, sys
n = sum(r["subnqn"] == sys.argv[1] for r in json.load(sys.stdin)["records"])
sys.exit(n != int(sys.argv[2]))
' "$DDC_SUBSYS" "$1"
}
# ddc_source SOURCE: the CDC pulls from one DDC, port 4420, asked for by SOURCE, connected
ddc_source() {
	"$CDCCTL_BIN" --socket "$WORK/cdcd.sock" -o json ddc list | python3 -c '
import json, sys
d = json.load(sys.stdin)["ddcs"]
assert len(d) == 1 and d[0]["trsvcid"] == "4420" and d[0]["nqn"] == sys.argv[2], d
assert d[0]["source"] == sys.argv[1] and d[0]["state"] == "connected", d
' "$1" "$DDC_NQN"
}
no_ddcs() {
	"$CDCCTL_BIN" --socket "$WORK/cdcd.sock" -o json ddc list | python3 -c '
import json, sys
sys.exit(len(json.load(sys.stdin)["ddcs"]) != 0)'
}
DBUS_SYSTEM_BUS_ADDRESS=$BUS ip netns exec "$NS" avahi-publish -s ddc1 _nvme-disc._tcp 4420 p=tcp "nqn=$DDC_NQN" >"$WORK/pub.log" 2>&1 &
PUB_PID=$!
if wait_for 20 found ddc1 ddc 4420 "$DDC_NQN"; then ok "an announced DDC is one candidate in the status JSON"; else
	bad "the DDC is not a candidate"
	found ddc1 ddc 4420 "$DDC_NQN"
	cat "$WORK/cdcd.log"
fi
status_has "mdns found: *1 DDC candidate, 0 other CDCs" && ok "cdcctl status counts it" ||
	{ bad "cdcctl status does not count it"; "$CDCCTL_BIN" --socket "$WORK/cdcd.sock" status; }
not_found "$NAME" && ok "our own announcement is not a candidate" || bad "our own announcement is listed"
if wait_for 20 pulled 2 && ddc_source mdns; then
	ok "browse = automatic pulls from it: both ports of its subsystem are in the log"
else
	bad "the announced DDC was not pulled"
	"$CDCCTL_BIN" --socket "$WORK/cdcd.sock" ddc list
	cat "$WORK/cdcd.log"
fi
grep -q "pull: DDC .*:4420 ($DDC_NQN) announced with mDNS: pulling from it" "$WORK/cdcd.log" &&
	ok "the log says why it is pulled" || bad "no log line for the mDNS DDC"
# The administrator adds it too: the goodbye then leaves it pulled, now as the admin's.
addr=$("$CDCCTL_BIN" --socket "$WORK/cdcd.sock" -o json ddc list | python3 -c '
import json, sys; print(json.load(sys.stdin)["ddcs"][0]["traddr"])')
"$CDCCTL_BIN" --socket "$WORK/cdcd.sock" ddc add "$addr" --trsvcid 4420 --nqn "$DDC_NQN" >/dev/null &&
	ddc_source admin,mdns && ok "the administrator's and mDNS's at once (DDC at $addr)" || bad "ddc add of an mDNS DDC"
stop_pid "$PUB_PID"
PUB_PID=
if wait_for 15 not_found ddc1; then ok "its goodbye removes the candidate"; else bad "the candidate outlived its goodbye"; fi
grep -q "DDC candidate 'ddc1' at .* withdrawn" "$WORK/cdcd.log" && ok "the hook is told it went" ||
	bad "the hook was not told the candidate went"
ddc_source admin && pulled 2 && ok "after the goodbye the administrator's DDC is still pulled" ||
	bad "the goodbye took the administrator's DDC"
# Announced again, then gone for good: its entries go with the goodbye.
"$CDCCTL_BIN" --socket "$WORK/cdcd.sock" ddc del "$addr" --trsvcid 4420 >/dev/null || bad "ddc del"
wait_for 10 pulled 0 || bad "ddc del left the entries"
DBUS_SYSTEM_BUS_ADDRESS=$BUS ip netns exec "$NS" avahi-publish -s ddc1 _nvme-disc._tcp 4420 p=tcp "nqn=$DDC_NQN" >"$WORK/pub.log" 2>&1 &
PUB_PID=$!
wait_for 20 pulled 2 && ok "announced again: pulled again" || bad "not pulled after the second announcement"
if "$CDCCTL_BIN" --socket "$WORK/cdcd.sock" ddc del "$addr" --trsvcid 4420 >"$WORK/out" 2>&1; then
	bad "ddc del took a DDC that only mDNS announces"
else
	grep -q "announced with mDNS" "$WORK/out" && ok "ddc del of an announced DDC says why not" ||
		{ bad "ddc del error is unclear"; cat "$WORK/out"; }
fi
stop_pid "$PUB_PID"
PUB_PID=
if wait_for 15 pulled 0 && no_ddcs; then ok "the goodbye withdraws what was pulled from it"; else
	bad "entries outlived the goodbye"
	"$CDCCTL_BIN" --socket "$WORK/cdcd.sock" ddc list
fi

DBUS_SYSTEM_BUS_ADDRESS=$BUS ip netns exec "$NS" avahi-publish -s --sub _cdc._sub._nvme-disc._tcp cdc2 _nvme-disc._tcp 8009 p=tcp nqn=nqn.2014-08.org.example:cdc2 >"$WORK/pub.log" 2>&1 &
PUB_PID=$!
DBUS_SYSTEM_BUS_ADDRESS=$BUS ip netns exec "$NS" avahi-publish -s ddc3 _nvme-disc._tcp 4420 nqn=nqn.2014-08.org.example:ddc3 >"$WORK/pub2.log" 2>&1 &
PUB2_PID=$!
if wait_for 20 found cdc2 cdc 8009 nqn.2014-08.org.example:cdc2; then ok "a service with the _cdc subtype is another CDC"; else
	bad "the other CDC is not listed as a CDC"
	cat "$WORK/cdcd.log"
fi
n=$(grep -c "mdns: another CDC announced: 'cdc2' at .*:8009 nqn nqn.2014-08.org.example:cdc2" "$WORK/cdcd.log")
[ "$n" = 1 ] && ok "another CDC is a warning, once" || bad "'another CDC' logged $n times"
sleep 3 # past the 2 s a DDC candidate waits for a _cdc subtype before it is pulled
grep -q "DDC candidate 'cdc2'\|pull: DDC .*:8009 .*announced" "$WORK/cdcd.log" &&
	bad "the other CDC went to pull registration" || ok "the other CDC is no candidate and is not pulled"
wait_for 15 grep -q "mdns: ignoring 'ddc3' .*no p=tcp" "$WORK/cdcd.log" && ok "a record without p=tcp is ignored, with a log line" ||
	bad "no log line for the record without p=tcp"
not_found ddc3 && ok "the record without p=tcp is not listed" || bad "the record without p=tcp is listed"
no_ddcs && ok "neither is pulled from" || bad "a CDC or a record without p=tcp is pulled from"
stop_cdcd

[ $fail = 0 ] && echo "PASS: test-mdns.sh" || echo "FAIL: test-mdns.sh"
exit $fail
