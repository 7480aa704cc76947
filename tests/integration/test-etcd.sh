#!/bin/sh
# Two cdcd sharing one fabric through a three-member etcd cluster on the loopback (store =
# etcd): a DDC's DIM on A reaches a persistent host on B as an AEN and B's log lists it; a
# deregistration likewise; GENCTR read from B after a change is never lower than A's; a
# restarted (kill -9) instance loads the fabric from etcd; with etcd gone, logs are still
# served and a DIM fails, and once it is back both work again. A host connected to one
# instance is connected for the other (NCC), until it leaves or its instance is killed
# (the instance's etcd lease). Every wait is bounded.
set -u
: "${top_builddir:=.}"
CDCD=${CDCD:-$top_builddir/cdcd}
CDCCTL_BIN=${CDCCTL:-$top_builddir/cdcctl}
BENCH=${CDC_BENCH:-$top_builddir/tests/bench/cdc-bench}
DIMTOOL=$top_builddir/tests/interop/dimtool

if ! command -v etcd >/dev/null 2>&1; then
	# CI installs etcd-server (contrib/devel.sh): there, a missing etcd is a failure.
	if [ "${CI:-}" = true ] || [ -n "${CDC_REQUIRE_INTEROP:-}" ]; then
		echo "FAIL: etcd is not installed (apt-get install etcd-server)"
		exit 1
	fi
	echo "SKIP: etcd is not installed (apt-get install etcd-server)"
	exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/etcd-test.XXXXXX")
ETCD_PIDS= A_PID= B_PID= AER_PID= HOLD_PID=
fail=0
cleanup() {
	for p in $AER_PID $HOLD_PID $A_PID $B_PID $ETCD_PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ $fail = 0 ] && rm -rf "$WORK" || echo "logs kept in $WORK"
}
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
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

# ---- etcd: three members, each with a client and a peer port ----
CLUSTER= ENDPOINTS=
for m in 1 2 3; do
	eval "C$m=\$(\"\$BENCH\" free-port)"
	eval "P$m=\$(\"\$BENCH\" free-port)"
	eval "CLUSTER=\"\${CLUSTER:+\$CLUSTER,}m$m=http://127.0.0.1:\$P$m\""
done
start_member() { # $1: member number
	eval "cport=\$C$1 pport=\$P$1"
	etcd --name "m$1" --data-dir "$WORK/etcd$1" \
		--listen-client-urls "http://127.0.0.1:$cport" \
		--advertise-client-urls "http://127.0.0.1:$cport" \
		--listen-peer-urls "http://127.0.0.1:$pport" \
		--initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		--initial-cluster "$CLUSTER" --initial-cluster-token "cdc-test-$$" \
		--initial-cluster-state new >>"$WORK/etcd$1.log" 2>&1 &
	ETCD_PIDS="$ETCD_PIDS $!"
	eval "E$1=$!"
}
for m in 1 2 3; do start_member $m; done
healthy() { curl -sf "http://127.0.0.1:$1/health" | grep -q '"health":"true"'; }
wait_for 30 "a three-member etcd cluster is up" healthy "$C1" || exit 1
wait_for 10 "its other members too" sh -c "curl -sf http://127.0.0.1:$C2/health >/dev/null && curl -sf http://127.0.0.1:$C3/health >/dev/null"

