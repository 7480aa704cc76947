#!/bin/sh
# cdcctl against a real cdcd: every subcommand in both output formats, the exit codes
# scripts rely on, a change made with it reaching the discovery log, DH-HMAC-CHAP keys set
# and cleared without the secret showing anywhere, and watch following changes as they are
# made until it is stopped or cdcd goes away.
set -u
: "${top_builddir:=.}"
CDCD=${CDCD:-$top_builddir/cdcd}
CDCCTL_BIN=${CDCCTL:-$top_builddir/cdcctl}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdcctl-test.XXXXXX")
PID=
WPID=
fail=0
cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

K1='DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:'
K2='DHHC-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:'
FILEHOST=nqn.2014-08.org.example:filehost
(
	umask 077
	printf '[host %s]\ndhchap-key = %s\n' "$FILEHOST" "$K2" >"$WORK/keys.conf"
	echo "$K1" >"$WORK/host.key"
	echo "$K2" >"$WORK/ctrl.key"
)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/cdcd.conf" <<CONF
[global]
listen = 127.0.0.1:$PORT
nqn = nqn.2014-08.org.example:cdc:cli
control-socket = $WORK/cdcd.sock
dhchap-keys = $WORK/keys.conf

[subsystem nqn.2014-08.org.example:configured]
port = trtype=tcp;traddr=192.0.2.10;trsvcid=4420
CONF
"$CDCD" -f -c "$WORK/cdcd.conf" --state-dir "$WORK/state" >"$WORK/cdcd.log" 2>&1 &
PID=$!
for _ in $(seq 50); do [ -S "$WORK/cdcd.sock" ] && break; sleep 0.1; done
C="$CDCCTL_BIN --socket $WORK/cdcd.sock"
S=nqn.2014-08.org.example:cli1

# run EXPECTED_RC DESCRIPTION COMMAND...: output in $WORK/out, errors in $WORK/err
run() {
	want=$1 what=$2
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc = "$want" ] && ok "$what (exit $rc)" || { bad "$what: exit $rc, wanted $want"; cat "$WORK/err"; }
}
has() { grep -q -- "$1" "$WORK/out" && ok "$2" || { bad "$2"; cat "$WORK/out"; }; }
json() { python3 -c 'import json,sys; json.load(sys.stdin)' <"$WORK/out" && ok "$1 is JSON" || bad "$1 is not JSON"; }

run 0 "status" $C status
has "nqn.2014-08.org.example:cdc:cli" "status names the CDC"
run 0 "status -o json" $C -o json status
json "status"
run 0 "subsys add" $C subsys add $S
run 0 "port add" $C port add $S --traddr 192.0.2.91 --trsvcid 4420 --portid 1
run 0 "port add ipv6" $C port add $S --traddr 2001:db8::92 --portid 2
run 0 "subsys list" $C subsys list
has "$S" "subsys list shows the new subsystem"
has "192.0.2.91" "subsys list shows its first port"
run 0 "subsys list -o json" $C subsys list -o json
json "subsys list"
python3 - "$WORK/out" "$S" <<'PY' && ok "json lists two ports" || bad "json port count"
import json, sys
subs = json.load(open(sys.argv[1]))["subsystems"]
sys.exit(0 if [len(s["ports"]) for s in subs if s["nqn"] == sys.argv[2]] == [2] else 1)
PY
run 0 "subsys show" $C subsys show $S
has "2001:db8::92" "subsys show lists the IPv6 port"
run 0 "referral add" $C referral add --traddr 192.0.2.50
run 0 "referral list" $C referral list
has "192.0.2.50" "referral listed"
run 0 "referral list -o json" $C -o json referral list
json "referral list"
run 0 "host list" $C host list
run 0 "host list -o json" $C host list -o json
json "host list"
run 0 "host log" $C host log nqn.2014-08.org.example:somehost
has "$S" "host log carries the new subsystem"
has "Discovery Log Number of Records 5" "host log counts self, 3 ports, 1 referral"
run 0 "host log -o json" $C -o json host log nqn.2014-08.org.example:somehost
json "host log"
run 0 "connection list" $C connection list
run 0 "connection list -o json" $C -o json connection list
json "connection list"
run 0 "changes" $C changes
has "port add" "changes journal the port"
run 0 "changes -o json" $C -o json changes --since 1 --limit 2
json "changes"
run 0 "port del" $C port del $S --traddr 192.0.2.91 --trsvcid 4420
run 0 "referral del" $C referral del --traddr 192.0.2.50
run 0 "subsys del" $C subsys del $S

