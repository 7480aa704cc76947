#!/bin/sh
# Reads/s against log size, cdcd beside the ideal responder, for docs/performance.md:
#   tests/bench/plot-reads.sh BUILDDIR OUT.png [SIZES...]
# For each size it starts a fresh cdcd, registers that many subsystem ports with DIM, runs
# `cdc-bench reads --vs-ideal` and writes one line "entries cdcd ideal"; gnuplot draws it.
set -eu
builddir=$1
out=$2
shift 2
sizes=${*:-8 100 250 500 1000}
bench=$builddir/tests/bench/cdc-bench
tmp=$(mktemp -d /tmp/cdc-plot.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
: >"$tmp/data"
for n in $sizes; do
	port=$("$bench" free-port)
	printf '[global]\nlisten = 127.0.0.1:%s\nmax-registrations-per-entity = 65536\ncontrol-socket =\nlog-level = warning\n' \
		"$port" >"$tmp/cdcd.conf"
	rm -rf "$tmp/state"
	"$builddir/cdcd" -f -c "$tmp/cdcd.conf" --state-dir "$tmp/state" 2>"$tmp/cdcd.log" &
	pid=$!
	sleep 0.3
	reg=$((n - 1)) # the log also holds cdcd's own entry
	[ $reg -gt 0 ] && "$bench" dim --target "127.0.0.1:$port" --count $reg --no-header >/dev/null
	"$bench" reads --target "127.0.0.1:$port" --vs-ideal --duration 3 --no-header >"$tmp/r"
	cdcd_rate=$(awk '$2 == "reads_per_s" {print $3}' "$tmp/r")
	ideal_rate=$(awk '$2 == "ideal.reads_per_s" {print $3}' "$tmp/r")
	echo "$n $cdcd_rate $ideal_rate" | tee -a "$tmp/data"
	kill $pid
	wait $pid || true
	pid=
done
cp "$tmp/data" "${out%.png}.dat"
gnuplot <<GP
set terminal pngcairo size 800,500
set output "$out"
set title "Full discovery log reads (libnvme's sequence), 16 connections, loopback"
set xlabel "log entries"
set ylabel "full reads per second"
set logscale xy
set grid
set key top right
plot "$tmp/data" using 1:2 with linespoints title "cdcd", \
     "$tmp/data" using 1:3 with linespoints title "ideal responder"
GP
echo "wrote $out"
