#!/bin/sh
# Runs inside the kernel-host guest against cdcd at 10.0.2.2:$CDC_PORT. The guest's own
# nvmet serves a real subsystem ($CDC_IO_SUB, a file-backed namespace whose first block
# holds $CDC_MARK) on 127.0.0.1:4420, which the CDC lists. "nvme connect-all" against the
# CDC must connect to it, and a block read from its namespace must return the marker.
. /usr/lib/kh/kh.sh
A=10.0.2.2; P=$CDC_PORT

kh_wait_tcp $A $P 20 || { echo "CHECK FAIL: cdcd not reachable at $A:$P"; exit 2; }

echo "==== the storage: nvmet with a file-backed namespace on 127.0.0.1:4420"
printf '%s' "$CDC_MARK" > /tmp/ns.img
truncate -s 16M /tmp/ns.img
nvmet_subsys "$CDC_IO_SUB" file:/tmp/ns.img || { bad "nvmet subsystem"; exit 1; }
nvmet_port 1 127.0.0.1 4420 && nvmet_link 1 "$CDC_IO_SUB" || { bad "nvmet port"; exit 1; }
kh_wait_listen 4420 || { bad "nvmet does not listen on 4420"; exit 1; }
[ -z "$(ls /sys/block | grep '^nvme')" ] || bad "a namespace before connect-all"

echo "==== nvme connect-all through the CDC"
nvme discover -t tcp -a $A -s $P > /tmp/log.txt 2>&1
cat /tmp/log.txt
grep -q "subnqn: *$CDC_IO_SUB" /tmp/log.txt && ok "the CDC lists $CDC_IO_SUB" \
  || bad "the CDC does not list $CDC_IO_SUB"
nvme connect-all -t tcp -a $A -s $P > /tmp/ca.txt 2>&1; rc=$?
cat /tmp/ca.txt
[ $rc = 0 ] && ok "connect-all rc=0" || bad "connect-all rc=$rc"

C=
for c in /sys/class/nvme/nvme*; do
  [ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$CDC_IO_SUB" ] && C=${c##*/}
done
if [ -n "$C" ] && [ "$(cat /sys/class/nvme/$C/state)" = live ]; then
  ok "connected to $CDC_IO_SUB: $C live, transport $(cat /sys/class/nvme/$C/transport), $(cat /sys/class/nvme/$C/address)"
else
  bad "no live controller of $CDC_IO_SUB after connect-all"
fi
[ -z "$(kh_disc_ctrl)" ] && ok "connect-all left no discovery controller" \
  || bad "discovery controller $(kh_disc_ctrl) left behind"

echo "==== a block read from the namespace"
read_marker "$CDC_MARK"
nvme disconnect -n "$CDC_IO_SUB" > /dev/null 2>&1 && ok "disconnected" || bad "disconnect $CDC_IO_SUB"
exit $fail