# ---- two instances: A talks to member 1 first, B to member 2 ----
A_PORT=$("$BENCH" free-port)
B_PORT=$("$BENCH" free-port)
instance_config() { # $1: name, $2: port, $3: endpoints
	cat >"$WORK/$1.conf" <<CONF
[global]
listen = 127.0.0.1:$2
nqn = nqn.2014-08.org.example:cdc:$1
control-socket = $WORK/$1.sock
store = etcd
etcd-endpoints = $3
etcd-prefix = /test-$$/
[mdns]
enable = no
CONF
}
instance_config a "$A_PORT" "http://127.0.0.1:$C1,http://127.0.0.1:$C2,http://127.0.0.1:$C3"
instance_config b "$B_PORT" "http://127.0.0.1:$C2,http://127.0.0.1:$C3,http://127.0.0.1:$C1"
start_a() {
	"$CDCD" -f -c "$WORK/a.conf" --state-dir "$WORK/a-state" >>"$WORK/a.log" 2>&1 &
	A_PID=$!
}
start_b() {
	"$CDCD" -f -c "$WORK/b.conf" --state-dir "$WORK/b-state" >>"$WORK/b.log" 2>&1 &
	B_PID=$!
}
start_a
start_b
wait_for 10 "A watches etcd" grep -q "etcd: watching" "$WORK/a.log"
wait_for 10 "B watches etcd" grep -q "etcd: watching" "$WORK/b.log"

ctl() { "$CDCCTL_BIN" --socket "$WORK/$1.sock" "$@"; }
genctr() { "$CDCCTL_BIN" --socket "$WORK/$1.sock" -o json status | sed -n 's/.*"genctr": *\([0-9]*\).*/\1/p'; }
# lists N SUBNQN: instance $1's log for the dimtool host lists SUBNQN N times.
lists() {
	n=$("$CDCCTL_BIN" --socket "$WORK/$1.sock" host log nqn.2014-08.org.example:dimtool |
		grep -c "subnqn: *$3\$")
	[ "$n" = "$2" ]
}
# aer_on INSTANCE_PORT: a persistent host holding an AER; returns once it is armed.
aer_on() {
	: >"$WORK/aer.out"
	"$DIMTOOL" aer 127.0.0.1 "$1" >"$WORK/aer.out" 2>&1 &
	AER_PID=$!
	wait_for 5 "a persistent host on B is armed" grep -q "^armed" "$WORK/aer.out"
}
aen_seen() {
	wait_for 10 "$1" grep -q "^aen 0x0070f002" "$WORK/aer.out"
	wait "$AER_PID" 2>/dev/null
	AER_PID=
}
DDC=nqn.2014-08.org.example:ddc:etcd
SUB=nqn.2014-08.org.example:shared1

# ---- a DIM on A: an AEN on B, and B lists it ----
aer_on "$B_PORT"
g_before=$(genctr b)
if "$DIMTOOL" register 127.0.0.1 "$A_PORT" "$DDC" "$SUB" 192.0.2.31 4420 >"$WORK/dim.out" 2>&1; then
	ok "A acknowledges the DIM"
else
	bad "A refused the DIM: $(cat "$WORK/dim.out")"
fi
aen_seen "the persistent host on B gets the discovery log change AEN"
wait_for 5 "B's log lists the subsystem registered on A" lists b 1 "$SUB"
lists a 1 "$SUB" && ok "A lists it too" || bad "A does not list its own registration"
# After A's last change (the DDC's disconnection) has reached B too.
settled() { [ "$(genctr b)" -ge "$(genctr a)" ]; }
wait_for 5 "GENCTR read from B is not lower than A's" settled
[ "$(genctr b)" -gt "$g_before" ] && ok "B's GENCTR moved up" || bad "B's GENCTR did not move"

# ---- a host that moves from A to B never sees GENCTR go back ----
ga=$(genctr a)
gb=$(genctr b)
[ "$gb" -ge "$ga" ] && ok "after a move A→B: GENCTR $ga then $gb" || bad "GENCTR went back: A $ga, B $gb"

# ---- NCC: a host connected to A is connected for B too, until it leaves ----
# connected INSTANCE yes|no: INSTANCE's host list says the dimtool host is connected or not.
connected() {
	"$CDCCTL_BIN" --socket "$WORK/$1.sock" -o json host list | python3 -c '
import json, sys
hosts = [h for h in json.load(sys.stdin)["hosts"] if h["hostnqn"].endswith(":dimtool")]
sys.exit(0 if hosts and all(h["connected"] == (sys.argv[1] == "yes") for h in hosts) else 1)' "$2"
}
"$DIMTOOL" aer 127.0.0.1 "$A_PORT" >"$WORK/hold.out" 2>&1 &
HOLD_PID=$!
wait_for 5 "a host holds a connection to A" grep -q "^armed" "$WORK/hold.out"
wait_for 5 "B sees the host connected to A as connected" connected b yes
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
wait_for 5 "once it left A, B sees it not connected" connected b no

