#!/bin/sh
# Runs inside the kernel-host guest (6.12-trixie: kernel NVMe/TCP TLS, tlshd, nvme-cli 2.13)
# against cdcd on the host's loopback: $CDC_PORT takes TLS only, $CDC_PORT_BOTH plain and TLS.
# The configured PSK $CDC_PSK is cdcd's key for this guest's host NQN.
. /usr/lib/kh/kh.sh
A=10.0.2.2; P=$CDC_PORT; PB=$CDC_PORT_BOTH
DISC=nqn.2014-08.org.nvmexpress.discovery
HN=$(cat /etc/nvme/hostnqn)

if ! nvme connect --help 2>&1 | grep -q -- '--tls ' || [ ! -x /usr/sbin/tlshd ]; then
  echo "SKIP: no TLS host here (needs --variant 6.12-trixie)"; exit 77
fi
echo "==== host $HN, $(nvme version | head -1)"
psk_serials() { grep -F " psk " /proc/keys | grep -F "$1" | awk '{print $1}'; }
# What an administrator does: the configured PSK into the .nvme keyring, derived for the
# well-known NQN (one-shot discovery) and the unique one (the persistent controller).
for sub in $DISC $CDC_NQN; do
  nvme check-tls-key --keydata="$CDC_PSK" --hostnqn="$HN" --subsysnqn=$sub --insert > /tmp/k.txt 2>&1 \
    && ok "PSK inserted for $sub: $(cat /tmp/k.txt)" || { bad "check-tls-key --insert $sub"; cat /tmp/k.txt; }
done
kh_wait_tcp $A $PB 20 || { echo "CHECK FAIL: cdcd not reachable at $A:$PB"; exit 2; }

echo "==== nvme discover --tls on the TLS-only port"
nvme discover -t tcp -a $A -s $P --tls > /tmp/d1.txt 2>&1; rc=$?; cat /tmp/d1.txt
[ $rc = 0 ] && grep -q 'Discovery Log Number of Records' /tmp/d1.txt && ok "discover --tls" || bad "discover --tls rc=$rc"
grep -q 'sectype: *tls13' /tmp/d1.txt && grep -q 'treq: *required' /tmp/d1.txt \
  && ok "the TLS port's entry says treq required, sectype tls13" || bad "no tls13/required entry"
grep 'Session description' /run/kh/tlshd.log | tail -1 | sed 's/^/  tlshd: /'

echo "==== nvme discover without --tls on the TLS-only port (must fail)"
nvme discover -t tcp -a $A -s $P > /tmp/d2.txt 2>&1; rc=$?
[ $rc != 0 ] && ok "plain discover refused (rc=$rc: $(head -1 /tmp/d2.txt))" || bad "plain discover on a TLS-only port worked"

echo "==== both on one port"
nvme discover -t tcp -a $A -s $PB > /tmp/d3.txt 2>&1 && grep -q 'Discovery Log Number' /tmp/d3.txt \
  && ok "plain discover on the port that allows TLS" || { bad "plain discover on $PB"; cat /tmp/d3.txt; }
nvme discover -t tcp -a $A -s $PB --tls > /tmp/d4.txt 2>&1 && grep -q 'Discovery Log Number' /tmp/d4.txt \
  && ok "discover --tls on the port that allows TLS" || { bad "discover --tls on $PB"; cat /tmp/d4.txt; }

echo "==== persistent discovery controller over TLS, AEN"
nvme discover -t tcp -a $A -s $P --tls -p > /tmp/d5.txt 2>&1; rc=$?
DC=$(kh_disc_ctrl)
if [ $rc = 0 ] && [ -n "$DC" ]; then
  TK=$(cat /sys/class/nvme/$DC/tls_key 2>/dev/null)
  ok "persistent $DC over TLS: state=$(cat /sys/class/nvme/$DC/state) subsysnqn=$(cat /sys/class/nvme/$DC/subsysnqn) tls_key=$TK"
  [ -n "$TK" ] && [ "$TK" != none ] || bad "$DC has no tls_key"
  echo "CDC_RELOAD_NOW"
  kh_wait_uevent "change .*/$DC .*NVME_AEN=0x70f002" 30 && ok "discovery-log-change AEN over TLS on $DC" || bad "no AEN over TLS"
  nvme discover -d $DC > /tmp/d6.txt 2>&1 && grep -q 'storage-tls-added' /tmp/d6.txt \
    && ok "log re-read over the TLS controller lists the new subsystem" || { bad "re-read over $DC"; cat /tmp/d6.txt; }
  sleep 3
  [ "$(cat /sys/class/nvme/$DC/state)" = live ] && ok "$DC still live after 3 s" || bad "$DC state $(cat /sys/class/nvme/$DC/state)"
  nvme disconnect -d $DC > /dev/null 2>&1 && ok "disconnected $DC" || bad "disconnect $DC"
