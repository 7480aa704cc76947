#!/bin/sh
# Runs inside the kernel-host guest (Linux 6.12 NVMe/TCP host with DH-HMAC-CHAP) against cdcd
# on the host's loopback (10.0.2.2:$CDC_PORT). nvme-cli 2.x passes no DH-HMAC-CHAP secret
# for a discovery controller, so the controllers are created with a raw write to
# /dev/nvme-fabrics (kh_fabrics_connect) and their log read with nvme discover -d.
# Environment: CDC_NQN (unique NQN), CDC_KEY and CDC_CTRL_KEY (what cdcd holds for this
# host), CDC_WRONG_KEY (a valid secret cdcd does not hold); CDC_STORED_NQN, CDC_STORED_ID
# and CDC_STORED_KEY: another host whose key was set with cdcctl. Prints CHECK lines.
. /usr/lib/kh/kh.sh
A=10.0.2.2; P=$CDC_PORT
DISC=nqn.2014-08.org.nvmexpress.discovery
fail=0
ok()  { echo "CHECK ok: $*"; }
bad() { echo "CHECK FAIL: $*"; fail=1; }

kh_have_kconfig CONFIG_NVME_AUTH || { echo "SKIP: no DH-HMAC-CHAP in this kernel"; exit 77; }
kh_wait_tcp $A $P 20 || { echo "CHECK FAIL: cdcd not reachable at $A:$P"; exit 2; }
BASE="transport=tcp,traddr=$A,trsvcid=$P,keep_alive_tmo=5"
# A discovery controller behind a unique NQN (no I/O queues), as nvme-cli writes it:
# "discovery" after "nqn=", which would reset it.
UNIQUE="nqn=$CDC_NQN,discovery"

# connect NAME OPTS: a persistent controller; its name in $DC, or empty.
connect() {
  dmesg -c > /dev/null
  DC=$(kh_fabrics_connect "$2" 2>/tmp/conn.err)
  echo "  $1: ${DC:-no controller} $(cat /tmp/conn.err)"
  dmesg | grep -E 'nvme|auth' | sed 's/^/    /' | tail -6
}

log_has_storage() {
  nvme discover -d "$1" > /tmp/log.txt 2>&1 || { cat /tmp/log.txt; return 2; }
  grep -q 'nqn.2014-08.org.example:storage1' /tmp/log.txt
}

echo "==== unique NQN, the right key"
connect right "$BASE,$UNIQUE,dhchap_secret=$CDC_KEY"
if [ -n "$DC" ]; then
  dmesg | grep -q "$DC: qid 0: authenticated" && ok "$DC authenticated (DH-HMAC-CHAP)" \
    || bad "$DC connected without authenticating"
  log_has_storage "$DC" && ok "log read over the authenticated $DC has the subsystem" \
    || { bad "log over $DC"; cat /tmp/log.txt; }
  sleep 6
  [ "$(cat /sys/class/nvme/$DC/state)" = live ] && ok "$DC live after a keep-alive period" \
    || bad "$DC state $(cat /sys/class/nvme/$DC/state)"
  nvme disconnect -d "$DC" > /dev/null
else
  bad "connect with the right key failed"
fi

echo "==== unique NQN, a wrong key"
connect wrong "$BASE,$UNIQUE,dhchap_secret=$CDC_WRONG_KEY"
if [ -z "$DC" ]; then
  ok "wrong key refused"
else
  bad "wrong key accepted ($DC)"; nvme disconnect -d "$DC" > /dev/null
fi

echo "==== unique NQN, no key"
connect nokey "$BASE,$UNIQUE"
if [ -z "$DC" ]; then
  ok "no key: refused on the unique NQN"
else
  bad "no key accepted on the unique NQN ($DC)"; nvme disconnect -d "$DC" > /dev/null
fi