# Zoning: groups, zones, members and aliases made with cdcctl; once zoning is on, host log
# shows each host the zoned log the wire serves it.
Z=nqn.2014-08.org.example:zoned-host
A=nqn.2014-08.org.example:configured
run 0 "zonegroup create" $C zonegroup create g1
run 0 "zone create" $C zone create g1 z1
run 0 "zone add-member host" $C zone add-member g1 z1 --role host --nqn $Z
run 0 "alias create" $C alias create arrays
run 0 "alias add-member" $C alias add-member arrays --role subsystem --nqn $A
run 0 "zone add-member alias" $C zone add-member g1 z1 --alias arrays
run 0 "zone add-member by address" $C zone add-member g1 z1 --type ip-port --role subsystem \
	--traddr 192.0.2.77 --trsvcid 4420
run 0 "zone del-member" $C zone del-member g1 z1 --type ip-port --role subsystem \
	--traddr 192.0.2.77 --trsvcid 4420
run 2 "member without a role" $C zone add-member g1 z1 --nqn $Z
run 1 "member of a zone that is not there" $C zone add-member g1 nozone --role host --nqn $Z
run 0 "zonegroup activate" $C zonegroup activate g1
run 0 "zonegroup list" $C zonegroup list
has "g1" "zonegroup list shows the group"
run 0 "zonegroup list -o json" $C -o json zonegroup list
json "zonegroup list"
run 0 "zonegroup show" $C zonegroup show g1
has "alias arrays" "zonegroup show lists the alias member"
run 0 "zone list" $C zone list
has "z1" "zone list shows the zone"
run 0 "zone show" $C zone show g1 z1
has "$Z" "zone show lists the host member"
run 0 "zone show -o json" $C -o json zone show g1 z1
json "zone show"
run 0 "alias list" $C alias list
has "arrays" "alias list shows the alias"
run 0 "alias show -o json" $C -o json alias show arrays
json "alias show"
has "$A" "alias show lists its member"
sed -i 's/^\[global\]$/[global]\nzoning = yes/' "$WORK/cdcd.conf"
reloads=$(grep -c "configuration reloaded" "$WORK/cdcd.log")
kill -HUP "$PID"
for _ in $(seq 50); do
	[ "$(grep -c "configuration reloaded" "$WORK/cdcd.log")" -gt "$reloads" ] && break
	sleep 0.1
done
run 0 "host log, zoned" $C host log $Z
has "$A" "a zoned host's log carries its zone's subsystem"
has "Discovery Log Number of Records 2" "a zoned host's log: self and its one port"
run 0 "host log, in no zone" $C host log nqn.2014-08.org.example:somehost
has "Discovery Log Number of Records 1" "a host in no zone sees only the CDC itself"
run 1 "an active zone group is not deleted" $C zonegroup del g1
run 0 "zonegroup deactivate" $C zonegroup deactivate g1
run 0 "zonegroup del" $C zonegroup del g1
run 0 "alias del" $C alias del arrays
run 0 "changes journal zoning" $C changes
has "zonegroup activate" "changes journal the activation"

# Zoning declared in cdcd.conf: shown with source config, refused to cdcctl, and written back
# by --dump-config in a form that reads back to itself.
cat >>"$WORK/cdcd.conf" <<CONF

[zonealias cfg-arrays]
member = role=subsystem;nqn=$A

[zonegroup cfg-zones]
zone = z1
member = z1 role=host;nqn=$Z
member = z1 type=alias;alias=cfg-arrays
CONF
reloads=$(grep -c "configuration reloaded" "$WORK/cdcd.log")
kill -HUP "$PID"
for _ in $(seq 50); do
	[ "$(grep -c "configuration reloaded" "$WORK/cdcd.log")" -gt "$reloads" ] && break
	sleep 0.1
