#!/bin/sh
# test_cdcctl.sh - cdcctl against a fake cdcd: a Python server on a Unix socket that answers
# canned replies per request and records the request it was sent. One line per check; exit 0
# if all pass, 1 if any fails, 77 (skip) without python3.  Usage: CDCCTL=./cdcctl sh test_cdcctl.sh
set -u

CDCCTL=${CDCCTL:-./cdcctl}
NQN=nqn.2014-08.org.example:array1
NQN_ENC=nqn.2014-08.org.example%3Aarray1
failures=0
server=

command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
[ -x "$CDCCTL" ] || { echo "FAIL: $CDCCTL is not an executable (set CDCCTL)"; exit 1; }

TMP=$(mktemp -d)
SOCK=$TMP/cdcd.sock
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	failures=$((failures + 1))
}

# ---- the fake server ------------------------------------------------------------------------
cat >"$TMP/fake_cdcd.py" <<'EOF'
import json, os, socket, sys

sock_path, tmp = sys.argv[1], sys.argv[2]

PORT1 = {"trtype": "tcp", "adrfam": "ipv4", "traddr": "192.0.2.10", "trsvcid": "4420",
         "portid": 1, "treq": "not specified", "sectype": "none", "ncc": False,
         "source": "config"}
PORT2 = {"trtype": "tcp", "adrfam": "ipv6", "traddr": "fd00::10", "trsvcid": "4420",
         "portid": 2, "treq": "required", "sectype": "none", "ncc": False, "source": "admin"}
PORT3 = {"trtype": "tcp", "adrfam": "ipv4", "traddr": "198.51.100.7", "trsvcid": "4420",
         "portid": 3, "treq": "not specified", "sectype": "none", "ncc": False,
         "source": "admin"}
SUBSYSTEMS = {"subsystems": [
    {"nqn": "nqn.2014-08.org.example:array1", "source": "config", "owner": "",
     "ports": [PORT1, PORT2]},
    {"nqn": "nqn.2014-08.org.example:scratch", "source": "admin", "owner": "",
     "ports": [PORT3]}]}
NEW = {"nqn": "nqn.2014-08.org.example:array1", "source": "admin", "owner": "",
       "ports": [PORT1]}
MISSING = {"error": "no such subsystem",
           "detail": "nqn.2014-08.org.example:missing is not known"}
A1 = "/v1/subsystems/nqn.2014-08.org.example%3Aarray1"

# (method, path) -> (status, reason, body, chunked)
ROUTES = {
    ("POST", "/v1/subsystems"): (201, "Created", NEW, False),
    ("POST", A1 + "/ports"): (201, "Created", PORT1, False),
    ("DELETE", A1 + "/ports/fd00%3A%3A10/4420"): (204, "No Content", None, False),
    ("DELETE", "/v1/hosts/nqn.2014-08.org.example%3Ahost1"): (204, "No Content", None, False),
    ("GET", "/v1/subsystems"): (200, "OK", SUBSYSTEMS, True),
    ("GET", "/v1/subsystems/nqn.2014-08.org.example%3Amissing"):
        (404, "Not Found", MISSING, False),
    ("GET", "/v1/status"): (503, "Service Unavailable", None, False),
}


def encode(status, reason, body, chunked):
    data = json.dumps(body).encode() if body is not None else b""
    head = "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n" % (status, reason)
    if not chunked:
        return (head + "Content-Length: %d\r\n\r\n" % len(data)).encode() + data
    out = (head + "Transfer-Encoding: chunked\r\n\r\n").encode()
    for i in range(0, len(data), 97):
        piece = data[i:i + 97]
        out += b"%x%s\r\n%s\r\n" % (len(piece), b";ext=1" if i == 0 else b"", piece)
    return out + b"0\r\n\r\n"


def serve(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    while len(body) < length:
        body += conn.recv(4096)
    with open(tmp + "/req.tmp", "w") as f:
        f.write(lines[0] + "\n" + body.decode())
    with open(tmp + "/headers", "w") as f:
        f.write("\n".join(lines[1:]) + "\n")
    os.rename(tmp + "/req.tmp", tmp + "/req")
    method, path, _ = lines[0].split(" ")
    route = ROUTES.get((method, path),
                       (404, "Not Found", {"error": "no route", "detail": path}, False))
    conn.sendall(encode(*route))
    # The client must see the reply is complete without waiting for our EOF.
    conn.recv(1)


srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(4)
while True:
    c, _ = srv.accept()
    c.settimeout(5)
    try:
        serve(c)
    except (OSError, ValueError):
        pass
    c.close()
EOF

python3 "$TMP/fake_cdcd.py" "$SOCK" "$TMP" &
server=$!
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ -S "$SOCK" ] || { echo "FAIL: the fake server did not start"; exit 1; }

