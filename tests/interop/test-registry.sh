#!/bin/sh
# Interop: registrations seen by the real Linux host. An administrator adds a subsystem with
# two ports with cdcctl and the host discovers both paths. A DDC (dimtool) registers a
# subsystem with DIM while the kernel host keeps a persistent discovery controller; the host
# must get NVME_AEN=0x70f002 and see the subsystem. Then nvme-cli's "nvme dim" registers and
# deregisters the host itself, which log 71h must show.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
here=$top_srcdir/tests/interop
. "$here/lib.sh"
DIMTOOL=$top_builddir/tests/interop/dimtool

VARIANT=${KH_VARIANT:-6.1}
kh_prepare "$VARIANT"
PORT=$(free_port)
SUB=nqn.2014-08.org.example:registered1
printf '[global]\nlisten = 127.0.0.1:%s\n' "$PORT" >"$WORK/cdcd.conf"
start_cdcd "$WORK/cdcd.conf"
mkdir -p "$WORK/share"
# The administrator's way: a subsystem with two ports through the control API.
ADMIN_SUB=nqn.2014-08.org.example:admin-interop
CDCCTL="$top_builddir/cdcctl --socket $WORK/cdcd.sock"
$CDCCTL subsys add $ADMIN_SUB &&
	$CDCCTL port add $ADMIN_SUB --traddr 192.0.2.91 --trsvcid 4420 --portid 1 &&
	$CDCCTL port add $ADMIN_SUB --traddr 192.0.2.92 --trsvcid 4420 --portid 2 ||
	{ echo "FAIL: cdcctl could not add the subsystem"; exit 1; }

"$KERNEL_HOST_DIR/kh-run" --variant "$VARIANT" -t 240 --share "$WORK/share" \
	-e CDC_PORT="$PORT" -e CDC_SUB="$SUB" -e CDC_ADMIN_SUB="$ADMIN_SUB" "$here/guest-registry.sh" >"$WORK/guest.log" 2>&1 &
KH=$!

wait_marker() {
	for _ in $(seq 1200); do
		grep -q "^$1" "$WORK/guest.log" 2>/dev/null && return 0
		kill -0 $KH 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
guest_hostnqn() { sed -n 's/^GUEST_HOSTNQN=//p' "$WORK/guest.log" | tr -d '\r' | head -1; }
# verdict FILE: "yes" when the guest's host NQN is (want=1) or is not (want=0) in log 71h
# A log 71h that could not be read is no verdict at all: "no", and the test fails.
verdict() {
	if ! "$DIMTOOL" hostlog 127.0.0.1 "$PORT" >"$WORK/hostlog.txt" 2>&1; then
		cat "$WORK/hostlog.txt"
		echo "FAIL: dimtool could not read log 71h for the $1 check"
		echo "no: log 71h not read: $(cat "$WORK/hostlog.txt")" >"$WORK/share/$1"
		rc=1
		return
	fi
	cat "$WORK/hostlog.txt"
	if [ -z "$(guest_hostnqn)" ]; then
		echo "FAIL: the guest did not say its host NQN"
		echo "no: no host NQN from the guest" >"$WORK/share/$1"
		rc=1
		return
	fi
	if grep -q "^host $(guest_hostnqn) " "$WORK/hostlog.txt"; then found=1; else found=0; fi
	if [ $found = "$2" ]; then echo yes >"$WORK/share/$1"; else echo "no: $(cat "$WORK/hostlog.txt")" >"$WORK/share/$1"; fi
}

rc=0
if wait_marker CDC_DDC_REGISTER; then
	"$DIMTOOL" register 127.0.0.1 "$PORT" nqn.2014-08.org.example:ddc-interop "$SUB" \
		192.0.2.77 4420 || rc=1
fi
wait_marker CDC_CHECK_REGISTERED && verdict registered 1
# The DIM itself, not only the implicit registration of the connection, must be there.
grep -q "DIM register from $(guest_hostnqn)" "$WORK/cdcd.log" ||
	{ echo "FAIL: cdcd did not log the host's DIM register"; rc=1; }
wait_marker CDC_CHECK_DEREGISTERED && verdict deregistered 0
wait $KH || rc=1
cat "$WORK/guest.log"
finish registrations
