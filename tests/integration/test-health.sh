#!/bin/sh
# Path health on the loopback: a subsystem port registered through the control API points at
# a port where cdc-bench's ideal responder listens. It is probed up; when the responder stops
# the port fails health-failures probes and its entry leaves the host log, a persistent
# controller holding an AER is told (the daemon's AEN counter moves); when the responder
# listens again the entry comes back; with health-icreq a listener that sends no ICResp is
# withdrawn too. Probes only ever go to 127.0.0.1. Every wait is bounded.
set -u
: "${top_builddir:=.}"
CDCD=${CDCD:-$top_builddir/cdcd}
CDCCTL_BIN=${CDCCTL:-$top_builddir/cdcctl}
BENCH=${CDC_BENCH:-$top_builddir/tests/bench/cdc-bench}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/health-test.XXXXXX")
CDC_PID= IDEAL_PID= HOST_PID= SILENT_PID=
fail=0
cleanup() {
	for p in $HOST_PID $IDEAL_PID $SILENT_PID $CDC_PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ $fail = 0 ] && rm -rf "$WORK" || echo "logs kept in $WORK"
}
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

CDC_PORT=$("$BENCH" free-port)
TARGET_PORT=$("$BENCH" free-port)
C="$CDCCTL_BIN --socket $WORK/cdc.sock"
S=nqn.2014-08.org.example:health-probed
CFG=nqn.2014-08.org.example:health-configured
HOST=nqn.2014-08.org.example:somehost

start_target() {
	"$BENCH" ideal --listen 127.0.0.1:$TARGET_PORT --duration 300 >>"$WORK/ideal.log" 2>&1 &
	IDEAL_PID=$!
}
stop_target() {
	kill "$IDEAL_PID" && wait "$IDEAL_PID" 2>/dev/null
	IDEAL_PID=
}

# The configuration's own entry points at the same dead-able port: it is never probed, so it
# stays whatever the port does.
cat >"$WORK/cdc.conf" <<CONF
[global]
listen = 127.0.0.1:$CDC_PORT
nqn = nqn.2014-08.org.example:cdc:health
control-socket = $WORK/cdc.sock
health-check = yes
health-interval = 1
health-timeout = 1
health-failures = 2

[subsystem $CFG]
port = trtype=tcp;traddr=127.0.0.1;trsvcid=$TARGET_PORT
CONF
start_target
"$CDCD" -f -c "$WORK/cdc.conf" --state-dir "$WORK/state" >"$WORK/cdc.log" 2>&1 &
CDC_PID=$!

# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.1 s until COMMAND succeeds.
wait_for() {
	secs=$1 what=$2
	shift 2
	n=$((secs * 10))
	while [ $n -gt 0 ]; do
		if "$@"; then ok "$what"; return 0; fi
		sleep 0.1
		n=$((n - 1))
	done
	bad "$what (not within $secs s)"
	return 1
}
# How many entries of the host's log name subsystem $1.
entries() {
	$C -o json host log $HOST 2>/dev/null | python3 -c '
import json, sys
print(sum(r["subnqn"] == sys.argv[1] for r in json.load(sys.stdin)["records"]))' "$1"
}
has() { [ "$(entries "$1")" = "$2" ]; }
# The health of subsystem $1's only port, as the API says it.
health() {
	$C -o json subsys show "$1" 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["ports"][0]
print(p["health"], "probed" if p["last_probe"] else "never")'
}
health_is() { [ "$(health "$1")" = "$2" ]; }
metric() {
	curl -s --unix-socket "$WORK/cdc.sock" http://cdcd/metrics | awk -v m="$1" '$1 == m { print $2 }'
}
metric_ge() { v=$(metric "$1"); [ -n "$v" ] && [ "${v%.*}" -ge "$2" ]; }

api_up() { $C status >/dev/null 2>&1; }
wait_for 10 "the control API answers" api_up
$C subsys add $S >/dev/null && $C port add $S --traddr 127.0.0.1 --trsvcid "$TARGET_PORT" >/dev/null &&
	ok "a subsystem port on the loopback is registered" || bad "subsys add / port add"
