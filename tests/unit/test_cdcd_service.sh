#!/bin/sh
# test_cdcd_service.sh - contrib/cdcd.service (what the Debian package installs) stays
# hardened: systemd-analyze security rates its exposure at 2.0 or less, and it keeps
# Type=notify with a watchdog. Skipped (77) where systemd-analyze cannot judge a unit file
# offline (no systemd, or one older than 250).
set -u
: "${top_srcdir:=.}"
UNIT=$top_srcdir/contrib/cdcd.service
MAX=2.0

command -v systemd-analyze >/dev/null 2>&1 ||
	{ echo "SKIP: systemd-analyze not found (apt-get install systemd)"; exit 77; }
out=$(systemd-analyze security --offline=true --no-pager "$UNIT" 2>&1)
level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for cdcd.service: \([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
	printf '%s\n' "$out" | grep -q -- '--offline' &&
		{ echo "SKIP: systemd-analyze has no --offline (systemd < 250)"; exit 77; }
	printf '%s\n' "$out"
	echo "FAIL: systemd-analyze security gave no exposure level"
	exit 1
fi
failures=0
if awk -v l="$level" -v m="$MAX" 'BEGIN { exit !(l <= m) }'; then
	echo "PASS: exposure $level <= $MAX"
else
	printf '%s\n' "$out" | grep '✗'
	echo "FAIL: exposure $level > $MAX (the settings that cost are listed above)"
	failures=$((failures + 1))
fi
# shellcheck disable=SC2016 # $MAINPID is systemd's, not the shell's
for line in Type=notify WatchdogSec=30s DynamicUser=yes UMask=0077 'ExecReload=/bin/kill -HUP $MAINPID'; do
	if grep -qxF -- "$line" "$UNIT"; then
		echo "PASS: $line"
	else
		echo "FAIL: no $line in $UNIT"
		failures=$((failures + 1))
	fi
done
[ "$failures" = 0 ]
