#!/bin/sh
# Install what is missing (Debian 12, as root), build, and either run cdcd in the
# foreground on 127.0.0.1:8009 or run the whole test suite.
#   contrib/devel.sh run    cdcd on 127.0.0.1:8009, state in ./state
#   contrib/devel.sh test   unit, integration and interop tests (gcc), the Debian package,
#                           the same tests under ASan+UBSan (clang), the unit tests under
#                           valgrind, the fuzzers
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

PACKAGES="build-essential autoconf automake libtool pkg-config libnvme-dev libevent-dev
libsqlite3-dev libavahi-client-dev libssl-dev libjson-c-dev libcurl4-openssl-dev libbsd-dev
libsystemd-dev check clang libclang-rt-14-dev
valgrind python3 dpkg-dev debhelper lintian python3-prometheus-client chromium curl
avahi-daemon avahi-utils dbus iproute2 util-linux etcd-server etcd-client"

install_missing() {
	missing=
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "devel.sh: missing packages:$missing; run as root to install them" >&2
		exit 1
	fi
	echo "devel.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
}

# build DIR [configure args...]
build() {
	dir=$1
	shift
	[ -x "$ROOT/configure" ] || (cd "$ROOT" && autoreconf -fi)
	mkdir -p "$ROOT/$dir"
	cd "$ROOT/$dir"
	[ -f Makefile ] || "$ROOT/configure" -q "$@"
	make -s -j"$JOBS"
	cd "$ROOT"
}

# check DIR: build the tests in parallel, run them one at a time (the timing tests and the
# qemu guests must not fight over the two cores).
check() {
	make -s -C "$ROOT/$1" -j"$JOBS" check TESTS=
	make -s -C "$ROOT/$1" check || {
		for f in "$ROOT/$1"/tests/*/*.log; do
			echo "---- $f"
			cat "$f"
		done
		exit 1
	}
}

run() {
	build build
	exec "$ROOT/build/cdcd" --foreground --config "$ROOT/contrib/cdcd.conf" \
		--listen 127.0.0.1:8009 --state-dir "$ROOT/state"
}

test_all() {
	echo "==== gcc build: unit, integration and interop tests"
	build build CC=gcc
	check build

	echo "==== Debian package: build, lintian, contents"
	package_skip=
	rc=0
	sh "$ROOT/tests/package/test-deb.sh" >"$ROOT/build/test-deb.log" 2>&1 || rc=$?
	case $rc in
	0) grep '^lintian' "$ROOT/build/test-deb.log" || true; tail -1 "$ROOT/build/test-deb.log" ;;
	77) package_skip=$(grep -m1 '^SKIP' "$ROOT/build/test-deb.log"); echo "$package_skip" ;;
	*) cat "$ROOT/build/test-deb.log"; exit 1 ;;
	esac

	echo "==== benchmark smoke run (figures printed, not judged)"
	make -s -C "$ROOT/build" bench

	echo "==== clang build with AddressSanitizer and UndefinedBehaviorSanitizer"
	build build-asan CC=clang --enable-sanitizers
	check build-asan

	echo "==== unit tests under valgrind"
	make -s -C "$ROOT/build" check-valgrind

	echo "==== fuzzers, ${FUZZ_SECONDS}s each"
	build build-fuzz CC=clang --enable-fuzzing
	make -s -C "$ROOT/build-fuzz" fuzz-run FUZZ_SECONDS="$FUZZ_SECONDS"
	summary
}

# One closing line over both builds' automake results, then each skipped test and why.
summary() {
	count() { cat "$ROOT"/build/test-suite.log "$ROOT"/build-asan/test-suite.log |
		sed -n "s/^# $1: *//p" | awk '{ n += $1 } END { print n + 0 }'; }
	echo "tests: $(count PASS) passed, $(($(count FAIL) + $(count ERROR))) failed, $(count SKIP) skipped"
	for trs in "$ROOT"/build/tests/*/*.trs "$ROOT"/build-asan/tests/*/*.trs; do
		[ -f "$trs" ] && grep -q '^:test-result: SKIP' "$trs" || continue
		t=${trs%.trs}
		why=$(grep -m1 '^SKIP' "$t.log" 2>/dev/null)
		echo "skipped: ${t#"$ROOT"/}${why:+ ($why)}"
	done
	[ -z "${package_skip:-}" ] || echo "skipped: tests/package/test-deb.sh ($package_skip)"
}

case "${1:-}" in
run) install_missing; run ;;
test) install_missing; test_all ;;
*) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
