#!/usr/bin/python3
"""test-pull-model.py - a pull-model DDC (TP8010, protocol.md 7.4 and 7.6) against a real
cdcd. No public target raises Pull Model DDC Requests, so the DDC here is a small NVMe/TCP
discovery controller written for the test: it serves one subsystem in log 70h, accepts AEC
bit 28 and offers ALLSUBE in log 00h, and once cdcd has read its log it raises AEN F3h with a Discovery Log Page Request
in log 73h. cdcd must answer with Send Discovery Log Page (39h) carrying the log asked for,
send it again on every change while the DDC keeps LPUR set, and refuse a log it does not
send with RLPS 01b."""
import os
import socket
import struct
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdcd_http import DIMTOOL, Cdcd, Checks, free_port, wait_until  # noqa: E402

SUB = "nqn.2014-08.org.example:pmddc-sub"
AEN_LOG_CHANGE = 0x0070F002
AEN_DDC_REQUEST = 0x0073F302


def pdu_hdr(ptype, flags, hlen, pdo, plen):
    return struct.pack("<BBBBI", ptype, flags, hlen, pdo, plen)


def capsule_resp(cid, dw0=0, status=0):
    return pdu_hdr(5, 0, 24, 0, 24) + struct.pack("<IIHHHH", dw0, 0, 0, 0, cid, status << 1)


def c2h_data(cid, data):
    # LAST_PDU; a CapsuleResp follows, as the Linux target sends it
    return pdu_hdr(7, 0x04, 24, 24, 24 + len(data)) + struct.pack(
        "<HHII4x", cid, 0, 0, len(data)) + data


def disc_log_70h():
    e = bytearray(1024)
    e[0], e[1], e[2] = 3, 1, 2  # tcp, ipv4, NVM subsystem
    struct.pack_into("<HHH", e, 4, 1, 0xFFFF, 32)  # portid, cntlid, asqsz
    e[32:36] = b"4420"
    e[256:256 + len(SUB)] = SUB.encode()
    e[512:521] = b"192.0.2.5"
    return struct.pack("<QQH", 1, 1, 0).ljust(1024, b"\0") + bytes(e)


