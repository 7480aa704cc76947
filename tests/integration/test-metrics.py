#!/usr/bin/python3
"""test-metrics.py - /metrics of a real cdcd, parsed with prometheus_client's parser: the
counters move by what the traffic did (connections, log reads and their bytes, an AEN to a
persistent host, a DIM registration, an admin change, a refused DIM and its NVMe status),
the same text over the control socket, and http-listen refusing every admin route."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdcd_http import (DIMTOOL, Cdcd, Checks, have_ipv6_loopback, value,  # noqa: E402
                       wait_until)

SUB = "nqn.2014-08.org.example:metrics1"
DDC = "nqn.2014-08.org.example:ddc1"
OTHER_DDC = "nqn.2014-08.org.example:ddc2"


def dimtool(d, *args):
    return subprocess.run([DIMTOOL, args[0], "127.0.0.1", str(d.port)] + list(args[1:]),
                          capture_output=True, text=True, timeout=30)


def main():
    c = Checks()
    d = Cdcd()
    try:
        run(d, c)
    except Exception:
        print(d.logtext())
        raise
    finally:
        d.stop()
    if have_ipv6_loopback():
        d = Cdcd(ipv6=True)  # its constructor waits for GET /metrics on [::1]
        try:
            c.check(d.request("POST", "/v1/subsystems", '{"nqn": "%s"}' % SUB)[0] == 404,
                    "http-listen on [::1] serves /metrics and refuses the admin API")
        finally:
            d.stop()
    else:
        print("no IPv6 loopback: http-listen on [::1] not tried")
    return c.failed


def run(d, c):
    m0 = d.metrics()
    c.check(abs(value(m0, "cdcd_start_time_seconds") - time.time()) < 60,
            "cdcd_start_time_seconds is about now")
    c.check(value(m0, "cdcd_registrations_total", source="config") == 1,
            "the configuration counts as one registration")
    for name in ("cdcd_dim_latency_seconds", "cdcd_store_commit_duration_seconds"):
        c.check(("%s_bucket" % name, (("le", "+Inf"),)) in m0, name + " is a histogram")

    # A persistent host: reads 4 KiB of log 70h, holds an AER, gets the AEN of a change.
    aer = subprocess.Popen([DIMTOOL, "aer", "127.0.0.1", str(d.port)], stdout=subprocess.PIPE,
                           text=True)
    armed = wait_until("an armed AER", lambda: value(d.metrics(), "cdcd_controllers_aen_armed")
                       == 1 and d.metrics())
    c.check(value(armed, "cdcd_controllers") == 1, "one controller")
    c.check(value(armed, "cdcd_controllers_persistent") == 1, "it is persistent")
    c.check(value(armed, "cdcd_connections", state="live") == 1, "one live connection")
    d.admin_add_subsystem(SUB)  # no port yet: log 70h stays the same
    d.admin_add_port(SUB, "192.0.2.40")
    out, _ = aer.communicate(timeout=8)  # before its keep-alive timeout of 10 s
    c.check(aer.returncode == 0 and "aen 0x" in out, "the persistent host got its AEN")

    r = dimtool(d, "register", DDC, "nqn.2014-08.org.example:ddcsub", "192.0.2.30", "4420")
    c.check(r.returncode == 0, "a DDC registered with DIM")
    # A second DDC may not take over what the first registered: the DIM fails.
    r = dimtool(d, "register", OTHER_DDC, "nqn.2014-08.org.example:ddcsub", "192.0.2.31",
                "4420")
    c.check(r.returncode != 0, "a conflicting DIM is refused")
    r = dimtool(d, "hostlog")
    c.check(r.returncode == 0, "log 71h read")

    m1 = wait_until("the connections to close",
                    lambda: (lambda m: sum(value(m, "cdcd_connections", state=s) for s in
                                           ("icreq", "connecting", "live", "closing")) == 0
                             and m)(d.metrics()))

    def delta(name, **labels):
        return value(m1, name, **labels) - value(m0, name, **labels)

    c.check(delta("cdcd_connections_accepted_total") == 4, "4 connections accepted")
    c.check(delta("cdcd_log_reads_total", log="discovery") == 1, "one read of log 70h")
    c.check(delta("cdcd_log_read_bytes_total", log="discovery") == 4096, "of 4096 bytes")
    c.check(delta("cdcd_log_reads_total", log="host_discovery") == 1, "one read of log 71h")
    c.check(delta("cdcd_log_read_bytes_total", log="host_discovery") == 65536,
            "of 65536 bytes")
    c.check(delta("cdcd_aens_sent_total", type="discovery_log_change") == 1, "one AEN sent")
    c.check(delta("cdcd_registrations_total", source="admin") == 2, "two admin registrations")
    c.check(delta("cdcd_registrations_total", source="dim") == 1, "one DIM registration")
    c.check(delta("cdcd_dim_latency_seconds_count") == 2, "two DIM latencies observed")
    c.check(delta("cdcd_dim_latency_seconds_bucket", le="+Inf") == 2, "+Inf bucket agrees")
    c.check(delta("cdcd_store_commit_duration_seconds_count") >= 3,
            "the commits were timed")
    errors = {k: v for k, v in m1.items() if k[0] == "cdcd_command_errors_total"}
    c.check(sum(errors.values()) == 1, "one command error: %r" % errors)
    c.check(value(m1, "cdcd_genctr", log="discovery") >= value(m0, "cdcd_genctr",
                                                                  log="discovery") + 2,
            "GENCTR moved with the two changes")

    mu = d.metrics(unix=True)
    c.check(value(mu, "cdcd_registrations_total", source="dim") ==
            value(m1, "cdcd_registrations_total", source="dim") and
            value(mu, "cdcd_connections_accepted_total") ==
            value(m1, "cdcd_connections_accepted_total"),
            "the control socket serves the same metrics")

    # http-listen is read-only: no admin route answers there, whatever the method.
    for method, path, body in (("POST", "/v1/subsystems", '{"nqn": "%s:x"}' % SUB),
                               ("DELETE", "/v1/subsystems/" + SUB, None),
                               ("POST", "/v1/referrals", '{"traddr": "192.0.2.9"}'),
                               ("DELETE", "/v1/hosts/" + DDC, None),
                               ("GET", "/v1/status", None),
                               ("POST", "/metrics", None)):
        status = d.request(method, path, body)[0]
        c.check(status in (404, 405), "%s %s on http-listen: %d" % (method, path, status))
    status, text, _ = d.get("/v1/subsystems/" + SUB, unix=True)
    c.check(status == 200, "the subsystem is still there")


if __name__ == "__main__":
    sys.exit(main())
