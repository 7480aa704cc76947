#!/bin/sh
# Interop: "nvme connect-all" through cdcd, as the README promises. The guest's own nvmet
# exposes a subsystem with a file-backed namespace on its 127.0.0.1:4420; an administrator
# adds that subsystem and port to cdcd with cdcctl; the real Linux host runs
# "nvme connect-all" against cdcd, must end up connected to the subsystem, and reads the
# marker the guest wrote into the namespace's first block.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
here=$top_srcdir/tests/interop
. "$here/lib.sh"

VARIANT=${KH_VARIANT:-6.1}
kh_prepare "$VARIANT"
PORT=$(free_port)
IO_SUB=nqn.2014-08.org.example:connect-all-io
MARK="cdc-interop-block0-$$"
printf '[global]\nlisten = 127.0.0.1:%s\n' "$PORT" >"$WORK/cdcd.conf"
start_cdcd "$WORK/cdcd.conf"
CDCCTL="$top_builddir/cdcctl --socket $WORK/cdcd.sock"
# 127.0.0.1 as the guest sees it: the guest's own nvmet.
$CDCCTL subsys add $IO_SUB &&
	$CDCCTL port add $IO_SUB --traddr 127.0.0.1 --trsvcid 4420 --portid 1 ||
	{ echo "FAIL: cdcctl could not add the subsystem"; exit 1; }

rc=0
"$KERNEL_HOST_DIR/kh-run" --variant "$VARIANT" -t 240 -e CDC_PORT="$PORT" \
	-e CDC_IO_SUB="$IO_SUB" -e CDC_MARK="$MARK" "$(guest_script guest-connect-all.sh)" \
	>"$WORK/guest.log" 2>&1 || rc=1
cat "$WORK/guest.log"
grep -q "CHECK ok: read block 0" "$WORK/guest.log" ||
	{ echo "FAIL: the guest did not read the namespace through connect-all"; rc=1; }
finish connect-all
