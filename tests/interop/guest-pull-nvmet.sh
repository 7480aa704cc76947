#!/bin/sh
# Runs inside the kernel-host guest. The guest's nvmet is a DDC: a subsystem ($CDC_SUB1,
# a file-backed namespace whose first block holds $CDC_MARK) on port 4420, which the host
# forwards to cdcd's [ddc] entry. cdcd pulls it; this host talks only to cdcd at
# 10.0.2.2:$CDC_PORT. Linking $CDC_SUB2 to nvmet's port must reach a persistent discovery
# controller on cdcd as its own AEN, and so must unlinking it again (nvmet notifies again
# only once its log was read with RAE clear); "nvme connect-all" through cdcd must reach
# the namespace. The host side answers the CDC_* markers through files on the 9p share.
. /usr/lib/kh/kh.sh
A=10.0.2.2; P=$CDC_PORT
fail=0
ok()  { echo "CHECK ok: $*"; }
bad() { echo "CHECK FAIL: $*"; fail=1; }
# read_reply NAME SECONDS: wait for the host side's verdict on the share and print it.
read_reply() {
  _i=0; while [ $_i -lt $(($2 * 10)) ]; do
    [ -s /mnt/host/$1 ] && { cat /mnt/host/$1; return 0; }; sleep 0.1; _i=$((_i + 1)); done
  echo "no: no verdict from the host side within $2 s"; return 1; }
naen() { grep -c "change .*/$1 .*NVME_AEN=0x70f002" /run/kh/uevents.log; }

echo "==== nvmet as the DDC: $CDC_SUB1 on port 1, 0.0.0.0:4420"
# 0.0.0.0 so that the host's forward (to the guest's 10.0.2.15) and this host's own
# 127.0.0.1 both reach it; nvmet then reports the address each connection came to.
printf '%s' "$CDC_MARK" > /tmp/ns1.img
truncate -s 16M /tmp/ns1.img
nvmet_subsys "$CDC_SUB1" file:/tmp/ns1.img || { bad "nvmet subsystem"; exit 1; }
nvmet_port 1 0.0.0.0 4420 && nvmet_link 1 "$CDC_SUB1" || { bad "nvmet port"; exit 1; }
kh_wait_listen 4420 || { bad "nvmet does not listen on 4420"; exit 1; }
echo "CDC_NVMET_READY"
kh_wait_tcp $A $P 20 || { bad "cdcd not reachable at $A:$P"; exit 2; }

echo "==== 1. the CDC pulls nvmet's subsystem"
read_reply pulled 90 > /tmp/v1
grep -q '^yes' /tmp/v1 && ok "the host side saw $CDC_SUB1 pulled into the CDC" \
  || { bad "not pulled: $(cat /tmp/v1)"; exit 1; }
nvme discover -t tcp -a $A -s $P > /tmp/log1.txt 2>&1
cat /tmp/log1.txt
grep -q "subnqn: *$CDC_SUB1" /tmp/log1.txt && ok "the CDC's log lists $CDC_SUB1" \
  || bad "the CDC's log does not list $CDC_SUB1"
grep -q "subnqn: *$CDC_SUB2" /tmp/log1.txt && bad "$CDC_SUB2 listed before it exists"

echo "==== 2. a change at nvmet reaches a persistent host of the CDC"
nvme discover -t tcp -a $A -s $P --persistent --keep-alive-tmo=5 > /dev/null 2>&1
DC=$(kh_disc_ctrl)
[ -n "$DC" ] && ok "persistent controller $DC on the CDC ($(cat /sys/class/nvme/$DC/address))" \
  || { bad "no persistent controller"; exit 1; }
