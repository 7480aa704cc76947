#!/bin/sh
# Runs inside the kernel-host guest against cdcd at 10.0.2.2:$CDC_PORT: a persistent
# discovery controller must hear (NVME_AEN=0x70f002) when a DDC registers a subsystem with
# DIM, and nvme-cli's own "nvme dim" must register and deregister this host. The host side
# acts on the CDC_* markers this script prints and reports back through the log it reads.
. /usr/lib/kh/kh.sh
A=10.0.2.2; P=$CDC_PORT
fail=0
ok()  { echo "CHECK ok: $*"; }
bad() { echo "CHECK FAIL: $*"; fail=1; }

kh_wait_tcp $A $P 20 || { echo "CHECK FAIL: cdcd not reachable at $A:$P"; exit 2; }
echo "GUEST_HOSTNQN=$(cat /etc/nvme/hostnqn)"

echo "==== the administrator's subsystem, added with cdcctl before the host came"
nvme discover -t tcp -a $A -s $P -o json > /tmp/admin.json 2>&1
cat /tmp/admin.json
n=$(grep -c "\"subnqn\":\"$CDC_ADMIN_SUB\"" /tmp/admin.json)
grep -q '"traddr":"192.0.2.91"' /tmp/admin.json && grep -q '"traddr":"192.0.2.92"' /tmp/admin.json \
  && [ "$n" = 2 ] && ok "both paths of $CDC_ADMIN_SUB discovered" || bad "admin subsystem: $n paths"

nvme discover -t tcp -a $A -s $P --persistent --keep-alive-tmo=5 > /dev/null 2>&1
DC=$(kh_disc_ctrl)
[ -n "$DC" ] && ok "persistent controller $DC" || { bad "no persistent controller"; exit 1; }
nvme discover -d $DC > /dev/null 2>&1 # reading the log arms the AEN

echo "CDC_DDC_REGISTER"
if kh_wait_uevent "change .*/$DC .*NVME_AEN=0x70f002" 30; then ok "NVME_AEN=0x70f002 after the DDC registered"
else bad "no AEN within 30s of the DDC registration"; fi
nvme discover -d $DC -o json > /tmp/after.json 2>&1
cat /tmp/after.json
grep -q "\"subnqn\":\"$CDC_SUB\"" /tmp/after.json && grep -q '"traddr":"192.0.2.77"' /tmp/after.json \
  && ok "registered subsystem listed" || bad "registered subsystem not in the log"

echo "==== nvme dim register"
nvme dim -d $DC -t register > /tmp/dim.txt 2>&1; rc=$?
cat /tmp/dim.txt
# nvme dim exits 0 even when the command failed: judge its words.
[ $rc = 0 ] && grep -q 'register command success' /tmp/dim.txt \
  && ok "nvme dim register reported success" || bad "nvme dim register: rc=$rc"
echo "CDC_CHECK_REGISTERED"
read_reply() { # wait for the host side's verdict line on the 9p share
  _i=0; while [ $_i -lt 300 ]; do [ -s /mnt/host/$1 ] && { cat /mnt/host/$1; return 0; }; sleep 0.1; _i=$((_i+1)); done; return 1; }
read_reply registered > /tmp/v1 || echo "no verdict from the host side"
grep -q '^yes' /tmp/v1 && ok "host registration visible in log 71h" || bad "host not in log 71h: $(cat /tmp/v1)"

echo "==== nvme dim deregister"
nvme dim -d $DC -t deregister > /tmp/dim.txt 2>&1; rc=$?
cat /tmp/dim.txt
[ $rc = 0 ] && grep -q 'deregister command success' /tmp/dim.txt \
  && ok "nvme dim deregister reported success" || bad "nvme dim deregister: rc=$rc"
echo "CDC_CHECK_DEREGISTERED"
read_reply deregistered > /tmp/v2 || echo "no verdict from the host side"
grep -q '^yes' /tmp/v2 && ok "host registration gone from log 71h" || bad "host still in log 71h: $(cat /tmp/v2)"

nvme disconnect -d $DC > /dev/null 2>&1
echo "---- uevents:"; grep -E 'NVME_' /run/kh/uevents.log
exit $fail
