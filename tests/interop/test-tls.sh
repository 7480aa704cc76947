#!/bin/sh
# Interop: NVMe/TCP TLS 1.3 with a PSK between the real Linux host (kernel 6.12, tlshd,
# nvme-cli 2.13 in qemu) and cdcd: nvme discover --tls on a TLS-only listener, a plain
# discover refused there, both on a port that allows TLS, a persistent controller over TLS
# with an AEN, a v1 identity, a wrong PSK refused, and a SHA-384 PSK (AES-256-GCM).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
here=$top_srcdir/tests/interop
. "$here/lib.sh"

VARIANT=6.12-trixie
kh_prepare "$VARIANT"
# The guest's host NQN is stable: kernel-host keeps its host ID in $KH_CACHE.
HOSTID=$(cat "${KH_CACHE:-/var/tmp/kernel-host}/hostid" 2>/dev/null) || {
	echo "FAIL: no kernel-host host ID"
	exit 1
}
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:$HOSTID
PSK=$(python3 -c 'import base64,os,struct,zlib; k=os.urandom(32); print("NVMeTLSkey-1:01:%s:" % base64.b64encode(k + struct.pack("<I", zlib.crc32(k))).decode())')
PSK384=$(python3 -c 'import base64,os,struct,zlib; k=os.urandom(48); print("NVMeTLSkey-1:02:%s:" % base64.b64encode(k + struct.pack("<I", zlib.crc32(k))).decode())')
PORT=$(free_port)
PORT_BOTH=$(free_port)
NQN=nqn.2014-08.org.nvmexpress:uuid:0c9a5d2e-6c1b-4d55-9a0e-2f8e4c7d1b13
(umask 077 && printf '# the kernel-host guest\n%s %s\n' "$HOSTNQN" "$PSK" >"$WORK/psk")
cat >"$WORK/cdcd.conf" <<CONF
[global]
listen = 127.0.0.1:$PORT;tls=required
listen = 127.0.0.1:$PORT_BOTH;tls=allowed
nqn = $NQN
tls-keys = $WORK/psk

[subsystem nqn.2014-08.org.example:storage1]
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.10;trsvcid=4420;portid=1;treq=required;sectype=tls13
CONF
start_cdcd "$WORK/cdcd.conf"

"$KERNEL_HOST_DIR/kh-run" --variant "$VARIANT" -t 240 -e CDC_PORT="$PORT" \
	-e CDC_PORT_BOTH="$PORT_BOTH" -e CDC_NQN="$NQN" -e CDC_PSK="$PSK" -e CDC_PSK384="$PSK384" \
	"$(guest_script guest-tls.sh)" >"$WORK/guest.log" 2>&1 &
KH=$!
for _ in $(seq 2400); do
	grep -q '^CDC_RELOAD_NOW' "$WORK/guest.log" 2>/dev/null && break
	kill -0 $KH 2>/dev/null || break
	sleep 0.1
done
cat >>"$WORK/cdcd.conf" <<CONF

[subsystem nqn.2014-08.org.example:storage-tls-added]
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.20;trsvcid=4420;portid=3;treq=required;sectype=tls13
CONF
kill -HUP "$CDCD_PID"
# and, later, this host's key becomes a SHA-384 one
for _ in $(seq 2400); do
	grep -q '^CDC_SWAP_KEY_NOW' "$WORK/guest.log" 2>/dev/null && break
	kill -0 $KH 2>/dev/null || break
	sleep 0.1
done
(umask 077 && printf '%s %s\n' "$HOSTNQN" "$PSK384" >"$WORK/psk")
kill -HUP "$CDCD_PID"
wait $KH
rc=$?
cat "$WORK/guest.log"
[ "$rc" = 77 ] && { echo "SKIP: $VARIANT has no TLS host"; exit 77; }

# cdcd's side: both identity versions were served, failures were logged, no key was.
for want in 'TLS up (TLSv1.3 TLS_AES_128_GCM_SHA256 NVMe0R01)' \
	'TLS up (TLSv1.3 TLS_AES_128_GCM_SHA256 NVMe1R01)' \
	'TLS handshake failed'; do
	grep -qF "$want" "$WORK/cdcd.log" && echo "CHECK ok: cdcd log: $want" ||
		{ echo "CHECK FAIL: cdcd log lacks '$want'"; rc=1; }
done
# tlshd binds every PSK with SHA-256, so a SHA-384 identity runs a SHA-256 suite (ChaCha20).
grep -qE 'TLS up \(TLSv1.3 TLS_[0-9A-Z_]+ NVMe0R02\)' "$WORK/cdcd.log" &&
	echo "CHECK ok: cdcd log: TLS up with NVMe0R02 ($(grep -o 'TLS_[0-9A-Z_]* NVMe0R02' "$WORK/cdcd.log" | head -1))" ||
	{ echo "CHECK FAIL: cdcd log lacks a NVMe0R02 session"; rc=1; }
if grep -qF -e "$(echo "$PSK" | cut -d: -f3)" -e "$(echo "$PSK384" | cut -d: -f3)" "$WORK/cdcd.log"; then
	echo "CHECK FAIL: the PSK is in cdcd's log"
	rc=1
fi
finish tls
