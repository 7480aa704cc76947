#!/bin/sh
# Nothing acknowledged is lost with store = etcd: a DIM storm on A (cdc-bench dim) while A
# is killed with SIGKILL, then while the etcd member A talks to is: every registration the
# bench saw acknowledged is listed by B and by A restarted. Every wait is bounded.
set -u
: "${top_builddir:=.}"
CDCD=${CDCD:-$top_builddir/cdcd}
CDCCTL_BIN=${CDCCTL:-$top_builddir/cdcctl}
BENCH=${CDC_BENCH:-$top_builddir/tests/bench/cdc-bench}

. "$(dirname "$0")/etcd-lib.sh"

ports() { "$CDCCTL_BIN" --socket "$WORK/$1.sock" -o json status | sed -n 's/.*"ports": *\([0-9]*\).*/\1/p'; }
acked() { sed -n 's/.*"registrations":{"value":\([0-9]*\).*/\1/p' "$1"; }
# storm RUNID: a DIM storm on A in the background, its JSON in $WORK/RUNID.json.
storm() {
	# 320 DIMs outstanding: batches larger than one etcd txn may hold (ETCD_BATCH_ROWS).
	"$BENCH" dim --target "127.0.0.1:$A_PORT" --conns 40 --depth 8 --sources 8 --count 4000 \
		--duration 30 --runid "$1" --json >"$WORK/$1.json" 2>"$WORK/$1.err" &
	STORM_PID=$!
}
# at_least INSTANCE N: the instance lists at least N ports.
at_least() { al_n=$(ports "$1"); [ -n "$al_n" ] && [ "$al_n" -ge "$2" ]; }
# running_past INSTANCE N: the storm has made the instance list more than N ports.
running_past() { at_least "$1" $(($2 + 1)); }

# ---- A killed in the middle of a storm ----
base=$(ports b)
storm crash1
wait_for 15 "the storm is under way" running_past b $((base + 200))
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null
wait "$STORM_PID" 2>/dev/null
n=$(acked "$WORK/crash1.json")
[ -n "$n" ] && [ "$n" -gt 0 ] && ok "the storm had $n registrations acknowledged when A died" ||
	bad "no acknowledged registrations read: $(cat "$WORK/crash1.err")"
wait_for 10 "B lists every one of them" at_least b $((base + n))
start_a
wait_for 15 "A restarted" sh -c "grep -c 'etcd: watching' '$WORK/a.log' | grep -q 2"
wait_for 10 "the restarted A lists every one of them" at_least a $((base + n))

# ---- the etcd member A talks to killed in the middle of a storm ----
base=$(ports b)
storm crash2
wait_for 15 "the second storm is under way" running_past b $((base + 200))
kill -9 "$E1"
wait "$E1" 2>/dev/null
wait "$STORM_PID" 2>/dev/null
n=$(acked "$WORK/crash2.json")
[ -n "$n" ] && [ "$n" -gt 0 ] && ok "$n registrations acknowledged with a member killed" ||
	bad "no acknowledged registrations read: $(cat "$WORK/crash2.err")"
wait_for 10 "B lists every one of them" at_least b $((base + n))
wait_for 10 "A lists every one of them" at_least a $((base + n))

exit $fail