wait_for 10 "the port is probed up" health_is $S "up probed"
has $S 1 && ok "the host log lists it" || bad "host log lacks the port"
health_is $CFG "unknown never" && ok "the configuration's entry is not probed" || bad "configured entry probed"
$C subsys show $S >"$WORK/out" 2>&1 && grep -q "HEALTH" "$WORK/out" && grep -q " up " "$WORK/out" &&
	ok "subsys show has a HEALTH column" || { bad "subsys show"; cat "$WORK/out"; }

# A persistent controller with an AER outstanding, to hear of the withdrawal.
"$BENCH" persistent --target 127.0.0.1:$CDC_PORT --count 1 --duration 120 >"$WORK/host.log" 2>&1 &
HOST_PID=$!
wait_for 10 "a persistent controller holds an AER" metric_ge cdcd_controllers_aen_armed 1
aens=$(metric 'cdcd_aens_sent_total{type="discovery_log_change"}')

stop_target
wait_for 20 "a dead port is withdrawn from the host log" has $S 0
health_is $S "down probed" && ok "the API says down" || bad "health after withdrawal: $(health $S)"
wait_for 10 "the persistent controller got the AEN" \
	metric_ge 'cdcd_aens_sent_total{type="discovery_log_change"}' $((${aens%.*} + 1))
has $CFG 1 && ok "the configuration's entry at the same port stays" || bad "configured entry withdrawn"
metric_ge cdcd_health_ports_down 1 && ok "metrics count the port down" || bad "cdcd_health_ports_down"
$C -o json status | python3 -c 'import json, sys; sys.exit(json.load(sys.stdin)["counts"]["paths_down"] != 1)' &&
	ok "status counts one path down" || bad "status paths_down"
$C subsys list >"$WORK/out" 2>&1 && grep "127.0.0.1:$TARGET_PORT" "$WORK/out" | grep "admin" | grep -q " down" &&
	ok "subsys list marks the port down" || { bad "subsys list"; cat "$WORK/out"; }
$C changes >"$WORK/out" 2>&1 && grep -q "path down" "$WORK/out" && ok "the journal says path down" ||
	{ bad "journal"; cat "$WORK/out"; }

start_target
wait_for 30 "the port is back in the host log when it listens again" has $S 1
health_is $S "up probed" && ok "the API says up" || bad "health after return: $(health $S)"
metric_ge cdcd_health_ports_down 0 && [ "$(metric cdcd_health_ports_down)" = 0 ] &&
	ok "no port counted down" || bad "cdcd_health_ports_down after return"

# A listener that accepts connections but speaks no NVMe/TCP: up to a connect, down once
# health-icreq asks it for an ICResp; the ideal responder answers one and stays up.
SILENT_PORT=$("$BENCH" free-port)
S2=nqn.2014-08.org.example:health-silent
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1024); time.sleep(300)' "$SILENT_PORT" &
SILENT_PID=$!
$C subsys add $S2 >/dev/null && $C port add $S2 --traddr 127.0.0.1 --trsvcid "$SILENT_PORT" >/dev/null ||
	bad "subsys add / port add of the silent listener"
wait_for 10 "a silent listener is up to a connect" health_is $S2 "up probed"
sed -i 's/^health-failures = 2/health-failures = 2\nhealth-icreq = yes/' "$WORK/cdc.conf"
kill -HUP "$CDC_PID"
wait_for 20 "with health-icreq it is withdrawn: no ICResp" has $S2 0
has $S 1 && health_is $S "up probed" && ok "the ideal responder answers the ICReq and stays" ||
	bad "ideal responder with health-icreq: $(health $S)"
kill "$SILENT_PID" && wait "$SILENT_PID" 2>/dev/null
SILENT_PID=

# Switched off by a reload: nothing is probed, the port shows unknown and stays served.
sed -i 's/^health-check = yes/health-check = no/' "$WORK/cdc.conf"
stop_target
kill -HUP "$CDC_PID"
wait_for 10 "health-check off by reload" health_is $S "unknown never"
sleep 3 # three intervals: a probe would have withdrawn it by now
has $S 1 && ok "with health-check off a dead port stays" || bad "withdrawn with health-check off"

kill "$CDC_PID" && wait "$CDC_PID"
rc=$?
CDC_PID=
[ $rc = 0 ] && ok "cdcd stops cleanly" || bad "cdcd exit status $rc"
exit $fail
