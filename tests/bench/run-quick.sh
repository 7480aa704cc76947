#!/bin/sh
# run-quick.sh - the quick version of every cdc-bench workload against a cdcd of its own on
# 127.0.0.1 (temporary configuration and state, no control socket), printed as one table.
# A smoke test: exit 0 when every workload completed and nothing went wrong in it (no errors,
# no missed AEN, no failed DIM, no lost controller); the figures themselves are not judged.
#   tests/bench/run-quick.sh [BUILDDIR]      (cdcd from BUILDDIR, default .)
# CDC_BENCH names the cdc-bench binary (default BUILDDIR/tests/bench/cdc-bench, then
# BUILDDIR/cdc-bench); BENCH_ARGS adds options to every run (e.g. --json).
set -u

builddir=${1:-.}
cdcd=$builddir/cdcd
bench=${CDC_BENCH:-}
if [ -z "$bench" ]; then
	bench=$builddir/tests/bench/cdc-bench
	[ -x "$bench" ] || bench=$builddir/cdc-bench
fi
for f in "$cdcd" "$bench"; do
	if [ ! -x "$f" ]; then
		echo "run-quick.sh: $f not found (build it first: make tests/bench/cdc-bench cdcd)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d /tmp/cdc-bench-quick.XXXXXX) || exit 2
pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A bounded run of one command, when coreutils' timeout is there.
bounded() {
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 5 "$@"
	else
		shift
		"$@"
	fi
}

# Persistent controllers need descriptors on both ends (dash and bash know -H and -n).
# shellcheck disable=SC3045
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

port=$("$bench" free-port) || exit 2
cat >"$tmp/cdcd.conf" <<EOF
[global]
listen = 127.0.0.1:$port
state-dir = $tmp/state
control-socket =
max-registrations-per-entity = 65536
max-registrations = 10000000
max-connections = 0
max-connections-per-source = 0
max-implicit-hosts = 10000000

[subsystem nqn.2014-08.org.example:bench-config1]
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.10;trsvcid=4420;portid=1
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.11;trsvcid=4420;portid=2

[subsystem nqn.2014-08.org.example:bench-config2]
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.12;trsvcid=4420;portid=1
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.13;trsvcid=4420;portid=2

[subsystem nqn.2014-08.org.example:bench-config3]
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.14;trsvcid=4420;portid=1
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.15;trsvcid=4420;portid=2

[subsystem nqn.2014-08.org.example:bench-config4]
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.16;trsvcid=4420;portid=1
port = trtype=tcp;adrfam=ipv4;traddr=192.0.2.17;trsvcid=4420;portid=2
EOF

"$cdcd" --foreground --config "$tmp/cdcd.conf" 2>"$tmp/cdcd.log" &
pid=$!
tries=0
until grep -q serving "$tmp/cdcd.log" 2>/dev/null; do
	tries=$((tries + 1))
	if [ $tries -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "run-quick.sh: cdcd did not start:" >&2
		cat "$tmp/cdcd.log" >&2
		exit 1
	fi
	sleep 0.1
done

target=127.0.0.1:$port
failed=
broken=

# Counters that are 0 when a workload fully worked, and which of them each workload must
# report (a workload that ended before reporting them did not work either).
ZERO_METRICS='read_errors session_errors connect_failed lost_while_held arm_failed
aens_missed aens_other_type verify_failed dim_failed dim_transport_errors changes_missed
aens_outside_zone'
required() {
	case $1 in
	reads) echo read_errors ;;
	sessions) echo session_errors ;;
	persistent) echo connect_failed lost_while_held ;;
	aen) echo arm_failed aens_missed ;;
	dim | restart) echo dim_failed dim_transport_errors ;;
	pull) echo changes_missed aens_other_type ;;
	esac
}

# metrics FILE: "name value" for every metric in a table or in --json output.
metrics() {
	if grep -q '^{' "$1"; then
		grep -oE '"[A-Za-z0-9_.]+":\{"value":[^,}]+' "$1" |
			sed -E 's/^"([^"]+)":\{"value":(.*)$/\1 \2/'
	else
		awk '!/^#/ && NF >= 3 { print $2, $3 }' "$1"
	fi
}

# judge WORKLOAD FILE: every required counter is there, and every such counter is 0.
judge() {
	metrics "$2" >"$tmp/metrics"
	for m in $(required "$1"); do
		grep -q "^$m " "$tmp/metrics" || broken="$broken $1:$m=missing"
	done
	for m in $ZERO_METRICS; do
		# ideal.* lines are the ideal responder's run of the same workload: judged too.
		v=$(awk -v m="$m" '$1 == m || $1 == "ideal." m { if ($2 + 0 != 0) print $1 "=" $2 }' \
			"$tmp/metrics")
		for bad in $v; do
			broken="$broken $1:$bad"
		done
	done
}

run() {
	wl=$1
	shift
	# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
	bounded 100 "$bench" "$wl" --no-header ${BENCH_ARGS:-} "$@" >"$tmp/$wl.out" ||
		failed="$failed $wl"
	cat "$tmp/$wl.out"
	judge "$wl" "$tmp/$wl.out"
}

start=$(date +%s)
case " ${BENCH_ARGS:-} " in
*" --json "*) ;;
*) printf '%-11s %-32s %16s  %s\n' workload metric value unit ;;
esac
run reads --target "$target" --pid "$pid" --vs-ideal
run sessions --target "$target" --pid "$pid" --vs-ideal
run persistent --target "$target" --pid "$pid" --count 1000 --sources 4
run aen --target "$target" --count 200
run aen --cdcd "$cdcd" --zones 10 --count 200
run dim --target "$target" --pid "$pid" --count 2000
run restart --cdcd "$cdcd" --count 2000
run pull --cdcd "$cdcd" --count 100
echo "# quick run: $(($(date +%s) - start)) s against cdcd $target"

if ! kill -0 "$pid" 2>/dev/null; then
	echo "run-quick.sh: cdcd exited during the run:" >&2
	tail -20 "$tmp/cdcd.log" >&2
	failed="$failed cdcd"
fi
if [ -n "$failed" ]; then
	echo "run-quick.sh: did not complete:$failed" >&2
fi
if [ -n "$broken" ]; then
	echo "run-quick.sh: completed with errors:$broken" >&2
fi
[ -z "$failed$broken" ] || exit 1
exit 0
