#!/bin/sh
# test_nvmf_pure.sh - libnvmf.a is the protocol alone: nothing in it may call libevent, SQLite,
# json-c, avahi, the configuration parser or the logger (pure code returns errors; the caller
# decides what to log). Checked on the built archive, so an include that slipped in fails here
# even when it compiles.
set -u
: "${top_builddir:=.}"
LIB=${LIBNVMF:-$top_builddir/libnvmf.a}
[ -f "$LIB" ] || { echo "FAIL: $LIB is missing (set LIBNVMF)"; exit 1; }
command -v nm >/dev/null || { echo "SKIP: no nm"; exit 77; }

# nm -u prints one "U symbol" per line and a "member.o:" line before each member's.
bad=$(nm -u "$LIB" | awk '
	/:$/ { member = $1; next }
	$1 == "U" && $2 ~ /^(event_|evbuffer_|bufferevent_|evhttp_|sqlite3_|json_|avahi_|config_|log_)/ {
		print "  " member " " $2
	}')
if [ -n "$bad" ]; then
	echo "FAIL: libnvmf.a calls what it must not (member, symbol):"
	echo "$bad"
	exit 1
fi
echo "PASS: libnvmf.a has no undefined symbol of libevent, SQLite, json-c, avahi, config or log"

# libauth.a (DH-HMAC-CHAP) is held to the same, and it does no I/O of its own either: OpenSSL
# computes, the caller reads files and sockets.
AUTH=${LIBAUTH:-$top_builddir/libauth.a}
[ -f "$AUTH" ] || { echo "FAIL: $AUTH is missing (set LIBAUTH)"; exit 1; }
bad=$(nm -u "$AUTH" | awk '
	/:$/ { member = $1; next }
	$1 == "U" && ($2 ~ /^(event_|evbuffer_|bufferevent_|evhttp_|sqlite3_|json_|avahi_|config_|log_|syslog)/ ||
		      $2 ~ /^(open|open64|fopen|fopen64|read|write|send|recv|socket|printf|fprintf|puts)$/) {
		print "  " member " " $2
	}')
if [ -n "$bad" ]; then
	echo "FAIL: libauth.a calls what it must not (member, symbol):"
	echo "$bad"
	exit 1
fi
echo "PASS: libauth.a does no I/O and calls no daemon code"
