#!/bin/sh
# Pull registration against real discovery controllers on the loopback: a second cdcd with
# subsystems in its configuration is the DDC (a reload makes it send the change AEN), and
# cdc-bench's ideal responder completes reads with the C2HData SUCCESS flag as SPDK does.
# The CDC under test pulls both; checked through its control API: the first pull, what is
# not re-exported, the re-pull after a change, DDC loss (NCC), withdrawal, return, and the
# administrator's DDCs. Every wait is bounded.
set -u
: "${top_builddir:=.}"
CDCD=${CDCD:-$top_builddir/cdcd}
CDCCTL_BIN=${CDCCTL:-$top_builddir/cdcctl}
BENCH=${CDC_BENCH:-$top_builddir/tests/bench/cdc-bench}
DIMTOOL=$top_builddir/tests/interop/dimtool
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pull-test.XXXXXX")
DDC_PID= CDC_PID= IDEAL_PID= KS_PID=
fail=0
cleanup() {
	for p in $DDC_PID $CDC_PID $IDEAL_PID $KS_PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ $fail = 0 ] && rm -rf "$WORK" || echo "logs kept in $WORK"
}
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

DDC_PORT=$("$BENCH" free-port)
CDC_PORT=$("$BENCH" free-port)
IDEAL_PORT=$("$BENCH" free-port)
C="$CDCCTL_BIN --socket $WORK/cdc.sock"
P1=nqn.2014-08.org.example:pulled1
MINE=nqn.2014-08.org.example:configured-at-cdc

ddc_config() { # $1: extra port lines of pulled1
	cat >"$WORK/ddc.conf" <<CONF
[global]
listen = 127.0.0.1:$DDC_PORT
nqn = nqn.2014-08.org.example:ddc
control-socket = $WORK/ddc.sock

[subsystem $P1]
port = trtype=tcp;traddr=192.0.2.10;trsvcid=4420
$1

[subsystem $MINE]
port = trtype=tcp;traddr=192.0.2.99;trsvcid=4420

[referral]
entry = trtype=tcp;traddr=192.0.2.50;trsvcid=8009
CONF
}
start_ddc() {
	"$CDCD" -f -c "$WORK/ddc.conf" --state-dir "$WORK/ddc-state" >>"$WORK/ddc.log" 2>&1 &
	DDC_PID=$!
}

ddc_config ""
start_ddc
"$BENCH" ideal --listen 127.0.0.1:$IDEAL_PORT --entries 3 --success-flag --duration 300 \
	>"$WORK/ideal.log" 2>&1 &
IDEAL_PID=$!
cat >"$WORK/cdc.conf" <<CONF
[global]
listen = 127.0.0.1:$CDC_PORT
nqn = nqn.2014-08.org.example:cdc:pull
control-socket = $WORK/cdc.sock
pull-reconnect-max = 1
pull-withdraw-after = 2
pull-kato = 2

[subsystem $MINE]
port = trtype=tcp;traddr=198.51.100.1;trsvcid=4420

[ddc]
entry = traddr=127.0.0.1;trsvcid=$DDC_PORT
entry = traddr=127.0.0.1;trsvcid=$IDEAL_PORT
CONF
start_cdc() {
	"$CDCD" -f -c "$WORK/cdc.conf" --state-dir "$WORK/cdc-state" >>"$WORK/cdc.log" 2>&1 &
	CDC_PID=$!
}
start_cdc

