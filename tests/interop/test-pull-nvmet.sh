#!/bin/sh
# Interop: pull registration from the real Linux target. The guest's nvmet, forwarded to a
# host loopback port, is a [ddc] entry of cdcd, which starts first and retries until the
# guest is up. Checked: nvmet's subsystem is pulled (cdcctl, and the kernel host's
# "nvme discover" through cdcd); linking a new subsystem to nvmet's port makes nvmet send
# its AEN, cdcd re-pulls over the same connection and a persistent kernel host on cdcd gets
# its own AEN and sees the new subsystem; unlinking it again does the same (nvmet notifies
# again only once cdcd has read its log with RAE clear); "nvme connect-all" through cdcd
# reaches nvmet's namespace and reads the marker written into it. nvmet's port is bound to
# 0.0.0.0, so the entries it gives cdcd carry the address the forward arrives at, the
# guest's 10.0.2.15: the guest's own host reaches its nvmet there. Every wait is bounded.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
here=$top_srcdir/tests/interop
. "$here/lib.sh"

VARIANT=${KH_VARIANT:-6.1}
kh_prepare "$VARIANT"
PORT=$(free_port)
DDC_PORT=$(free_port) # host end of the forward to nvmet's 4420 in the guest
CDC_NQN=nqn.2014-08.org.example:cdc:interop-pull
SUB1=nqn.2014-08.org.example:pull-nvmet-io
SUB2=nqn.2014-08.org.example:pull-nvmet-added
MARK="cdc-interop-pull-block0-$$"
# A short reconnect backoff: cdcd starts long before nvmet listens. No withdrawal during
# the test: the entries must stay what the connection says.
cat >"$WORK/cdcd.conf" <<CONF
[global]
listen = 127.0.0.1:$PORT
nqn = $CDC_NQN
pull-reconnect-max = 1
pull-withdraw-after = 600

[ddc]
entry = traddr=127.0.0.1;trsvcid=$DDC_PORT
CONF
start_cdcd "$WORK/cdcd.conf"
CDCCTL="$top_builddir/cdcctl --socket $WORK/cdcd.sock"
mkdir -p "$WORK/share"

"$KERNEL_HOST_DIR/kh-run" --variant "$VARIANT" -t 240 --share "$WORK/share" \
	--hostfwd "$DDC_PORT:4420" -e CDC_PORT="$PORT" -e CDC_SUB1="$SUB1" -e CDC_SUB2="$SUB2" \
	-e CDC_MARK="$MARK" "$here/guest-pull-nvmet.sh" >"$WORK/guest.log" 2>&1 &
KH=$!
# A failing host side must not leave the guest running until its time limit.
trap '[ -n "$KH" ] && kill "$KH" 2>/dev/null; cleanup' EXIT

rc=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; rc=1; }
wait_marker() { # MARKER SECONDS
	n=$(($2 * 10))
	while [ $n -gt 0 ]; do
		grep -q "^$1" "$WORK/guest.log" 2>/dev/null && return 0
		kill -0 $KH 2>/dev/null || return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# The CDC's log as a host sees it, one entry per line: SUBNQN TRADDR TRSVCID NCC(0|1).
entries() {
	$CDCCTL -o json host log nqn.2014-08.org.example:somehost 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin)["records"]:
    print(r["subnqn"], r["traddr"], r["trsvcid"], int("no cdc connectivity" in r["eflags"]))'
}
# The DDC as cdcctl shows it: STATE PULLS ENTRIES.
ddc() {
	$CDCCTL -o json ddc list 2>/dev/null | python3 -c '
import json, sys
for d in json.load(sys.stdin)["ddcs"]:
    print(d["state"], d["pulls"], d["entries"])'
}
listed() { entries | grep -q "^$1 .* 4420 0\$"; }
not_listed() { entries >"$WORK/entries" && ! grep -q "^$1 " "$WORK/entries"; }
# wait_for SECONDS COMMAND...: polls every 0.2 s until COMMAND succeeds.
wait_for() {
	n=$(($1 * 5))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}
# reply NAME: hand the guest the verdict so far ("yes" while nothing on this side failed).
reply() {
	if [ "$rc" = 0 ]; then echo yes >"$WORK/share/$1"; else echo "no: see the host side" >"$WORK/share/$1"; fi
}
connections() { grep -c "pull: connected to DDC 127.0.0.1:$DDC_PORT " "$WORK/cdcd.log"; }

# 1. The first pull, once the guest's nvmet listens (boot and kh-build included).
if wait_marker CDC_NVMET_READY 150; then
	if wait_for 30 listed "$SUB1"; then
		ok "nvmet's $SUB1 pulled: $(entries | grep "^$SUB1 ")"
	else
		bad "$SUB1 not pulled within 30 s of nvmet listening"
	fi
	[ "$(connections)" = 1 ] && ok "cdcd logged 'pull: connected to DDC 127.0.0.1:$DDC_PORT' once" ||
		bad "cdcd connected to the DDC $(connections) times"
	d=$(ddc)
	echo "ddc list: $d"
	case "$d" in "connected "[1-9]*) ok "ddc list: connected" ;;
	*) bad "ddc list: '$d', not connected" ;; esac
	entries | grep -q "nqn.2014-08.org.nvmexpress.discovery" &&
		bad "nvmet's own discovery entry was re-exported"
	PULLS1=$(ddc | cut -d' ' -f2)
	reply pulled
else
	bad "the guest's nvmet never became ready"
fi

# 2. nvmet's change: its AEN makes cdcd read again, on the same connection.
if wait_marker CDC_LINKED 60; then
	if wait_for 30 listed "$SUB2"; then ok "$SUB2 pulled after nvmet's change"; else bad "$SUB2 not pulled within 30 s"; fi
	[ "$(ddc | cut -d' ' -f2)" -gt "${PULLS1:-0}" ] 2>/dev/null && ok "a re-pull: $(ddc)" ||
		bad "no re-pull counted: $(ddc)"
	[ "$(connections)" = 1 ] && ! grep -q "pull: lost DDC" "$WORK/cdcd.log" &&
		ok "re-pulled without losing the connection" ||
		bad "cdcd lost or reconnected to the DDC ($(connections) connections)"
	PULLS2=$(ddc | cut -d' ' -f2)
	reply repulled
else
	bad "the guest never linked $SUB2"
fi

# 2b. A second change: nvmet notifies again only because cdcd's reading cleared its mask.
if wait_marker CDC_UNLINKED 60; then
	if wait_for 30 not_listed "$SUB2"; then ok "$SUB2 gone after nvmet's second change"; else bad "$SUB2 still listed after 30 s"; fi
	[ "$(ddc | cut -d' ' -f2)" -gt "${PULLS2:-0}" ] 2>/dev/null && ok "another re-pull: $(ddc)" ||
		bad "no second re-pull counted: $(ddc)"
	listed "$SUB1" && ok "$SUB1 stays" || bad "$SUB1 lost with the second change"
	[ "$(connections)" = 1 ] && ! grep -q "pull: lost DDC" "$WORK/cdcd.log" ||
		bad "cdcd lost or reconnected to the DDC ($(connections) connections)"
	reply unlinked
else
	bad "the guest never unlinked $SUB2"
fi

wait $KH || rc=1
KH=
cat "$WORK/guest.log"
grep -q "CHECK ok: read block 0" "$WORK/guest.log" ||
	bad "the guest did not read nvmet's namespace through connect-all"
finish pull-nvmet