# ---- helpers ----------------------------------------------------------------------------------
# run ARGS...: cdcctl with stdout, stderr and exit status in $TMP/out, $TMP/err, $rc.
run() {
	rm -f "$TMP/req" "$TMP/headers"
	"$CDCCTL" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# expect_request NAME LINE BODY: the last request had this request line and exactly this body.
expect_request() {
	if [ ! -f "$TMP/req" ]; then
		fail "$1: no request reached the server"
	elif [ "$(head -n 1 "$TMP/req")" != "$2" ]; then
		fail "$1: request line '$(head -n 1 "$TMP/req")', expected '$2'"
	elif [ "$(tail -n +2 "$TMP/req")" != "$3" ]; then
		fail "$1: body '$(tail -n +2 "$TMP/req")', expected '$3'"
	elif [ $rc -ne 0 ]; then
		fail "$1: exit $rc ($(cat "$TMP/err"))"
	else
		pass "$1"
	fi
}

# expect_out NAME FILE: stdout is exactly FILE, stderr empty, exit 0.
expect_out() {
	if [ $rc -ne 0 ] || [ -s "$TMP/err" ]; then
		fail "$1: exit $rc, stderr '$(cat "$TMP/err")'"
	elif ! diff -u "$2" "$TMP/out" >"$TMP/diff"; then
		fail "$1: output differs"
		sed 's/^/    /' "$TMP/diff"
	else
		pass "$1"
	fi
}

# expect_stdout NAME TEXT: stdout is the line TEXT.
expect_stdout() {
	if [ "$(cat "$TMP/out")" = "$2" ]; then
		pass "$1"
	else
		fail "$1: printed '$(cat "$TMP/out")'"
	fi
}

# ---- requests ---------------------------------------------------------------------------------
run --socket "$SOCK" subsys add "$NQN"
expect_request "subsys add sends POST /v1/subsystems with the NQN" \
	"POST /v1/subsystems HTTP/1.1" "{\"nqn\":\"$NQN\"}"
if [ -f "$TMP/headers" ] && grep -qx 'Host: cdcd' "$TMP/headers" &&
	grep -qx 'Connection: close' "$TMP/headers" &&
	grep -qx 'Content-Type: application/json' "$TMP/headers" &&
	grep -qx "Content-Length: $((${#NQN} + 10))" "$TMP/headers"; then
	pass "subsys add sends Host, Connection, Content-Type and Content-Length"
else
	fail "subsys add headers: $(tr '\r\n' '  ' 2>/dev/null <"$TMP/headers")"
fi
expect_stdout "subsys add confirms in one line" "added subsystem $NQN"

CDCCTL_SOCKET=$SOCK run port add "$NQN" --traddr 192.0.2.10 --portid 1 --treq required
expect_request "port add percent-encodes the NQN and sends the port" \
	"POST /v1/subsystems/$NQN_ENC/ports HTTP/1.1" \
	'{"traddr":"192.0.2.10","trsvcid":"4420","portid":1,"treq":"required"}'

run port del "$NQN" --traddr fd00::10 --trsvcid 4420 --socket "$SOCK"
expect_request "port del percent-encodes an IPv6 traddr" \
	"DELETE /v1/subsystems/$NQN_ENC/ports/fd00%3A%3A10/4420 HTTP/1.1" ""
expect_stdout "port del confirms with the bracketed address" \
	"deleted port [fd00::10]:4420 from subsystem $NQN"

run port del "$NQN" --traddr fd00:0:0::10 --socket "$SOCK"
expect_request "port del names the address in the form cdcd keeps" \
	"DELETE /v1/subsystems/$NQN_ENC/ports/fd00%3A%3A10/4420 HTTP/1.1" ""

run host del nqn.2014-08.org.example:host1 --socket "$SOCK"
expect_request "host del sends DELETE /v1/hosts/ with the NQN percent-encoded" \
	"DELETE /v1/hosts/nqn.2014-08.org.example%3Ahost1 HTTP/1.1" ""
expect_stdout "host del confirms in one line" "deleted host nqn.2014-08.org.example:host1"

run -o json --socket "$SOCK" subsys add "$NQN"
if [ $rc -eq 0 ] &&
	python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["source"] == "admin"' \
		"$TMP/out" 2>/dev/null; then
	pass "subsys add -o json prints the server's JSON"
else
	fail "subsys add -o json printed '$(cat "$TMP/out")'"
fi

# ---- output -----------------------------------------------------------------------------------
cat >"$TMP/golden_normal" <<'EOF'
NQN                              SOURCE  PORTS  OWNER
nqn.2014-08.org.example:array1   config  2      -
  tcp  192.0.2.10:4420    portid 1  config
  tcp  [fd00::10]:4420    portid 2  admin   treq required
nqn.2014-08.org.example:scratch  admin   1      -
  tcp  198.51.100.7:4420  portid 3  admin
EOF
run subsys list --socket "$SOCK"
expect_out "subsys list prints an aligned table from a chunked reply" "$TMP/golden_normal"

cat >"$TMP/golden_json" <<'EOF'
{
  "subsystems": [
    {
      "nqn": "nqn.2014-08.org.example:array1",
      "source": "config",
      "owner": "",
      "ports": [
        {
          "trtype": "tcp",
          "adrfam": "ipv4",
          "traddr": "192.0.2.10",
          "trsvcid": "4420",
          "portid": 1,
          "treq": "not specified",
          "sectype": "none",
          "ncc": false,
          "source": "config"
        },
        {
          "trtype": "tcp",
          "adrfam": "ipv6",
          "traddr": "fd00::10",
          "trsvcid": "4420",
          "portid": 2,
          "treq": "required",
          "sectype": "none",
          "ncc": false,
          "source": "admin"
        }
      ]
    },
    {
      "nqn": "nqn.2014-08.org.example:scratch",
      "source": "admin",
      "owner": "",
      "ports": [
        {
          "trtype": "tcp",
          "adrfam": "ipv4",
          "traddr": "198.51.100.7",
          "trsvcid": "4420",
          "portid": 3,
          "treq": "not specified",
          "sectype": "none",
          "ncc": false,
          "source": "admin"
        }
      ]
    }
  ]
}
EOF
run --socket="$SOCK" subsys list --output-format=json
expect_out "subsys list -o json pretty-prints in the server's key order" "$TMP/golden_json"

# ---- errors -----------------------------------------------------------------------------------
run --socket "$SOCK" subsys show nqn.2014-08.org.example:missing
want="cdcctl: no such subsystem: nqn.2014-08.org.example:missing is not known"
if [ $rc -eq 1 ] && [ "$(cat "$TMP/err")" = "$want" ] && [ ! -s "$TMP/out" ]; then
	pass "a 404 is one line on stderr and exit 1"
else
	fail "404: exit $rc, stderr '$(cat "$TMP/err")', stdout '$(cat "$TMP/out")'"
fi

run --socket "$SOCK" status
want="cdcctl: cdcd at $SOCK answered 503 Service Unavailable"
if [ $rc -eq 1 ] && [ "$(cat "$TMP/err")" = "$want" ] && [ ! -s "$TMP/out" ]; then
	pass "an error without a JSON body names the status line"
else
	fail "503: exit $rc, stderr '$(cat "$TMP/err")', stdout '$(cat "$TMP/out")'"
fi

for cmd in status watch; do
	run --socket "$TMP/nobody.sock" $cmd
	if [ $rc -eq 1 ] && grep -q "^cdcctl: cannot reach cdcd at $TMP/nobody.sock: No such file" "$TMP/err" &&
		[ "$(wc -l <"$TMP/err")" -eq 1 ]; then
		pass "no server: $cmd says 'cannot reach' and why, exit 1"
	else
		fail "no server: $cmd exit $rc, stderr '$(cat "$TMP/err")'"
	fi
done

for args in "subsys add not-an-nqn" "subsys frob" "frob" "port add $NQN" \
	"port add $NQN --traddr 192.0.2.1 --portid 70000" "subsys list --nqn $NQN" "-o xml status" \
	"subsys show" "changes --since x" "host del" "host del not-an-nqn" "watch --since x" \
	"subsys add nqn.2014-13.org.example:bad-month" "port add $NQN --traddr 0.0.0.0" \
	"port add $NQN --traddr not-an-address" "port add $NQN --traddr 192.0.2.1 --adrfam ipv6" \
	"referral add --traddr 192.0.2.1 --trsvcid 0" "referral del --traddr 192.0.2.1;x=1"; do
	# shellcheck disable=SC2086 # split on purpose
	run --socket "$SOCK" $args
	if [ $rc -ne 2 ]; then
		fail "usage error '$args': exit $rc, expected 2"
	elif [ -f "$TMP/req" ]; then
		fail "usage error '$args' still sent a request"
	elif [ "$(wc -l <"$TMP/err")" -ne 1 ] || [ -s "$TMP/out" ]; then
		fail "usage error '$args': stderr '$(cat "$TMP/err")', stdout '$(cat "$TMP/out")'"
	else
		pass "usage error '$args' is one line on stderr and exit 2"
	fi
done

[ $failures -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
exit 0