class PullModelDdc:
    """One connection at a time; what cdcd sends is recorded under a lock."""

    def __init__(self, ask_lid, lpur):
        self.ask_lid, self.lpur = ask_lid, lpur
        self.lock = threading.Lock()
        self.sdlps = []  # (tlid, rlps, ndws, data)
        self.aec = []
        self.lsp70 = set()  # the LSPs of the reads of log 70h
        self.requests_read = 0
        self.port = free_port()
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", self.port))
        self.srv.listen(4)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            try:
                self.session(conn)
            except (OSError, ConnectionError):
                pass
            conn.close()

    def recv(self, conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def session(self, conn):
        self.recv(conn, 128)  # ICReq
        icresp = bytearray(pdu_hdr(1, 0, 128, 0, 128).ljust(128, b"\0"))
        struct.pack_into("<I", icresp, 12, 0x20000)  # MAXH2CDATA
        conn.sendall(icresp)
        aer = None
        asked = False
        while True:
            ch = self.recv(conn, 8)
            ptype, _, _, pdo, plen = struct.unpack("<BBBBI", ch)
            rest = self.recv(conn, plen - 8)
            if ptype != 4:
                continue
            sqe = rest[:64]
            data = rest[pdo - 8:] if pdo else b""
            opc, cid = sqe[0], struct.unpack_from("<H", sqe, 2)[0]
            cdw = struct.unpack_from("<16I", sqe)
            if opc == 0x7F:  # fabrics
                fct = sqe[4]
                if fct == 1:
                    conn.sendall(capsule_resp(cid, dw0=1))
                elif fct == 4:
                    ofst = cdw[11]
                    val = {0: 0x0F0000FF, 0x1C: 1, 0x08: 0x10400}.get(ofst, 0)
                    conn.sendall(capsule_resp(cid, dw0=val))
                else:
                    conn.sendall(capsule_resp(cid))
            elif opc == 0x09:  # Set Features
                with self.lock:
                    self.aec.append(cdw[11])
                conn.sendall(capsule_resp(cid))
            elif opc == 0x0C:  # AER: held
                aer = cid
            elif opc == 0x02:  # Get Log Page
                lid = cdw[10] & 0xFF
                numd = (cdw[10] >> 16 | (cdw[11] & 0xFFFF) << 16) + 1
                off = cdw[12] | cdw[13] << 32
                if lid == 0x70:
                    page = disc_log_70h()
                    with self.lock:
                        self.lsp70.add(cdw[10] >> 8 & 0x7F)
                elif lid == 0x00:  # LSUPP for 00h, 70h (with ALLSUBES), 73h
                    page = bytearray(1024)
                    struct.pack_into("<I", page, 0, 1)
                    struct.pack_into("<I", page, 4 * 0x70, 1 | 1 << 18)
                    struct.pack_into("<I", page, 4 * 0x73, 1)
                    page = bytes(page)
                elif lid == 0x73:
                    page = bytes([4, 0, 0, 0]) + struct.pack("<I", 12) + bytes(
                        [self.ask_lid, 0, 0, 0])
                    with self.lock:
                        self.requests_read += 1
                else:
                    conn.sendall(capsule_resp(cid, status=0x4002))  # Invalid Field, DNR
                    continue
                chunk = page[off:off + numd * 4].ljust(numd * 4, b"\0")
                conn.sendall(c2h_data(cid, chunk) + capsule_resp(cid))
                if lid == 0x70 and not asked and aer is not None:
                    asked = True
                    conn.sendall(capsule_resp(aer, dw0=AEN_DDC_REQUEST))
                    aer = None
            elif opc == 0x39:  # Send Discovery Log Page
                with self.lock:
                    self.sdlps.append((cdw[10] & 0xFF, cdw[10] >> 30, cdw[11], data))
                conn.sendall(capsule_resp(cid, dw0=(1 << 31) if self.lpur else 0))
            else:  # Keep Alive and the rest
                conn.sendall(capsule_resp(cid))

    def sent(self):
        with self.lock:
            return list(self.sdlps)


def hostlog_hosts(data):
    """The host NQNs of a log 71h as sent."""
    numrec = struct.unpack_from("<Q", data, 8)[0]
    hosts, off = [], 1024
    for _ in range(numrec):
        hosts.append(data[off + 256:off + 512].split(b"\0")[0].decode())
        off += struct.unpack_from("<I", data, off + 1024)[0]
    return hosts


def connect_host(cdc):
    """A host connects to the CDC (an implicit host: log 71h changes)."""
    r = subprocess.run([DIMTOOL, "hostlog", "127.0.0.1", str(cdc.port)], capture_output=True,
                       text=True, timeout=30)
    return r.returncode == 0


def run(c):
    ddc = PullModelDdc(0x71, lpur=True)
    cdc = Cdcd("[ddc]\nentry = traddr=127.0.0.1;trsvcid=%d\n" % ddc.port)
    try:
        wait_until("the pull", lambda: SUB in cdc.get(
            "/v1/hosts/nqn.2014-08.org.example:h1/log", unix=True)[1])
        c.check(any(a & (1 << 28) for a in ddc.aec), "cdcd asks for Pull Model DDC Request "
                "events (AEC bit 28) of a DDC that takes them")
        c.check(ddc.lsp70 == {4}, "log 70h is read with ALLSUBE from a DDC that supports it "
                "(LSPs %s)" % sorted(ddc.lsp70))
        wait_until("an SDLP", lambda: ddc.sent())
        tlid, rlps, ndws, data = ddc.sent()[0]
        c.check(tlid == 0x71 and rlps == 0, "the DDC's request for log 71h is answered with "
                "SDLP TLID 71h, RLPS 00b (got %#x, %d)" % (tlid, rlps))
        c.check(ndws * 4 == len(data) and len(data) >= 1024,
                "NDWS counts the dwords sent (%d, %d bytes)" % (ndws, len(data)))
        first = hostlog_hosts(data)
        c.check(first == [h for h in first if h], "the log sent parses as log 71h: %s" % first)
        # LPUR: a new host changes log 71h, cdcd sends it again.
        c.check(connect_host(cdc), "a host connects to the CDC")
        wait_until("the log sent again", lambda: len(ddc.sent()) >= 2)
        again = hostlog_hosts(ddc.sent()[-1][3])
        c.check(len(again) == len(first) + 1 and
                any(h.endswith(":dimtool") for h in again),
                "with LPUR set, a change of log 71h is sent again (%d then %d hosts)"
                % (len(first), len(again)))
        logtext = cdc.logtext()
        c.check("asks for log 71h" in logtext, "the log says what the DDC asked for")
        st, text, _ = cdc.get("/v1/ddcs", unix=True)
        c.check(st == 200 and '"logs_sent"' in text, "the API counts the logs sent")
    finally:
        cdc.stop()

    # A log cdcd does not send: RLPS 01b, no data, and no updates after it.
    ddc2 = PullModelDdc(0x72, lpur=True)
    cdc = Cdcd("[ddc]\nentry = traddr=127.0.0.1;trsvcid=%d\n" % ddc2.port)
    try:
        wait_until("an SDLP", lambda: ddc2.sent())
        tlid, rlps, ndws, data = ddc2.sent()[0]
        c.check(tlid == 0x72 and rlps == 1 and ndws == 0 and not data,
                "a request for log 72h gets RLPS 01b and no data (%#x, %d, %d)"
                % (tlid, rlps, ndws))
    finally:
        cdc.stop()


def main():
    c = Checks()
    run(c)
    print("PASS: test-pull-model.py" if not c.failed else "FAIL: test-pull-model.py")
    return c.failed


if __name__ == "__main__":
    sys.exit(main())
