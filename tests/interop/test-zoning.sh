#!/bin/sh
# Interop: fabric zoning seen by the real Linux host, with two host NQNs in one guest. Host A
# is zoned with subsystem A and host B with subsystem B, both real nvmet subsystems in the
# guest. Each host's "nvme discover" lists its own subsystem only, and "nvme connect-all"
# connects each to its own only. Then B joins A's zone: B's persistent discovery controller
# gets NVME_AEN=0x70f002 and its log lists subsystem A too; A's gets nothing, which cdcd's
# own count of AENs sent (exactly one) confirms.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
here=$top_srcdir/tests/interop
. "$here/lib.sh"

VARIANT=${KH_VARIANT:-6.1}
kh_prepare "$VARIANT"
PORT=$(free_port)
EX=nqn.2014-08.org.example
SUB_A=$EX:zoned-sub-a SUB_B=$EX:zoned-sub-b HOST_A=$EX:zoned-host-a HOST_B=$EX:zoned-host-b
printf '[global]\nlisten = 127.0.0.1:%s\nzoning = yes\nzoning-policy = deny\n' "$PORT" \
	>"$WORK/cdcd.conf"
start_cdcd "$WORK/cdcd.conf"
mkdir -p "$WORK/share"
CDCCTL="$top_builddir/cdcctl --socket $WORK/cdcd.sock"
# 127.0.0.1 as the guest sees it: the guest's own nvmet, one port per subsystem.
{ $CDCCTL subsys add $SUB_A &&
	$CDCCTL port add $SUB_A --traddr 127.0.0.1 --trsvcid 4420 --portid 1 &&
	$CDCCTL subsys add $SUB_B &&
	$CDCCTL port add $SUB_B --traddr 127.0.0.1 --trsvcid 4421 --portid 2 &&
	$CDCCTL zonegroup create interop &&
	$CDCCTL zone create interop za &&
	$CDCCTL zone create interop zb &&
	$CDCCTL zone add-member interop za --role host --nqn $HOST_A &&
	$CDCCTL zone add-member interop za --role subsystem --nqn $SUB_A &&
	$CDCCTL zone add-member interop zb --role host --nqn $HOST_B &&
	$CDCCTL zone add-member interop zb --role subsystem --nqn $SUB_B &&
	$CDCCTL zonegroup activate interop; } >"$WORK/cdcctl.log" 2>&1 ||
	{ cat "$WORK/cdcctl.log"; echo "FAIL: cdcctl could not set up the zones"; exit 1; }

aens_sent() {
	curl -s --unix-socket "$WORK/cdcd.sock" http://cdcd/metrics |
		awk '$1 == "cdcd_aens_sent_total{type=\"discovery_log_change\"}" { print $2 }'
}

"$KERNEL_HOST_DIR/kh-run" --variant "$VARIANT" -t 300 --share "$WORK/share" \
	-e CDC_PORT="$PORT" -e CDC_SUB_A="$SUB_A" -e CDC_SUB_B="$SUB_B" -e CDC_HOST_A="$HOST_A" \
	-e CDC_HOST_B="$HOST_B" "$(guest_script guest-zoning.sh)" >"$WORK/guest.log" 2>&1 &
KH=$!

wait_marker() {
	for _ in $(seq 2400); do
		grep -q "^$1" "$WORK/guest.log" 2>/dev/null && return 0
		kill -0 $KH 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

rc=0
if wait_marker CDC_MOVE_B; then
	before=$(aens_sent)
	{ $CDCCTL zone add-member interop za --role host --nqn $HOST_B &&
		$CDCCTL zonegroup activate interop; } >>"$WORK/cdcctl.log" 2>&1 ||
		{ cat "$WORK/cdcctl.log"; echo "FAIL: cdcctl could not move host B"; rc=1; }
	echo moved >"$WORK/share/moved"
	if wait_marker CDC_COUNT_AENS; then
		after=$(aens_sent)
		echo "AENs sent: $before before the move, $after after"
		[ -n "$before" ] && [ "$after" = $((before + 1)) ] ||
			{ echo "FAIL: the move sent $before -> $after AENs, not exactly one"; rc=1; }
	else
		echo "FAIL: the guest did not get as far as counting the AENs"
		rc=1
	fi
	echo counted >"$WORK/share/counted"
else
	echo "FAIL: the guest did not ask for host B to be moved"
	rc=1
fi
wait $KH || rc=1
cat "$WORK/guest.log"
finish zoning
