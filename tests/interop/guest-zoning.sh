#!/bin/sh
# Runs inside the kernel-host guest against cdcd at 10.0.2.2:$CDC_PORT with zoning on: host
# $CDC_HOST_A is zoned with $CDC_SUB_A (nvmet on 127.0.0.1:4420), host $CDC_HOST_B with
# $CDC_SUB_B (127.0.0.1:4421). The host side moves B into A's zone when this script prints
# CDC_MOVE_B and answers through the 9p share.
. /usr/lib/kh/kh.sh
A=10.0.2.2; P=$CDC_PORT
# Linux refuses one host ID for two host NQNs: each NQN has its own.
ID_A=$(cat /proc/sys/kernel/random/uuid) ID_B=$(cat /proc/sys/kernel/random/uuid)
as_a() { nvme "$@" --hostnqn="$CDC_HOST_A" --hostid="$ID_A"; }
as_b() { nvme "$@" --hostnqn="$CDC_HOST_B" --hostid="$ID_B"; }

kh_wait_tcp $A $P 20 || { echo "CHECK FAIL: cdcd not reachable at $A:$P"; exit 2; }

echo "==== the storage: two nvmet subsystems, one port each"
nvmet_subsys "$CDC_SUB_A" file:/tmp/a.img:16M && nvmet_subsys "$CDC_SUB_B" file:/tmp/b.img:16M &&
  nvmet_port 1 127.0.0.1 4420 && nvmet_link 1 "$CDC_SUB_A" &&
  nvmet_port 2 127.0.0.1 4421 && nvmet_link 2 "$CDC_SUB_B" || { bad "nvmet setup"; exit 1; }
kh_wait_listen 4420 && kh_wait_listen 4421 || { bad "nvmet does not listen"; exit 1; }

# subsystems FILE: the NVMe subsystems a discovery log in JSON lists, sorted, on one line.
subsystems() {
  awk -F'"' '/"subtype"/ { st = $4 } /"subnqn"/ { if (st == "nvme subsystem") print $4 }' "$1" |
    sort -u | tr '\n' ' '
}
# expect_subsystems LABEL FILE SUB...: the log lists exactly these subsystems.
expect_subsystems() {
  _label=$1 _file=$2; shift 2
  _want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
  _got=$(subsystems "$_file")
  [ "$_got" = "$_want" ] && ok "$_label lists: $_got" || { bad "$_label lists '$_got', not '$_want'"; cat "$_file"; }
}

echo "==== each host sees its own zone"
as_a discover -t tcp -a $A -s $P -o json > /tmp/a.json 2>&1
as_b discover -t tcp -a $A -s $P -o json > /tmp/b.json 2>&1
expect_subsystems "host A's discover" /tmp/a.json "$CDC_SUB_A"
expect_subsystems "host B's discover" /tmp/b.json "$CDC_SUB_B"

# connected SUB: the live I/O controllers of subsystem SUB and their host NQNs.
connected() {
  for _c in /sys/class/nvme/nvme*; do
    [ "$(cat "$_c/subsysnqn" 2>/dev/null)" = "$1" ] && [ "$(cat "$_c/state")" = live ] &&
      cat "$_c/hostnqn"
  done | sort | tr '\n' ' '
}
echo "==== nvme connect-all connects each host to its zone only"
as_a connect-all -t tcp -a $A -s $P > /tmp/ca-a.txt 2>&1 || { bad "connect-all as A"; cat /tmp/ca-a.txt; }
as_b connect-all -t tcp -a $A -s $P > /tmp/ca-b.txt 2>&1 || { bad "connect-all as B"; cat /tmp/ca-b.txt; }
[ "$(connected "$CDC_SUB_A")" = "$CDC_HOST_A " ] && [ "$(connected "$CDC_SUB_B")" = "$CDC_HOST_B " ] &&
  ok "connect-all: A to $CDC_SUB_A only, B to $CDC_SUB_B only" ||
  bad "connect-all: $CDC_SUB_A by '$(connected "$CDC_SUB_A")', $CDC_SUB_B by '$(connected "$CDC_SUB_B")'"
nvme disconnect -n "$CDC_SUB_A" > /dev/null 2>&1
nvme disconnect -n "$CDC_SUB_B" > /dev/null 2>&1

# disc_ctrl_of HOSTNQN: the discovery controller of that host NQN.
disc_ctrl_of() {
  for _c in /sys/class/nvme/nvme*; do
    [ "$(cat "$_c/cntrltype" 2>/dev/null)" = discovery ] && [ "$(cat "$_c/hostnqn")" = "$1" ] &&
      { basename "$_c"; return 0; }
  done
  return 1
}
echo "==== a persistent discovery controller per host"
as_a discover -t tcp -a $A -s $P --persistent --keep-alive-tmo=5 > /dev/null 2>&1
# nvme-cli takes the persistent controller of the same address for B as well, whatever the
# host NQN: B's is made through /dev/nvme-fabrics, as nvme-cli would have made it.
kh_fabrics_connect "transport=tcp,traddr=$A,trsvcid=$P,nqn=nqn.2014-08.org.nvmexpress.discovery,hostnqn=$CDC_HOST_B,hostid=$ID_B,keep_alive_tmo=5" > /dev/null
DA=$(disc_ctrl_of "$CDC_HOST_A") DB=$(disc_ctrl_of "$CDC_HOST_B")
[ -n "$DA" ] && [ -n "$DB" ] && [ "$DA" != "$DB" ] && ok "persistent controllers: A $DA, B $DB" ||
  { bad "persistent controllers: A '$DA', B '$DB'"; exit 1; }
# Reading each log (RAE clear) arms its event.
nvme discover -d "$DA" > /dev/null 2>&1
nvme discover -d "$DB" > /dev/null 2>&1

read_reply() { # wait for the host side's word on the 9p share
  _i=0; while [ $_i -lt 300 ]; do [ -s /mnt/host/$1 ] && return 0; sleep 0.1; _i=$((_i+1)); done; return 1; }

echo "==== host B joins host A's zone"
echo "CDC_MOVE_B"
read_reply moved || bad "the host side did not move B"
if kh_wait_uevent "change .*/$DB .*NVME_AEN=0x70f002" 30; then ok "B ($DB): NVME_AEN=0x70f002"
else bad "B ($DB): no AEN within 30 s of the move"; fi
nvme discover -d "$DB" -o json > /tmp/b2.json 2>&1
expect_subsystems "host B's log after the move" /tmp/b2.json "$CDC_SUB_A" "$CDC_SUB_B"
nvme discover -d "$DA" -o json > /tmp/a2.json 2>&1
expect_subsystems "host A's log after the move" /tmp/a2.json "$CDC_SUB_A"
echo "CDC_COUNT_AENS"
read_reply counted || bad "the host side did not count the AENs"
grep -qE "change .*/$DA .*NVME_AEN" /run/kh/uevents.log && bad "A ($DA) got an AEN it had no reason for" ||
  ok "A ($DA): no AEN"

nvme disconnect -d "$DA" > /dev/null 2>&1
nvme disconnect -d "$DB" > /dev/null 2>&1
echo "---- uevents:"; grep -E 'NVME_' /run/kh/uevents.log
exit $fail
