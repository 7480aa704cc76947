#!/usr/bin/env python3
"""health-cost.py - what path health probing costs cdcd: N subsystem ports (10,000 by
default) registered through the control API, each at its own loopback address
(127.0.X.Y:PORT) where this script listens and accepts, probed with health-check = yes; cdcd's
CPU time (utime + stime from /proc) is read over a window once every port has been probed
up, and printed as a share of one core with the probe rate and the cost of one probe.

    tests/bench/health-cost.py BUILDDIR [--ports N] [--interval S] [--window S] [--json]

Probes only ever go to 127.0.0.0/8. Needs about N + 200 file descriptors (ulimit -n)."""
import argparse
import http.client
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("cdcd", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(30)
        self.sock.connect(self.path)


def request(sock, method, path, body=None):
    c = UnixHTTP(sock)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def addr(i):
    return "127.0.%d.%d" % (i // 250 + 1, i % 250 + 1)


class Listeners:
    """One listening socket per port, accepting and closing in a thread of its own."""

    def __init__(self, n, port):
        self.sel = selectors.DefaultSelector()
        self.socks = []
        for i in range(n):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr(i), port))
            s.listen(64)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ)
            self.socks.append(s)
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            for key, _ in self.sel.select(0.5):
                try:
                    c, _ = key.fileobj.accept()
                    c.close()
                except OSError:
                    pass

    def close(self):
        self.stop = True
        self.t.join()
        for s in self.socks:
            s.close()


def metric(sock, name):
    _, text = request(sock, "GET", "/metrics")
    m = re.search(r"^%s (\S+)$" % re.escape(name), text.decode(), re.M)
    return float(m.group(1)) if m else 0.0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def register(sock, n, port, clients=16):
    """Ports of 100 subsystems, several requests at once so the registry commits them in
    batches."""
    subs = ["nqn.2014-08.org.example:health-bench-%03d" % k for k in range((n + 99) // 100)]
    for s in subs:
        st, data = request(sock, "POST", "/v1/subsystems", {"nqn": s})
        if st >= 300:
            sys.exit("subsystem add: %d %s" % (st, data))
    errors = []

    def worker(k):
        for i in range(k, n, clients):
            st, data = request(sock, "POST", "/v1/subsystems/%s/ports" % subs[i // 100],
                               {"traddr": addr(i), "trsvcid": str(port)})
            if st >= 300:
                errors.append((st, data))

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        sys.exit("port add: %s" % (errors[:3],))


def wait_until(what, cond, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.5)
    sys.exit("timed out: %s" % what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builddir")
    ap.add_argument("--ports", type=int, default=10000)
    ap.add_argument("--interval", type=int, default=30)
    ap.add_argument("--window", type=int, default=0, help="seconds measured [2 intervals]")
    ap.add_argument("--json", action="store_true")
    o = ap.parse_args()
    window = o.window or 2 * o.interval
    work = tempfile.mkdtemp(prefix="health-cost.")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        cdc_port = s.getsockname()[1]
    target_port = 4420
    lst = Listeners(o.ports, target_port)
    conf = os.path.join(work, "cdcd.conf")
    sock = os.path.join(work, "cdc.sock")
    with open(conf, "w") as f:
        f.write("[global]\nlisten = 127.0.0.1:%d\ncontrol-socket = %s\n"
                "max-registrations-per-entity = 65536\nmax-registrations = 10000000\n"
                "health-check = yes\nhealth-interval = %d\nlog-level = warning\n"
                % (cdc_port, sock, o.interval))
    cdcd = subprocess.Popen([os.path.join(o.builddir, "cdcd"), "-f", "-c", conf,
                             "--state-dir", os.path.join(work, "state")],
                            stderr=open(os.path.join(work, "cdcd.log"), "w"))
    try:
        wait_until("cdcd's control socket", lambda: os.path.exists(sock), 10)
        t0 = time.monotonic()
        register(sock, o.ports, target_port)
        reg_s = time.monotonic() - t0
        wait_until("every port probed once",
                   lambda: metric(sock, "cdcd_health_probes_total") >= o.ports,
                   3 * o.interval + 60)
        down = metric(sock, "cdcd_health_ports_down")
        probes0, cpu0, t0 = metric(sock, "cdcd_health_probes_total"), cpu_seconds(cdcd.pid), \
            time.monotonic()
        time.sleep(window)
        probes1, cpu1, t1 = metric(sock, "cdcd_health_probes_total"), cpu_seconds(cdcd.pid), \
            time.monotonic()
        fails = metric(sock, "cdcd_health_probe_failures_total")
        cpu = cpu1 - cpu0
        res = {
            "ports": o.ports,
            "interval_s": o.interval,
            "window_s": round(t1 - t0, 1),
            "register_s": round(reg_s, 1),
            "probes": int(probes1 - probes0),
            "probes_per_s": round((probes1 - probes0) / (t1 - t0), 1),
            "probe_failures_total": int(fails),
            "ports_down": int(down),
            "cpu_s": round(cpu, 3),
            "cpu_pct_of_one_core": round(100 * cpu / (t1 - t0), 2),
            "us_per_probe": round(1e6 * cpu / max(probes1 - probes0, 1), 1),
        }
        if o.json:
            print(json.dumps(res))
        else:
            for k, v in res.items():
                print("%-22s %s" % (k, v))
    finally:
        cdcd.terminate()
        cdcd.wait()
        lst.close()
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
