#!/bin/sh
# Interop: the real Linux host (kernel NVMe/TCP + nvme-cli, in qemu) against cdcd:
# one-shot discovery, digests, a persistent controller across keep-alive periods,
# a configuration reload that must reach the host as NVME_AEN=0x70f002, and
# nvme connect to the unique discovery NQN.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
here=$top_srcdir/tests/interop
. "$here/lib.sh"

VARIANT=${KH_VARIANT:-6.1}
kh_prepare "$VARIANT"
PORT=$(free_port)
NQN=nqn.2014-08.org.nvmexpress:uuid:0c9a5d2e-6c1b-4d55-9a0e-2f8e4c7d1b01
cat >"$WORK/cdcd.conf" <<CONF
[global]
listen = 127.0.0.1:$PORT
nqn = $NQN

[subsystem nqn.2014-08.org.example:storage1]
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.10;trsvcid=4420;portid=1
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.11;trsvcid=4420;portid=2

[referral]
entry = trtype=tcp;adrfam=ipv4;traddr=192.0.2.50;trsvcid=8009
CONF
start_cdcd "$WORK/cdcd.conf"

"$KERNEL_HOST_DIR/kh-run" --variant "$VARIANT" -t 240 -e CDC_PORT="$PORT" -e CDC_NQN="$NQN" \
	-e CDC_KATO=2 "$here/guest-discovery.sh" >"$WORK/guest.log" 2>&1 &
KH=$!
# The guest asks for the reload once its persistent controller is up.
for _ in $(seq 2400); do
	grep -q '^CDC_RELOAD_NOW' "$WORK/guest.log" 2>/dev/null && break
	kill -0 $KH 2>/dev/null || break
	sleep 0.1
done
cat >>"$WORK/cdcd.conf" <<CONF

[subsystem nqn.2014-08.org.example:storage2]
port = trtype=tcp;adrfam=ipv6;traddr=2001:db8::20;trsvcid=4420;portid=7
CONF
kill -HUP "$CDCD_PID"
wait $KH
rc=$?
cat "$WORK/guest.log"

python3 - "$WORK/guest.log" "$PORT" "$NQN" <<'PY' || rc=1
import json, sys
log, port, nqn = sys.argv[1], sys.argv[2], sys.argv[3]
blocks, cur, name = {}, None, None
for line in open(log, errors="replace"):
    line = line.rstrip("\r\n")
    if line.startswith("BEGIN_JSON "):
        name, cur = line.split()[1], []
    elif line.startswith("END_JSON ") and cur is not None:
        blocks[name], cur = "\n".join(cur), None
    elif cur is not None:
        cur.append(line)

def rec(subtype, traddr, trsvcid, subnqn, portid, adrfam="ipv4", eflags="none"):
    return dict(trtype="tcp", adrfam=adrfam, subtype=subtype, treq="not specified",
                portid=portid, trsvcid=trsvcid, subnqn=subnqn, traddr=traddr,
                eflags=eflags, sectype="none")

base = [
    rec("current discovery subsystem", "127.0.0.1", port, nqn, 0,
        eflags="explicit discovery connections, duplicate discovery information"),
    rec("nvme subsystem", "192.0.2.10", "4420", "nqn.2014-08.org.example:storage1", 1),
    rec("nvme subsystem", "192.0.2.11", "4420", "nqn.2014-08.org.example:storage1", 2),
    rec("discovery subsystem referral", "192.0.2.50", "8009",
        "nqn.2014-08.org.nvmexpress.discovery", 0),
]
added = base[:3] + [rec("nvme subsystem", "2001:db8::20", "4420",
                        "nqn.2014-08.org.example:storage2", 7, adrfam="ipv6")] + base[3:]
failed = 0
for name, want in (("plain", base), ("digest", base), ("reread", added), ("unique", added)):
    if name not in blocks:
        print("CHECK FAIL: no %s log in the guest output" % name); failed = 1; continue
    try:
        got = json.loads(blocks[name])
    except ValueError as e:
        print("CHECK FAIL: %s log is not JSON: %s" % (name, e)); failed = 1; continue
    if got.get("records") != want:
        print("CHECK FAIL: %s log differs\n got: %s\nwant: %s" % (name, got.get("records"), want))
        failed = 1
    else:
        print("CHECK ok: %s log has exactly the %d expected records" % (name, len(want)))
gen = [json.loads(blocks[n])["genctr"] for n in ("plain", "reread") if n in blocks]
if len(gen) == 2 and not gen[1] > gen[0]:
    print("CHECK FAIL: GENCTR did not move on reload: %s" % gen); failed = 1
sys.exit(failed)
PY
finish discovery
