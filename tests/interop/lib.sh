# Shared by the interop tests: find the kernel-host harness, start cdcd on a free loopback
# port with a temporary state directory, and stop it again whatever happens.
# Exit status 77 tells automake the test was skipped: a developer without the harness may
# skip them, CI may not (CDC_REQUIRE_INTEROP=1, set by .ci/run), where a missing harness fails.

KERNEL_HOST_DIR=${KERNEL_HOST_DIR:-$top_srcdir/../shared/kernel-host}
if [ ! -x "$KERNEL_HOST_DIR/kh-run" ]; then
	if [ -n "${CDC_REQUIRE_INTEROP:-}" ] && [ "$CDC_REQUIRE_INTEROP" != 0 ]; then
		echo "FAIL: no kernel-host harness at $KERNEL_HOST_DIR, and CDC_REQUIRE_INTEROP=$CDC_REQUIRE_INTEROP requires the interop tests"
		exit 1
	fi
	echo "SKIP: no kernel-host harness at $KERNEL_HOST_DIR (set KERNEL_HOST_DIR to run the interop tests)"
	exit 77
fi
CDCD=${CDCD:-$top_builddir/cdcd}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cdc-interop.XXXXXX")
CDCD_PID=

cleanup() {
	[ -n "$CDCD_PID" ] && kill "$CDCD_PID" 2>/dev/null && wait "$CDCD_PID" 2>/dev/null
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# kh_prepare [VARIANT]: build the guest once (cached; installs qemu and friends as root).
# guest_script NAME: the guest script NAME with guest-lib.sh in front, as a file in $WORK.
guest_script() {
	cat "$here/guest-lib.sh" "$here/$1" >"$WORK/$1" && chmod +x "$WORK/$1"
	echo "$WORK/$1"
}

kh_prepare() {
	"$KERNEL_HOST_DIR/kh-build" -q ${1:+--variant "$1"} >"$WORK/kh-build.log" 2>&1 || {
		cat "$WORK/kh-build.log"
		echo "FAIL: kh-build failed"
		exit 1
	}
}

# start_cdcd CONFIG [ARGS...]: runs cdcd in the foreground in the background.
start_cdcd() {
	conf=$1
	shift
	"$CDCD" --foreground --config "$conf" --state-dir "$WORK/state" --log-level debug \
		--control-socket "$WORK/cdcd.sock" "$@" \
		>"$WORK/cdcd.log" 2>&1 &
	CDCD_PID=$!
	for _ in $(seq 50); do
		grep -q 'listening on' "$WORK/cdcd.log" && return 0
		kill -0 "$CDCD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$WORK/cdcd.log"
	echo "FAIL: cdcd did not start"
	exit 1
}

# finish NAME: judge the guest's CHECK lines, stop cdcd (it must stop cleanly), show its
# log, say PASS or FAIL and exit with $rc.
finish() {
	grep -q 'CHECK FAIL' "$WORK/guest.log" && rc=1
	kill -TERM "$CDCD_PID"
	wait "$CDCD_PID" || { echo "FAIL: cdcd did not stop cleanly"; rc=1; }
	CDCD_PID=
	echo "---- cdcd log:"
	cat "$WORK/cdcd.log"
	[ "$rc" = 0 ] && echo "PASS: interop $1 ($VARIANT)" || echo "FAIL: interop $1 ($VARIANT)"
	exit "$rc"
}
