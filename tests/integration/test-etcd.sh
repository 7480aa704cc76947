#!/bin/sh
# Two cdcd sharing one fabric through a three-member etcd cluster on the loopback (store =
# etcd): a DDC's DIM on A reaches a persistent host on B as an AEN and B's log lists it; a
# deregistration likewise; GENCTR read from B after a change is never lower than A's; a
# restarted (kill -9) instance loads the fabric from etcd; with etcd gone, logs are still
# served and a DIM fails, and once it is back both work again. A host connected to one
# instance is connected for the other (NCC), and each lists the other's listener as a self
# entry, until it leaves or its instance is killed (the instance's etcd lease). An instance
# that missed compacted revisions reads everything again. Every wait is bounded.
set -u
: "${top_builddir:=.}"
CDCD=${CDCD:-$top_builddir/cdcd}
CDCCTL_BIN=${CDCCTL:-$top_builddir/cdcctl}
BENCH=${CDC_BENCH:-$top_builddir/tests/bench/cdc-bench}
DIMTOOL=$top_builddir/tests/interop/dimtool

. "$(dirname "$0")/etcd-lib.sh"
ctl() { "$CDCCTL_BIN" --socket "$WORK/$1.sock" "$@"; }
genctr() { "$CDCCTL_BIN" --socket "$WORK/$1.sock" -o json status | sed -n 's/.*"genctr": *\([0-9]*\).*/\1/p'; }
# lists N SUBNQN: instance $1's log for the dimtool host lists SUBNQN N times.
lists() {
	ls_n=$("$CDCCTL_BIN" --socket "$WORK/$1.sock" host log nqn.2014-08.org.example:dimtool |
		grep -c "subnqn: *$3\$")
	[ "$ls_n" = "$2" ]
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

# ---- each instance lists the other's listener as a self entry (SUBTYPE 3) ----
# self_entry INSTANCE PORT N: INSTANCE's log lists a listener on PORT N times.
self_entry() {
	se_n=$("$CDCCTL_BIN" --socket "$WORK/$1.sock" host log nqn.2014-08.org.example:dimtool |
		grep -c "trsvcid: *$2\$")
	[ "$se_n" = "$3" ]
}
wait_for 5 "B lists A's listener as a self entry" self_entry b "$A_PORT" 1
wait_for 5 "A lists B's listener as a self entry" self_entry a "$B_PORT" 1
A_PORT2=$("$BENCH" free-port)
sed -i "s/^listen = 127.0.0.1:$A_PORT\$/&\nlisten = 127.0.0.1:$A_PORT2/" "$WORK/a.conf"
kill -HUP "$A_PID"
wait_for 5 "a listener A adds on reload is listed by B too" self_entry b "$A_PORT2" 1

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
wait_for 5 "and no longer lists B's listener" self_entry a "$B_PORT" 0
kill "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
HOLD_PID=
start_b
wait_for 10 "B is back again" sh -c "grep -c 'etcd: watching' '$WORK/b.log' | grep -q 3"

# ---- a registration on B reaches A ----
"$DIMTOOL" register 127.0.0.1 "$B_PORT" "$DDC" "$SUB" 192.0.2.32 4420 >/dev/null 2>&1 &&
	ok "B acknowledges a DIM" || bad "B refused a DIM"
wait_for 5 "A lists what B registered" lists a 1 "$SUB"

# ---- B misses revisions that etcd then compacts: it reads everything again ----
g_before=$(genctr b)
kill -STOP "$B_PID"
kill -9 "$E2" # B's watch has to resume elsewhere
wait "$E2" 2>/dev/null
# The member killed may have led: DIMs fail (retryable) until etcd has elected another.
missed_dim() {
	"$DIMTOOL" register 127.0.0.1 "$A_PORT" "$DDC" nqn.2014-08.org.example:missed 192.0.2.34 \
		4420 >/dev/null 2>&1
}
wait_for 10 "A takes a DIM B does not see" missed_dim
"$DIMTOOL" deregister 127.0.0.1 "$A_PORT" "$DDC" "$SUB" 192.0.2.32 4420 >/dev/null 2>&1 &&
	ok "and a deregistration" || bad "A refused a deregistration"
rev=$(ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$C1" get x -w json |
	sed -n 's/.*"revision":\([0-9]*\).*/\1/p')
ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$C1" compact "$rev" >/dev/null &&
	ok "etcd compacted up to revision $rev" || bad "etcd did not compact"
kill -CONT "$B_PID"
wait_for 15 "B reads everything again" grep -q "etcd: read .* again" "$WORK/b.log"
wait_for 5 "and lists what it missed" lists b 1 nqn.2014-08.org.example:missed
wait_for 5 "and no longer lists what was deregistered meanwhile" lists b 0 "$SUB"
[ "$(genctr b)" -gt "$g_before" ] && ok "B's GENCTR moved up" || bad "B's GENCTR did not move"
start_member 2

# ---- etcd gone: logs served from memory, changes refused; back: both work again ----
for p in $ETCD_PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
ETCD_PIDS=
lists a 1 nqn.2014-08.org.example:missed && ok "without etcd, A still serves its log" ||
	bad "A lost its log without etcd"
if "$DIMTOOL" register 127.0.0.1 "$A_PORT" "$DDC" nqn.2014-08.org.example:shared2 192.0.2.33 4420 \
	>"$WORK/dim.out" 2>&1; then
	bad "A acknowledged a DIM that etcd never committed"
else
	ok "without etcd, a DIM fails ($(tail -n 1 "$WORK/dim.out"))"
fi
lists a 0 nqn.2014-08.org.example:shared2 && ok "and is not listed" || bad "the failed DIM is listed"
if out=$("$CDCCTL_BIN" --socket "$WORK/a.sock" subsys add nqn.2014-08.org.example:admin-down 2>&1); then
	bad "the control API acknowledged a change etcd never committed"
else
	ok "without etcd, the control API refuses a change: $out"
fi
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
