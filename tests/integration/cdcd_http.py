"""cdcd_http.py - what the HTTP tests of cdcd share: cdcd on a free loopback port with
http-listen and a control socket in a temporary directory, requests over TCP and over the
Unix socket, /metrics parsed with prometheus_client's own parser, and polling instead of
sleeping."""
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from prometheus_client.parser import text_string_to_metric_families

BUILD = os.environ.get("top_builddir", ".")
CDCD = os.environ.get("CDCD", os.path.join(BUILD, "cdcd"))
DIMTOOL = os.path.join(BUILD, "tests", "interop", "dimtool")


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def have_ipv6_loopback():
    try:
        free_port(socket.AF_INET6, "::1")
        return True
    except OSError:
        return False


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def wait_until(what, cond, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Cdcd:
    """cdcd -f with listen, control-socket and http-listen on free loopback addresses."""

    def __init__(self, extra="", ipv6=False):
        self.dir = tempfile.mkdtemp(prefix="cdcd-http-")
        self.port = free_port()
        self.http_host = "::1" if ipv6 else "127.0.0.1"
        self.http_port = free_port(socket.AF_INET6 if ipv6 else socket.AF_INET, self.http_host)
        http_listen = ("[::1]:%d" if ipv6 else "127.0.0.1:%d") % self.http_port
        self.sock = os.path.join(self.dir, "cdcd.sock")
        self.conf = os.path.join(self.dir, "cdcd.conf")
        with open(self.conf, "w") as f:
            f.write("[global]\nlisten = 127.0.0.1:%d\ncontrol-socket = %s\n"
                    "http-listen = %s\nnqn = nqn.2014-08.org.example:cdc:http\n%s"
                    % (self.port, self.sock, http_listen, extra))
        self.log = open(os.path.join(self.dir, "cdcd.log"), "w")
        self.proc = subprocess.Popen(
            [CDCD, "-f", "-c", self.conf, "--state-dir", os.path.join(self.dir, "state")],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until("cdcd's HTTP listener", self._up)

    def _up(self):
        if self.proc.poll() is not None:
            raise AssertionError("cdcd exited: " + self.logtext())
        try:
            return self.get("/metrics")[0] == 200
        except OSError:
            return False

    def logtext(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def request(self, method, path, body=None, unix=False):
        if unix:
            c = UnixHTTPConnection(self.sock)
        else:
            c = http.client.HTTPConnection(self.http_host, self.http_port, timeout=10)
        try:
            headers = {"Content-Type": "application/json"} if body else {}
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            return r.status, r.read().decode("utf-8"), r.getheader("Content-Type")
        finally:
            c.close()

    def get(self, path, unix=False):
        return self.request("GET", path, unix=unix)

    def metrics(self, unix=False):
        status, text, ctype = self.get("/metrics", unix=unix)
        assert status == 200, (status, text)
        assert ctype.startswith("text/plain; version=0.0.4"), ctype
        samples = {}
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return samples

    def admin_add_subsystem(self, nqn):
        status, text, _ = self.request("POST", "/v1/subsystems", '{"nqn": "%s"}' % nqn,
                                       unix=True)
        assert status == 201, (status, text)

    def admin_add_port(self, nqn, traddr):
        status, text, _ = self.request("POST", "/v1/subsystems/%s/ports" % nqn,
                                       '{"traddr": "%s", "trsvcid": "4420"}' % traddr,
                                       unix=True)
        assert status == 201, (status, text)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def value(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, cond, what):
        print(("ok: " if cond else "FAIL: ") + what)
        if not cond:
            self.failed = 1
        sys.stdout.flush()
