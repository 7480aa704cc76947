#!/bin/sh
# test-deb.sh - build the Debian package from a scratch copy of the tree (the tree itself,
# and its parent directory where dpkg-buildpackage writes, are left untouched), run lintian
# on it (any error fails), unpack the .deb into a throwaway root and check what it installs.
# One line per check, then "N passed, N failed"; exit 0 if all pass, 1 if any fails, 77
# (skip) without dpkg-buildpackage.
#   sh tests/package/test-deb.sh          KEEP=1 keeps the scratch directory and says where
# shellcheck disable=SC2317 # the cleanup trap and the helpers called through check()
set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
passed=0
failed=0

command -v dpkg-buildpackage >/dev/null 2>&1 ||
	{ echo "SKIP: dpkg-buildpackage not found (apt-get install dpkg-dev debhelper lintian)"; exit 77; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cdc-deb.XXXXXX")
cleanup() {
	if [ -n "${KEEP:-}" ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() {
	echo "PASS: $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL: $1"
	failed=$((failed + 1))
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}
# check DESCRIPTION COMMAND...: one check, passed if the command succeeds.
check() {
	what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# The copy: what git tracks plus new files it does not ignore, as they are in the working
# tree (so uncommitted changes are tested), without build directories or generated files.
# Outside a git checkout (a release tarball), the whole tree.
COPY=$TMP/nvme-cdc
mkdir -p "$COPY"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# (-c lists tracked files deleted in the working tree too: those are left out.)
	(cd "$SRC" && git ls-files --cached --others --exclude-standard |
		while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done |
		tar -cf - --verbatim-files-from -T -) | tar -xf - -C "$COPY"
else
	(cd "$SRC" && tar -cf - .) | tar -xf - -C "$COPY"
fi

echo "building the package in $TMP"
# The source package too (a native tarball of the clean copy, made before the build), so
# that lintian also checks debian/ as a source package.
(cd "$TMP" && dpkg-source -b nvme-cdc) >"$TMP/source.log" 2>&1 ||
	{ cat "$TMP/source.log"; fail "dpkg-source -b"; }
if (cd "$COPY" && dpkg-buildpackage -us -uc -b -j"${JOBS:-2}") >"$TMP/build.log" 2>&1; then
	pass "dpkg-buildpackage -us -uc -b"
else
	tail -40 "$TMP/build.log"
	fail "dpkg-buildpackage -us -uc -b (log above)"
	finish
fi

set -- "$TMP"/cdcd_*.deb
DEB=$1
[ -f "$DEB" ] || { fail "no cdcd_*.deb was built"; finish; }

# lintian on the binary and the source package; warnings are shown, only errors fail.
if command -v lintian >/dev/null 2>&1; then
	lintian --no-cfg --fail-on error "$TMP"/nvme-cdc_*.changes "$TMP"/nvme-cdc_*.dsc \
		>"$TMP/lintian.log" 2>&1
	rc=$?
	grep -v 'running with root privileges' "$TMP/lintian.log" | sed 's/^/lintian: /'
	check "lintian reports no errors" [ "$rc" = 0 ]
else
	fail "lintian not found (apt-get install lintian)"
fi

ROOTFS=$TMP/root
dpkg-deb -x "$DEB" "$ROOTFS"
dpkg-deb -e "$DEB" "$TMP/DEBIAN"
dpkg-deb -c "$DEB" >"$TMP/contents"

is_exe() { [ -f "$1" ] && [ -x "$1" ]; }
has_exe() { check "$1 is an executable" is_exe "$ROOTFS$1"; }
has_file() { check "$1 is installed" [ -f "$ROOTFS$1" ]; }

has_exe /usr/sbin/cdcd
has_exe /usr/bin/cdcctl
check "cdcctl is not in /usr/sbin" [ ! -e "$ROOTFS/usr/sbin/cdcctl" ]

unit=
for d in /lib/systemd/system /usr/lib/systemd/system; do
	[ -f "$ROOTFS$d/cdcd.service" ] && unit=$d/cdcd.service
done
check "the systemd unit cdcd.service is installed" [ -n "$unit" ]
[ -n "$unit" ] &&
	check "the unit starts /usr/sbin/cdcd" grep -q '^ExecStart=/usr/sbin/cdcd' "$ROOTFS$unit"
check "postinst enables the unit" grep -q 'deb-systemd-helper.*cdcd.service' "$TMP/DEBIAN/postinst"

for m in man8/cdcd.8 man5/cdcd.conf.5 man8/cdcctl.8; do
	check "man page /usr/share/man/$m" [ -f "$ROOTFS/usr/share/man/$m.gz" ]
done

has_file /etc/nvme/cdcd.conf
check "/etc/nvme/cdcd.conf is a conffile" grep -qx /etc/nvme/cdcd.conf "$TMP/DEBIAN/conffiles"
check "/etc/nvme/cdcd.conf is contrib/cdcd.conf" \
	cmp -s "$ROOTFS/etc/nvme/cdcd.conf" "$SRC/contrib/cdcd.conf"

has_file /usr/share/bash-completion/completions/cdcctl
# systemd makes the state directory (StateDirectory= of a DynamicUser= unit, under
# /var/lib/private): a directory shipped in its place would have to be moved there.
check "no /var/lib/cdcd in the package (systemd makes it)" [ ! -e "$ROOTFS/var/lib/cdcd" ]
notify_unit() { grep -q '^Type=notify$' "$1" && grep -q '^WatchdogSec=' "$1"; }
[ -n "$unit" ] && check "the unit is Type=notify with a watchdog" notify_unit "$ROOTFS$unit"
check "postrm purges /var/lib/private/cdcd" grep -q '/var/lib/private/cdcd' "$TMP/DEBIAN/postrm"
has_file /usr/share/doc/cdcd/copyright

# Nothing the tests or the build leave behind.
no_test_files() { ! grep -E 'test_|cdc-bench|dimtool|\.a$' "$TMP/contents"; }
check "no test program or library in the package" no_test_files

# The packaged binaries run, and the daemon reads the packaged configuration.
quiet() { "$@" >/dev/null 2>&1; }
check "cdcd --version" quiet "$ROOTFS/usr/sbin/cdcd" --version
check "cdcd --dump-config reads the packaged /etc/nvme/cdcd.conf" \
	quiet "$ROOTFS/usr/sbin/cdcd" --config "$ROOTFS/etc/nvme/cdcd.conf" --dump-config
check "cdcctl --help" quiet "$ROOTFS/usr/bin/cdcctl" --help

finish
