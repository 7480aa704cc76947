# etcd-lib.sh - sourced by the etcd tests: skip without etcd (fail in CI), a three-member
# etcd cluster on free loopback ports in $WORK, two cdcd instances A and B on it, cleanup,
# and the ok/bad/wait_for helpers. Needs CDCD, BENCH set; sets WORK, C1..C3, A_PORT, B_PORT.
if ! command -v etcd >/dev/null 2>&1; then
	# CI installs etcd-server (contrib/devel.sh): there, a missing etcd is a failure.
	if [ "${CI:-}" = true ] || [ -n "${CDC_REQUIRE_INTEROP:-}" ]; then
		echo "FAIL: etcd is not installed (apt-get install etcd-server)"
		exit 1
	fi
	echo "SKIP: etcd is not installed (apt-get install etcd-server)"
	exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/etcd-test.XXXXXX")
ETCD_PIDS= A_PID= B_PID= AER_PID= HOLD_PID= STORM_PID=
fail=0
cleanup() {
	for p in $STORM_PID $AER_PID $HOLD_PID $A_PID $B_PID $ETCD_PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ $fail = 0 ] && [ -z "${KEEP:-}" ] && rm -rf "$WORK" || echo "logs kept in $WORK"
}
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
# wait_for SECONDS DESCRIPTION COMMAND...: polls every 0.1 s until COMMAND succeeds.
wait_for() {
	wf_secs=$1 wf_what=$2
	shift 2
	wf_left=$((wf_secs * 10))
	while [ $wf_left -gt 0 ]; do
		if "$@"; then ok "$wf_what"; return 0; fi
		sleep 0.1
		wf_left=$((wf_left - 1))
	done
	bad "$wf_what (not within $wf_secs s)"
	return 1
}

# ---- etcd: three members, each with a client and a peer port ----
CLUSTER= ENDPOINTS=
for m in 1 2 3; do
	eval "C$m=\$(\"\$BENCH\" free-port)"
	eval "P$m=\$(\"\$BENCH\" free-port)"
	eval "CLUSTER=\"\${CLUSTER:+\$CLUSTER,}m$m=http://127.0.0.1:\$P$m\""
done
start_member() { # $1: member number
	eval "cport=\$C$1 pport=\$P$1"
	etcd --name "m$1" --data-dir "$WORK/etcd$1" \
		--listen-client-urls "http://127.0.0.1:$cport" \
		--advertise-client-urls "http://127.0.0.1:$cport" \
		--listen-peer-urls "http://127.0.0.1:$pport" \
		--initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		--initial-cluster "$CLUSTER" --initial-cluster-token "cdc-test-$$" \
		--initial-cluster-state new >>"$WORK/etcd$1.log" 2>&1 &
	ETCD_PIDS="$ETCD_PIDS $!"
	eval "E$1=$!"
}
for m in 1 2 3; do start_member $m; done
healthy() { curl -sf "http://127.0.0.1:$1/health" | grep -q '"health":"true"'; }
wait_for 30 "a three-member etcd cluster is up" healthy "$C1" || exit 1
wait_for 10 "its other members too" sh -c "curl -sf http://127.0.0.1:$C2/health >/dev/null && curl -sf http://127.0.0.1:$C3/health >/dev/null"

# ---- two instances: A talks to member 1 first, B to member 2 ----
A_PORT=$("$BENCH" free-port)
B_PORT=$("$BENCH" free-port)
instance_config() { # $1: name, $2: port, $3: endpoints
	cat >"$WORK/$1.conf" <<CONF
[global]
listen = 127.0.0.1:$2
# One NQN for both: the fabric sees one CDC, reached through either instance.
nqn = nqn.2014-08.org.example:cdc:shared
control-socket = $WORK/$1.sock
store = etcd
etcd-endpoints = $3
etcd-prefix = /test-$$/
[mdns]
enable = no
CONF
}
instance_config a "$A_PORT" "http://127.0.0.1:$C1,http://127.0.0.1:$C2,http://127.0.0.1:$C3"
instance_config b "$B_PORT" "http://127.0.0.1:$C2,http://127.0.0.1:$C3,http://127.0.0.1:$C1"
start_a() {
	"$CDCD" -f -c "$WORK/a.conf" --state-dir "$WORK/a-state" >>"$WORK/a.log" 2>&1 &
	A_PID=$!
}
start_b() {
	"$CDCD" -f -c "$WORK/b.conf" --state-dir "$WORK/b-state" >>"$WORK/b.log" 2>&1 &
	B_PID=$!
}
start_a
start_b
wait_for 10 "A watches etcd" grep -q "etcd: watching" "$WORK/a.log"
wait_for 10 "B watches etcd" grep -q "etcd: watching" "$WORK/b.log"