# The CDC's log as a host sees it, summarised one entry per line: SUBNQN TRADDR NCC(0|1).
entries() {
	$C -o json host log nqn.2014-08.org.example:somehost 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin)["records"]:
    print(r["subnqn"], r["traddr"], int("no cdc connectivity" in r["eflags"]))'
}
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
	entries
	return 1
}
# has N PATTERN [NCC]: exactly N entries match PATTERN (and, if given, all with that NCC).
has() {
	entries >"$WORK/entries"
	[ "$(grep -c -- "$2" "$WORK/entries")" = "$1" ] || return 1
	[ $# -lt 3 ] || ! grep -- "$2" "$WORK/entries" | grep -qv " $3\$"
}

wait_for 10 "the DDC's subsystem is pulled, with NCC clear" has 1 "^$P1 " 0
wait_for 10 "the ideal responder's entries are pulled through the SUCCESS flag" \
	has 3 "ideal-sub.* 0$"
has 0 "192.0.2.50" && ok "the DDC's referral is not re-exported" || bad "referral re-exported"
has 0 "nqn.2014-08.org.example:ddc " && ok "the DDC's own discovery entry is not re-exported" ||
	bad "DDC's discovery entry re-exported"
has 1 "^$MINE " && has 1 "198.51.100.1" &&
	ok "a subsystem configured at the CDC keeps its own port" || bad "configured subsystem"
[ "$(grep -c "entries skipped" "$WORK/cdc.log")" = 1 ] && ok "the skipped duplicate is logged once" ||
	bad "skipped duplicate not logged once"
$C ddc list >"$WORK/out" 2>&1 && grep -q "connected" "$WORK/out" && ok "ddc list shows them connected" ||
	{ bad "ddc list"; cat "$WORK/out"; }

# A change at the DDC: its reload sends the AEN, the CDC reads again.
ddc_config "port = trtype=tcp;traddr=192.0.2.11;trsvcid=4420"
kill -HUP "$DDC_PID"
wait_for 10 "re-pulled after the DDC's change notice" has 2 "^$P1 " 0

# DDC loss: NCC at once, withdrawal after pull-withdraw-after, the other DDC untouched.
kill "$DDC_PID" && wait "$DDC_PID" 2>/dev/null
DDC_PID=
wait_for 5 "a lost DDC's entries carry NCC" has 2 "^$P1 " 1
wait_for 10 "withdrawn after pull-withdraw-after" has 0 "^$P1 "
has 3 "ideal-sub.* 0$" && ok "the other DDC's entries stay" || bad "other DDC's entries"

# Return: reconnected within the backoff, pulled again.
start_ddc
wait_for 10 "back when the DDC returns" has 2 "^$P1 " 0

# A DDC that keeps its TCP connection but stops answering: dropped after pull-kato, NCC; it
# is back once it answers again (SIGCONT), before pull-withdraw-after.
kill -STOP "$DDC_PID"
wait_for 10 "a DDC that stops answering Keep Alives is dropped: NCC" has 2 "^$P1 " 1
kill -CONT "$DDC_PID"
wait_for 10 "and pulled again once it answers" has 2 "^$P1 " 0
grep -q "lost DDC 127.0.0.1:$DDC_PORT .*Connection timed out" "$WORK/cdc.log" &&
	ok "the log says it timed out" || bad "no timeout in the log"

# The administrator's DDCs: add, list, delete (entries withdrawn at once).
ADM_PORT=$("$BENCH" free-port)
"$BENCH" ideal --listen 127.0.0.1:$ADM_PORT --entries 5 --duration 300 >"$WORK/ideal2.log" 2>&1 &
IDEAL2_PID=$!
$C ddc add 127.0.0.1 --trsvcid "$ADM_PORT" >"$WORK/out" 2>&1 && ok "ddc add" || { bad "ddc add"; cat "$WORK/out"; }
wait_for 10 "an added DDC is pulled" has 5 "ideal-sub.* 0$"
$C ddc add 127.0.0.1 --trsvcid "$ADM_PORT" >/dev/null 2>&1 && bad "ddc add twice succeeded" ||
	ok "ddc add twice is refused"
$C -o json ddc list >"$WORK/out" && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["ddcs"]
sys.exit(0 if len(d) == 3 and sum(x["source"] == "admin" for x in d) == 1 else 1)' "$WORK/out" &&
	ok "ddc list -o json shows three DDCs, one the administrator's" || { bad "ddc list -o json"; cat "$WORK/out"; }
$C ddc del 127.0.0.1 --trsvcid "$DDC_PORT" >/dev/null 2>&1 && bad "ddc del of a configured DDC succeeded" ||
	ok "a configured DDC is not deleted through the API"
$C ddc del 127.0.0.1 --trsvcid "$ADM_PORT" && ok "ddc del" || bad "ddc del"
wait_for 5 "a deleted DDC's entries are withdrawn" has 3 "ideal-sub.* 0$"
kill "$IDEAL2_PID" && wait "$IDEAL2_PID" 2>/dev/null

# Kickstart (TP8010): a DDC connects, sends ICReq and KDReq naming where to pull from; the CDC
# answers KDResp with its NQN and pulls. Its ideal-sub3..6 are new, ideal-sub0..2 taken.
KS_PORT=$("$BENCH" free-port)
"$BENCH" ideal --listen 127.0.0.1:$KS_PORT --entries 7 --duration 300 >"$WORK/ideal3.log" 2>&1 &
KS_PID=$!
kick() { "$DIMTOOL" kickstart 127.0.0.1 "$CDC_PORT" "$@" 2>&1; }
# ks_ddcs SOURCE N: N DDCs at KS_PORT, with that source
ks_ddcs() {
	$C -o json ddc list | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin)["ddcs"] if x["trsvcid"] == sys.argv[1]]