nvme discover -d $DC > /dev/null 2>&1 # reading the log arms the AEN
n=$(naen $DC)
nvmet_subsys "$CDC_SUB2" || { bad "nvmet subsystem $CDC_SUB2"; exit 1; }
nvmet_link 1 "$CDC_SUB2" || { bad "nvmet_link $CDC_SUB2"; exit 1; }
echo "CDC_LINKED"
i=0; while [ "$(naen $DC)" -le "$n" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if [ "$(naen $DC)" -gt "$n" ]; then ok "NVME_AEN=0x70f002 on $DC after nvmet's change"
else bad "no AEN on $DC within 30 s of linking $CDC_SUB2 at nvmet"; fi
nvme discover -d $DC > /tmp/log2.txt 2>&1
cat /tmp/log2.txt
grep -q "subnqn: *$CDC_SUB2" /tmp/log2.txt && ok "$CDC_SUB2 listed after the AEN" \
  || bad "$CDC_SUB2 not in the CDC's log after the AEN"
read_reply repulled 30 > /tmp/v2
grep -q '^yes' /tmp/v2 && ok "the host side saw the re-pull on the same connection" \
  || bad "re-pull: $(cat /tmp/v2)"

echo "==== 2b. a second change: the CDC's reading cleared nvmet's AEN mask"
# nvmet sends no further change notice until its log is read with RAE clear.
n=$(naen $DC)
nvmet_unlink 1 "$CDC_SUB2"
echo "CDC_UNLINKED"
i=0; while [ "$(naen $DC)" -le "$n" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if [ "$(naen $DC)" -gt "$n" ]; then ok "a second NVME_AEN=0x70f002 on $DC after unlinking $CDC_SUB2"
else bad "no second AEN on $DC within 30 s of unlinking $CDC_SUB2 at nvmet"; fi
nvme discover -d $DC > /tmp/log3.txt 2>&1
grep -q "subnqn: *$CDC_SUB1" /tmp/log3.txt && ! grep -q "subnqn: *$CDC_SUB2" /tmp/log3.txt \
  && ok "$CDC_SUB2 gone, $CDC_SUB1 still listed" || { cat /tmp/log3.txt; bad "the CDC's log after the unlink"; }
read_reply unlinked 30 > /tmp/v3
grep -q '^yes' /tmp/v3 && ok "the host side saw the second re-pull" || bad "second re-pull: $(cat /tmp/v3)"
nvme disconnect -d $DC > /dev/null 2>&1 || bad "disconnect $DC"

echo "==== 3. nvme connect-all through the CDC, a block read from nvmet's namespace"
nvme connect-all -t tcp -a $A -s $P > /tmp/ca.txt 2>&1; rc=$?
cat /tmp/ca.txt
[ $rc = 0 ] && ok "connect-all rc=0" || bad "connect-all rc=$rc"
C=
for c in /sys/class/nvme/nvme*; do
  [ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$CDC_SUB1" ] && C=${c##*/}
done
if [ -n "$C" ] && [ "$(cat /sys/class/nvme/$C/state)" = live ]; then
  ok "connected to $CDC_SUB1: $C live, $(cat /sys/class/nvme/$C/address)"
else
  bad "no live controller of $CDC_SUB1 after connect-all"
fi
[ -z "$(kh_disc_ctrl)" ] || bad "discovery controller $(kh_disc_ctrl) left behind"
dev=
i=0
while [ $i -lt 100 ] && [ -z "$dev" ]; do
  for b in /sys/block/nvme*n*; do [ -e "$b" ] && [ -b "/dev/${b##*/}" ] && dev=/dev/${b##*/}; done
  [ -n "$dev" ] || { sleep 0.1; i=$((i + 1)); }
done
if [ -z "$dev" ]; then
  bad "no namespace block device appeared"
else
  got=$(dd if="$dev" bs=4096 count=1 2>/dev/null | head -c ${#CDC_MARK})
  [ "$got" = "$CDC_MARK" ] && ok "read block 0 of $dev: the marker" \
    || bad "block 0 of $dev is not the marker: '$got'"
fi
nvme disconnect-all > /dev/null 2>&1
echo "---- uevents:"; grep -E 'NVME_' /run/kh/uevents.log
exit $fail