done
run 0 "zonegroup list, configured" $C zonegroup list
has "cfg-zones .* config " "zonegroup list shows the configured group's source"
run 0 "alias list, configured" $C alias list
has "cfg-arrays *config" "alias list shows the configured alias's source"
run 0 "host log, configured zone" $C host log $Z
has "$A" "a configured zone is enforced"
run 1 "a configured zone group is not deleted" $C zonegroup del cfg-zones
grep -q "configuration file" "$WORK/err" && ok "refusal names the configuration file" ||
	bad "refusal: $(cat "$WORK/err")"
run 1 "a configured zone group is not deactivated" $C zonegroup deactivate cfg-zones
run 1 "a configured alias is not changed" $C alias add-member cfg-arrays --role host --nqn $Z
run 0 "dump-config" "$CDCD" -c "$WORK/cdcd.conf" --dump-config
has "^\[zonegroup cfg-zones\]" "dump-config writes the zone group"
has "^member = z1 type=alias;alias=cfg-arrays" "dump-config writes its members"
cp "$WORK/out" "$WORK/dump.conf"
run 0 "dump-config of the dump" "$CDCD" -c "$WORK/dump.conf" --dump-config
cmp -s "$WORK/out" "$WORK/dump.conf" && ok "dump-config reads back to itself" ||
	bad "dump-config does not read back to itself"

# DH-HMAC-CHAP keys in the store: from a file, standard input or the command line; shown
# without the secret; refused for a host of the keys file; never in the journal or the log.
H=nqn.2014-08.org.example:keyed
run 0 "host set-key --key-file" $C host set-key $H --key-file "$WORK/host.key"
has "set the DH-HMAC-CHAP key of host $H" "set-key says what it did"
run 0 "host show with a key" $C host show $H
has "dh-hmac-chap: *key, required (store)" "host show: a key, required, from the store"
run 0 "host set-key --key - --ctrl-key-file -o json" $C -o json host set-key $H --key - \
	--ctrl-key-file "$WORK/ctrl.key" <"$WORK/host.key"
json "set-key -o json"
run 0 "host require-auth no" $C host require-auth $H no
has "host $H need not authenticate" "require-auth says what it did"
run 0 "host show -o json" $C -o json host show $H
python3 - "$WORK/out" <<'PY' && ok "host show -o json: the settings, not the secrets" || { bad "host show -o json"; cat "$WORK/out"; }
import json, sys
text = open(sys.argv[1]).read()
auth = json.loads(text)["auth"]
assert auth == {"key": True, "ctrl_key": True, "require": False, "source": "store"}, auth
assert "DHHC" not in text
PY
run 2 "require-auth maybe" $C host require-auth $H maybe
run 2 "set-key without a key" $C host set-key $H
run 2 "two keys from standard input" $C host set-key $H --key - --ctrl-key - </dev/null
run 1 "a damaged key" $C host set-key $H --key 'DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2m:'
grep -q "damaged (CRC mismatch)" "$WORK/err" && ok "a damaged key: what is wrong with it" ||
	bad "damaged key: $(cat "$WORK/err")"
grep -q "ia6zGod" "$WORK/err" && bad "the refusal repeats the key" || ok "the refusal does not repeat the key"
run 1 "a host of the keys file" $C host set-key $FILEHOST --key-file "$WORK/host.key"
grep -q "keys file" "$WORK/err" && ok "refusal names the keys file" || bad "refusal: $(cat "$WORK/err")"
run 0 "host show, keys file" $C host show $FILEHOST
has "dh-hmac-chap: *key, required (file)" "host show: the keys file's settings"
run 0 "host clear-key" $C host clear-key $H
run 1 "host clear-key again" $C host clear-key $H
run 1 "require-auth without a key" $C host require-auth $H yes
run 0 "changes journal the keys" $C changes --limit 1000
has "host set-key" "changes journal set-key"
has "host clear-key" "changes journal clear-key"
if grep -q "ia6zGod\|AAECAwQF\|DHHC" "$WORK/out" "$WORK/cdcd.log"; then
	bad "a key in the journal or the log"
else
	ok "no key in the journal or the log"
fi