else bad "persistent discover --tls rc=$rc DC=$DC"; cat /tmp/d5.txt; fi

echo "==== identity version 1 (the kernel prefers it when present)"
nvme check-tls-key --keydata="$CDC_PSK" --hostnqn="$HN" --subsysnqn=$DISC --identity=1 --insert > /tmp/k.txt 2>&1 \
  && ok "v1 PSK inserted: $(cat /tmp/k.txt)" || { bad "check-tls-key --identity=1"; cat /tmp/k.txt; }
nvme discover -t tcp -a $A -s $P --tls > /tmp/d7.txt 2>&1 && grep -q 'Discovery Log Number' /tmp/d7.txt \
  && ok "discover --tls with a v1 identity" || { bad "discover --tls (v1)"; cat /tmp/d7.txt; }
grep -F 'Using psk identity' /run/kh/tlshd.log | tail -1 | sed 's/^/  tlshd: /'

echo "==== a wrong PSK (must fail)"
for s in $(psk_serials "$DISC"); do keyctl unlink $((0x$s)) %:.nvme > /dev/null 2>&1; done
nvme check-tls-key --keydata="$(kh_gen_tls_psk 1)" --hostnqn="$HN" --subsysnqn=$DISC --insert > /dev/null 2>&1
nvme discover -t tcp -a $A -s $P --tls > /tmp/d8.txt 2>&1; rc=$?
[ $rc != 0 ] && ok "discover --tls with a wrong PSK refused (rc=$rc: $(head -1 /tmp/d8.txt))" || bad "a wrong PSK was accepted"
[ -z "$(kh_disc_ctrl)" ] || bad "a controller was left behind"
echo "==== a SHA-384 PSK (cdcd's key for this host is swapped meanwhile)"
# nvme discover also connects to the unique NQN its log names: both NQNs get the new key
for s in $(psk_serials "$DISC") $(psk_serials "$CDC_NQN"); do keyctl unlink $((0x$s)) %:.nvme > /dev/null 2>&1; done
echo "CDC_SWAP_KEY_NOW"
sleep 3
for sub in $DISC $CDC_NQN; do
  nvme check-tls-key --keydata="$CDC_PSK384" --hostnqn="$HN" --subsysnqn=$sub --insert > /tmp/k.txt 2>&1 \
    && ok "SHA-384 PSK inserted for $sub: $(cat /tmp/k.txt)" || { bad "check-tls-key SHA-384"; cat /tmp/k.txt; }
done
nvme discover -t tcp -a $A -s $P --tls > /tmp/d9.txt 2>&1 && grep -q 'Discovery Log Number' /tmp/d9.txt \
  && ok "discover --tls with a SHA-384 PSK" || { bad "discover --tls (SHA-384)"; cat /tmp/d9.txt; }
grep 'Session description' /run/kh/tlshd.log | tail -1 | sed 's/^/  tlshd: /'
grep -F "Using psk identity NVMe0R02 $HN $DISC" /run/kh/tlshd.log > /dev/null \
  && ok "tlshd presented the SHA-384 identity" || bad "no NVMe0R02 identity in tlshd's log"
echo "---- tlshd: $(grep -c 'was successful' /run/kh/tlshd.log) successful, $(grep -c 'failed' /run/kh/tlshd.log) failed handshakes"
dmesg | grep -iE 'nvme|tls' | tail -8
exit $fail
