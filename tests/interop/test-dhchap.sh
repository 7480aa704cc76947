#!/bin/sh
# Interop: DH-HMAC-CHAP between the Linux 6.12 host (in qemu) and cdcd on a discovery
# connection: the right key authenticates and reads the log, a wrong key and no key are
# refused on the unique NQN, bidirectional authentication works (and fails for a host
# expecting another controller key), and on the well-known NQN the unauthenticated host
# sees the self entries only (well-known-auth = limited). A second host NQN has its key set
# with cdcctl host set-key (kept in the store) instead of the keys file.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
here=$top_srcdir/tests/interop
. "$here/lib.sh"

VARIANT=${KH_VARIANT:-6.12}
kh_prepare "$VARIANT"
# The guest's host NQN is made of the harness's stable host ID.
HOSTID=$(cat "${KH_CACHE:-/var/tmp/kernel-host}/hostid" 2>/dev/null) || {
	echo "FAIL: no host ID in ${KH_CACHE:-/var/tmp/kernel-host}/hostid"
	exit 1
}
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:$HOSTID
PORT=$(free_port)
NQN=nqn.2014-08.org.nvmexpress:uuid:4f1d7c2a-9b3e-4c61-8d2f-5a6b7c8d9e01

# secret HMAC HEX: a DHHC-1 secret of the given bytes, CRC-32 appended little-endian.
secret() {
	python3 -c 'import base64, sys, zlib
k = bytes.fromhex(sys.argv[2])
print("DHHC-1:%02d:%s:" % (int(sys.argv[1]), base64.b64encode(k + zlib.crc32(k).to_bytes(4, "little")).decode()))' "$1" "$2"
}
KEY=$(secret 1 "$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')")
CTRL_KEY=$(secret 1 "$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')")
WRONG_KEY=$(secret 1 "$(head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n')")
STORED_KEY=$(secret 2 "$(head -c 48 /dev/urandom | od -An -v -tx1 | tr -d ' \n')")
STORED_ID=$(python3 -c 'import uuid; print(uuid.uuid4())')
STORED_NQN=nqn.2014-08.org.nvmexpress:uuid:$STORED_ID

(
	umask 077
	cat >"$WORK/keys.conf" <<KEYS
[host $HOSTNQN]
dhchap-key = $KEY
dhchap-ctrl-key = $CTRL_KEY
KEYS
)
cat >"$WORK/cdcd.conf" <<CONF
[global]
listen = 127.0.0.1:$PORT
nqn = $NQN
dhchap-keys = $WORK/keys.conf
auth-timeout = 20

[subsystem nqn.2014-08.org.example:storage1]
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.10;trsvcid=4420;portid=1
CONF
start_cdcd "$WORK/cdcd.conf"
(umask 077; echo "$STORED_KEY" >"$WORK/stored.key")
"${CDCCTL:-$top_builddir/cdcctl}" --socket "$WORK/cdcd.sock" host set-key "$STORED_NQN" \
	--key-file "$WORK/stored.key" || { echo "FAIL: cdcctl host set-key"; exit 1; }

rc=0
"$KERNEL_HOST_DIR/kh-run" --variant "$VARIANT" -t 240 -e CDC_PORT="$PORT" -e CDC_NQN="$NQN" \
	-e CDC_KEY="$KEY" -e CDC_CTRL_KEY="$CTRL_KEY" -e CDC_WRONG_KEY="$WRONG_KEY" \
	-e CDC_STORED_NQN="$STORED_NQN" -e CDC_STORED_ID="$STORED_ID" -e CDC_STORED_KEY="$STORED_KEY" \
	"$here/guest-dhchap.sh" >"$WORK/guest.log" 2>&1 || rc=$?
cat "$WORK/guest.log"
if [ "$rc" = 77 ]; then
	echo "SKIP: the $VARIANT guest has no DH-HMAC-CHAP"
	exit 77
fi
# No secret may reach the daemon's log.
for k in "$KEY" "$CTRL_KEY" "$WRONG_KEY" "$STORED_KEY"; do
	if grep -qF "$(echo "$k" | cut -d: -f3 | cut -c1-16)" "$WORK/cdcd.log"; then
		echo "CHECK FAIL: a secret appears in cdcd's log"
		rc=1
	fi
done
grep -q 'authenticated to' "$WORK/cdcd.log" || { echo "CHECK FAIL: cdcd logged no authentication"; rc=1; }
finish dhchap
