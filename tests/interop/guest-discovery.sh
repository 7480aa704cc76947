#!/bin/sh
# Runs inside the kernel-host guest (Linux NVMe/TCP host + nvme-cli) against cdcd on the
# host's loopback, reached as 10.0.2.2:$CDC_PORT. Prints the logs it reads between
# BEGIN_JSON/END_JSON markers for the host side to compare exactly, and CHECK lines.
. /usr/lib/kh/kh.sh
A=10.0.2.2; P=$CDC_PORT
fail=0
ok()  { echo "CHECK ok: $*"; }
bad() { echo "CHECK FAIL: $*"; fail=1; }
json() { echo "BEGIN_JSON $1"; cat "$2"; echo "END_JSON $1"; }

kh_wait_tcp $A $P 20 || { echo "CHECK FAIL: cdcd not reachable at $A:$P"; exit 2; }

echo "==== one-shot discovery"
nvme discover -t tcp -a $A -s $P -o json > /tmp/plain.json 2>/tmp/err.txt; rc=$?
[ $rc = 0 ] && ok "discover rc=0" || { bad "discover rc=$rc"; cat /tmp/err.txt; }
json plain /tmp/plain.json
[ -z "$(kh_disc_ctrl)" ] && ok "one-shot discovery left no controller" || bad "controller left behind"

echo "==== header and data digests"
nvme discover -t tcp -a $A -s $P -g -G -o json > /tmp/digest.json 2>/tmp/err.txt; rc=$?
[ $rc = 0 ] && ok "discover with -g -G rc=0" || { bad "digest discover rc=$rc"; cat /tmp/err.txt; }
json digest /tmp/digest.json

echo "==== persistent discovery controller, KATO ${CDC_KATO}s"
nvme discover -t tcp -a $A -s $P --persistent --keep-alive-tmo=$CDC_KATO -o json > /dev/null 2>&1; rc=$?
DC=$(kh_disc_ctrl)
if [ $rc != 0 ] || [ -z "$DC" ]; then
  bad "persistent discover rc=$rc dc=$DC"; exit 1
fi
ok "persistent controller $DC kato=$(cat /sys/class/nvme/$DC/kato) subsysnqn=$(cat /sys/class/nvme/$DC/subsysnqn)"
[ "$(cat /sys/class/nvme/$DC/subsysnqn)" = "$CDC_NQN" ] && ok "persistent controller uses the unique NQN" \
  || bad "persistent controller NQN $(cat /sys/class/nvme/$DC/subsysnqn)"
# The attribute must be there and say cdc: a missing one is a failure, not a pass.
dctype=$(cat /sys/class/nvme/$DC/dctype 2>/dev/null) || dctype="(no dctype attribute)"
[ "$dctype" = cdc ] && ok "dctype cdc" || bad "dctype $dctype"
# The controller's own ID tells a reconnection apart (cdcd does not reuse IDs at once);
# the uevent log is written asynchronously, so it only serves for reconnect events.
cntlid=$(cat /sys/class/nvme/$DC/cntlid)
nuev=$(wc -l < /run/kh/uevents.log)
sleep $((CDC_KATO * 4))
[ "$(cat /sys/class/nvme/$DC/state)" = live ] && ok "$DC live after $((CDC_KATO * 4))s (4 keep-alive periods)" \
  || bad "$DC state $(cat /sys/class/nvme/$DC/state) after $((CDC_KATO * 4))s"
if [ "$(cat /sys/class/nvme/$DC/cntlid)" != "$cntlid" ] ||
   tail -n +$((nuev + 1)) /run/kh/uevents.log | grep -qE "NVME_EVENT=(rediscover|connecting)"; then
  bad "$DC reconnected (cntlid $cntlid -> $(cat /sys/class/nvme/$DC/cntlid))"
else
  ok "$DC never reconnected (cntlid $cntlid)"
fi

echo "==== configuration reload -> AEN"
echo "CDC_RELOAD_NOW"
if kh_wait_uevent "change .*/$DC .*NVME_AEN=0x70f002" 30; then ok "NVME_AEN=0x70f002 on $DC"
else bad "no AEN within 30s"; fi
nvme discover -d $DC -o json > /tmp/reread.json 2>/tmp/err.txt; rc=$?
[ $rc = 0 ] && ok "re-read over $DC" || { bad "re-read rc=$rc"; cat /tmp/err.txt; }
json reread /tmp/reread.json
nvme disconnect -d $DC > /dev/null 2>&1 && ok "disconnected $DC" || bad "disconnect $DC"

echo "==== discovery through the unique NQN (nvme discover --nqn)"
nvme discover -t tcp -a $A -s $P -n "$CDC_NQN" -o json > /tmp/unique.json 2>/tmp/err.txt; rc=$?
[ $rc = 0 ] && ok "discover -n $CDC_NQN rc=0" || { bad "discover -n rc=$rc"; cat /tmp/err.txt; }
json unique /tmp/unique.json

echo "==== connect to the unique NQN as a discovery controller"
# What nvme-cli writes for a discovery controller with a unique NQN (nvme-cli 2.3's own
# "connect" has no --discovery flag, and without it the kernel insists on I/O queues).
exec 3<>/dev/nvme-fabrics
echo "nqn=$CDC_NQN,transport=tcp,traddr=$A,trsvcid=$P,hostnqn=$(cat /etc/nvme/hostnqn),hostid=$(cat /etc/nvme/hostid),discovery" >&3; rc=$?
read -r reply <&3; exec 3>&-
echo "nvme-fabrics: $reply"
C=$(kh_disc_ctrl)
if [ $rc = 0 ] && [ -n "$C" ] && [ "$(cat /sys/class/nvme/$C/state)" = live ] &&
   [ "$(cat /sys/class/nvme/$C/subsysnqn)" = "$CDC_NQN" ]; then
  ok "connected to $CDC_NQN: $C live, cntrltype $(cat /sys/class/nvme/$C/cntrltype)"
  nvme discover -d $C > /dev/null 2>&1 && ok "log read over $C" || bad "log read over $C"
  nvme disconnect -d $C > /dev/null 2>&1 || bad "disconnect $C"
else
  bad "connect to the unique NQN rc=$rc ctrl=$C"
fi
echo "---- uevents:"; grep -E 'NVME_' /run/kh/uevents.log
echo "---- kernel log:"; dmesg | grep -E 'nvme' | tail -20
exit $fail