sys.exit(0 if len(d) == int(sys.argv[3]) and all(x["source"] == sys.argv[2] for x in d) else 1)' \
		"$KS_PORT" "$@"
}
out=$(kick 127.0.0.1:$KS_PORT)
[ "$out" = "kdresp ksstat 0 failrsn 0 nqn nqn.2014-08.org.example:cdc:pull" ] &&
	ok "KDResp: success, with the CDC's NQN" || bad "KDResp: $out"
wait_for 10 "a kickstarting DDC is pulled" has 7 "ideal-sub.* 0$"
ks_ddcs kickstart 1 && ok "ddc list shows it with source kickstart" || { bad "ddc list after Kickstart"; $C ddc list; }
grep -q "Kickstart with 1 usable of 1 addresses, 1 entries: pulling from it" "$WORK/cdc.log" &&
	ok "the Kickstart is logged" || bad "no log line for the Kickstart"
out=$(kick ":$KS_PORT")
[ "${out%% nqn *}" = "kdresp ksstat 0 failrsn 0" ] && ks_ddcs kickstart 1 &&
	ok "an empty TRADDR is the requester's address: the same DDC" || bad "empty TRADDR: $out"
out=$(kick 100000 127.0.0.1:$KS_PORT)
[ "${out%% nqn *}" = "kdresp ksstat 1 failrsn 1" ] &&
	ok "NUMDIE over max-registrations-per-entity: Insufficient Discovery Resources" ||
	bad "NUMDIE too large: $out"
out=$(kick 192.0.2.1:notaport)
[ "${out%% nqn *}" = "kdresp ksstat 1 failrsn 2" ] && ok "no usable record: refused" || bad "bad record: $out"

# What the store holds of a DDC nobody lists after a restart goes after pull-withdraw-after.
kill "$CDC_PID" && wait "$CDC_PID" 2>/dev/null
start_cdc
wait_for 10 "after a restart the unlisted DDC's entries are still served, with NCC" \
	has 4 "ideal-sub[3-6] .* 1$"
grep -q "1 DDCs pulled from before the restart are not listed any more" "$WORK/cdc.log" &&
	ok "the restart says so" || bad "no log line for the unlisted DDC"
wait_for 10 "and withdrawn after pull-withdraw-after" has 0 "ideal-sub[3-6] "
ks_ddcs kickstart 0 && ok "then forgotten" || { bad "the unlisted DDC stays"; $C ddc list; }

# Kickstart DDCs are forgotten once withdrawn; max-kickstart-ddcs = 0 refuses Kickstart.
out=$(kick 127.0.0.1:$KS_PORT)
wait_for 10 "kickstarted again: pulled again" has 7 "ideal-sub.* 0$"
kill "$KS_PID" && wait "$KS_PID" 2>/dev/null
KS_PID=
wait_for 10 "a kickstart DDC that is gone is withdrawn" has 0 "ideal-sub[3-6] "
wait_for 5 "and forgotten" ks_ddcs kickstart 0
sed -i 's/^pull-withdraw-after = 2$/&\nmax-kickstart-ddcs = 0/' "$WORK/cdc.conf"
kill -HUP "$CDC_PID"
wait_for 5 "reloaded" grep -q "reloading" "$WORK/cdc.log"
sleep 0.5 # the reload is applied within the loop turn that logged it
out=$(kick 127.0.0.1:$KS_PORT)
[ "${out%% nqn *}" = "kdresp ksstat 1 failrsn 2" ] && ok "max-kickstart-ddcs = 0 refuses Kickstart" ||
	bad "Kickstart not refused: $out"

exit $fail