# What scripts rely on: one line on stderr and a non-zero exit.
run 1 "unknown subsystem" $C subsys show nqn.2014-08.org.example:none
[ "$(wc -l <"$WORK/err")" = 1 ] && ok "one error line" || bad "error lines: $(cat "$WORK/err")"
run 1 "configured subsystem cannot be deleted" $C subsys del nqn.2014-08.org.example:configured
run 1 "duplicate subsystem" $C subsys add nqn.2014-08.org.example:configured
run 1 "unknown host cannot be deleted" $C host del nqn.2014-08.org.example:nohost
[ "$(wc -l <"$WORK/err")" = 1 ] && ok "one error line" || bad "error lines: $(cat "$WORK/err")"
run 2 "usage error" $C subsys
run 2 "bad NQN" $C subsys add not-an-nqn
run 1 "no daemon" $CDCCTL_BIN --socket "$WORK/none.sock" status
run 0 "help" $C subsys --help

# watch_start ARGS...: cdcctl watch in the background, its output in $WORK/watch.
watch_start() {
	$C watch "$@" >"$WORK/watch" 2>"$WORK/watch.err" &
	WPID=$!
}
# watch_lines N: wait (at most 5 s) until watch has printed N lines.
watch_lines() {
	for _ in $(seq 50); do [ "$(wc -l <"$WORK/watch")" -ge "$1" ] && return; sleep 0.1; done
}
# watch_end: wait (at most 5 s) for watch to exit by itself; its exit status in $rc.
watch_end() {
	for _ in $(seq 50); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$WPID" 2>/dev/null && kill -KILL "$WPID"
	wait "$WPID"
	rc=$?
	WPID=
}

# watch -o json from a known id: one JSON line per change, in order, as the changes are made.
W=nqn.2014-08.org.example:watched
run 0 "changes -o json before the watch" $C -o json changes --limit 1000
since=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["next"])' <"$WORK/out")
watch_start -o json --since "$since"
run 0 "subsys add while watching" $C subsys add $W
run 0 "port add while watching" $C port add $W --traddr 192.0.2.93 --portid 3
watch_lines 2
python3 - "$WORK/watch" "$since" "$W" <<'PY' && ok "watch -o json printed the two changes in order" || { bad "watch -o json output"; cat "$WORK/watch"; }
import json, sys
lines = open(sys.argv[1]).read().splitlines()
since, nqn = int(sys.argv[2]), sys.argv[3]
changes = [json.loads(line) for line in lines]
assert len(changes) == 2, lines
assert [c["action"] for c in changes] == ["subsystem add", "port add"], changes
assert changes[0]["detail"].startswith(nqn) and "192.0.2.93:4420" in changes[1]["detail"], changes
assert since < changes[0]["id"] < changes[1]["id"], changes
assert all(c["actor"] == "admin" and c["when"] > 0 for c in changes), changes
PY
kill -TERM "$WPID"
watch_end
[ $rc = 0 ] && [ ! -s "$WORK/watch.err" ] && ok "watch exits 0 on SIGTERM" ||
	bad "watch on SIGTERM: exit $rc, stderr '$(cat "$WORK/watch.err")'"

# Without --since, watch starts from now: what came before is not printed. The pause lets it
# find the newest change before the next is made.
watch_start
sleep 2
run 0 "subsys del while watching" $C subsys del $W
watch_lines 1
if [ "$(wc -l <"$WORK/watch")" = 1 ] && grep -q "^[0-9-]* [0-9:]*  admin.*  subsystem del  $W" "$WORK/watch"; then
	ok "watch prints the new change, one line (time, who, what), and nothing older"
else
	bad "watch from now printed: $(cat "$WORK/watch")"
fi

# When cdcd goes away, watch says so and exits 1.
kill "$PID" && wait "$PID" || bad "cdcd did not stop cleanly"
PID=
watch_end
if [ $rc = 1 ] && [ "$(wc -l <"$WORK/watch.err")" = 1 ] && grep -q "^cdcctl: cannot reach cdcd at $WORK/cdcd.sock: " "$WORK/watch.err"; then
	ok "watch exits 1 with one line when cdcd goes away"
else
	bad "watch after cdcd stopped: exit $rc, stderr '$(cat "$WORK/watch.err")'"
fi
[ $fail = 0 ] && echo "PASS: cdcctl" || echo "FAIL: cdcctl"
exit $fail