echo "==== bidirectional: the host checks the controller's key"
connect bidi "$BASE,$UNIQUE,dhchap_secret=$CDC_KEY,dhchap_ctrl_secret=$CDC_CTRL_KEY"
if [ -n "$DC" ]; then
  dmesg | grep -q "$DC: qid 0: controller authenticated" && ok "$DC: host authenticated the controller" \
    || bad "$DC: no controller authentication"
  log_has_storage "$DC" && ok "log read over the bidirectionally authenticated $DC" \
    || bad "log over $DC"
  nvme disconnect -d "$DC" > /dev/null
else
  bad "bidirectional connect failed"
fi

echo "==== bidirectional, the host expects another controller key"
connect bidi-wrong "$BASE,$UNIQUE,dhchap_secret=$CDC_KEY,dhchap_ctrl_secret=$CDC_WRONG_KEY"
if [ -z "$DC" ]; then
  ok "host refused a controller with another key"
else
  bad "host accepted the controller's response for another key ($DC)"; nvme disconnect -d "$DC" > /dev/null
fi

echo "==== a host whose key was set with cdcctl host set-key (kept in the store)"
STORED="hostnqn=$CDC_STORED_NQN,hostid=$CDC_STORED_ID"
connect stored "$BASE,$UNIQUE,$STORED,dhchap_secret=$CDC_STORED_KEY"
if [ -n "$DC" ]; then
  dmesg | grep -q "$DC: qid 0: authenticated" && ok "$DC authenticated with the stored key" \
    || bad "$DC connected without authenticating"
  log_has_storage "$DC" && ok "log read over $DC (stored key)" || bad "log over $DC"
  nvme disconnect -d "$DC" > /dev/null
else
  bad "connect with the stored key failed"
fi
connect stored-nokey "$BASE,$UNIQUE,$STORED"
if [ -z "$DC" ]; then
  ok "stored key: no key refused on the unique NQN"
else
  bad "stored key: no key accepted ($DC)"; nvme disconnect -d "$DC" > /dev/null
fi

echo "==== well-known NQN without a key: limited to Identify and the self entries"
connect well-known "$BASE,nqn=$DISC"
if [ -n "$DC" ]; then
  ok "unauthenticated connect to the well-known NQN ($DC)"
  nvme discover -d "$DC" > /tmp/wk.txt 2>&1; rc=$?
  grep -E 'Number of Records|subnqn' /tmp/wk.txt | sed 's/^/    /'
  [ $rc = 0 ] && ok "log read over $DC" || { bad "log read over $DC rc=$rc"; cat /tmp/wk.txt; }
  grep -q "subnqn: *$CDC_NQN" /tmp/wk.txt && ok "it sees the self entry with the unique NQN" \
    || bad "no self entry"
  grep -q 'storage1' /tmp/wk.txt && bad "an unauthenticated host saw the subsystem" \
    || ok "an unauthenticated host does not see the subsystem"
  nvme disconnect -d "$DC" > /dev/null
else
  bad "the well-known NQN refused an unauthenticated connect"
fi

echo "==== nvme-cli 2.x discover: it follows Identify to the unique NQN, sends no key there"
nvme discover -t tcp -a $A -s $P > /tmp/d.txt 2>&1; rc=$?
[ $rc != 0 ] && ! grep -q storage1 /tmp/d.txt && ok "refused at the unique NQN (rc=$rc), nothing leaked" \
  || { bad "plain discover by a host that must authenticate: rc=$rc"; cat /tmp/d.txt; }

echo "==== a host without keys is served as before"
OTHER=nqn.2014-08.org.nvmexpress:uuid:00000000-1111-2222-3333-444444444444
nvme discover -t tcp -a $A -s $P -q $OTHER > /tmp/o.txt 2>&1; rc=$?
[ $rc = 0 ] && grep -q storage1 /tmp/o.txt && ok "host without keys reads the whole log" \
  || { bad "host without keys: rc=$rc"; cat /tmp/o.txt; }
exit $fail