# ---- B killed and restarted: the fabric comes from etcd ----
kill -9 "$B_PID"
wait "$B_PID" 2>/dev/null
start_b
wait_for 10 "B is back" sh -c "grep -c 'etcd: watching' '$WORK/b.log' | grep -q 2"
wait_for 5 "the restarted B lists what A registered" lists b 1 "$SUB"
[ "$(genctr b)" -ge "$gb" ] && ok "B's GENCTR did not go back across its restart" ||
	bad "B's GENCTR went back across its restart: $gb then $(genctr b)"

# ---- a deregistration on A: an AEN on B, and B no longer lists it ----
aer_on "$B_PORT"
if "$DIMTOOL" deregister 127.0.0.1 "$A_PORT" "$DDC" "$SUB" 192.0.2.31 4420 >"$WORK/dim.out" 2>&1; then
	ok "A acknowledges the deregistration"
else
	bad "A refused the deregistration: $(cat "$WORK/dim.out")"
fi
aen_seen "the persistent host on B gets the AEN of the deregistration"
wait_for 5 "B's log no longer lists it" lists b 0 "$SUB"

# ---- an instance killed: its hosts are not connected for the others after its lease ----
"$DIMTOOL" aer 127.0.0.1 "$B_PORT" >"$WORK/hold.out" 2>&1 &
HOLD_PID=$!
wait_for 5 "a host holds a connection to B" grep -q "^armed" "$WORK/hold.out"
wait_for 5 "A sees it connected" connected a yes
kill -9 "$B_PID"
wait "$B_PID" 2>/dev/null
wait_for 20 "B killed: once its lease expired, A sees the host not connected" connected a no
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
HOLD_PID=
start_b
wait_for 10 "B is back again" sh -c "grep -c 'etcd: watching' '$WORK/b.log' | grep -q 3"

# ---- a registration on B reaches A ----
"$DIMTOOL" register 127.0.0.1 "$B_PORT" "$DDC" "$SUB" 192.0.2.32 4420 >/dev/null 2>&1 &&
	ok "B acknowledges a DIM" || bad "B refused a DIM"
wait_for 5 "A lists what B registered" lists a 1 "$SUB"

# ---- etcd gone: logs served from memory, changes refused; back: both work again ----
for p in $ETCD_PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
ETCD_PIDS=
lists a 1 "$SUB" && ok "without etcd, A still serves its log" || bad "A lost its log without etcd"
if "$DIMTOOL" register 127.0.0.1 "$A_PORT" "$DDC" nqn.2014-08.org.example:shared2 192.0.2.33 4420 \
	>"$WORK/dim.out" 2>&1; then
	bad "A acknowledged a DIM that etcd never committed"
else
	ok "without etcd, a DIM fails ($(tail -n 1 "$WORK/dim.out"))"
fi
lists a 0 nqn.2014-08.org.example:shared2 && ok "and is not listed" || bad "the failed DIM is listed"
for m in 1 2 3; do start_member $m; done
wait_for 30 "etcd is back" healthy "$C1"
aer_on "$B_PORT"
registered() {
	"$DIMTOOL" register 127.0.0.1 "$A_PORT" "$DDC" nqn.2014-08.org.example:shared2 192.0.2.33 \
		4420 >/dev/null 2>&1
}
wait_for 15 "A takes DIMs again" registered
aen_seen "B's watch resumed: its persistent host gets the AEN"
wait_for 5 "B lists the registration made after etcd returned" lists b 1 nqn.2014-08.org.example:shared2

exit $fail
