#!/usr/bin/python3
"""test-status-page.py - the status page in a real browser: headless Chromium loads it from
http-listen, its DOM lists the subsystem and the host this test made known, a phone-sized
screenshot is taken (kept with CDC_SCREENSHOT=FILE), and a later change shows on the next
load. Skipped (77) where Chromium is not installed."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdcd_http import DIMTOOL, Cdcd, Checks  # noqa: E402

SUB = "nqn.2014-08.org.example:page1"
SUB2 = "nqn.2014-08.org.example:page2"
HOST = "nqn.2014-08.org.example:dimtool"  # dimtool's host NQN: an implicit host


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browse(browser, home, url, *args):
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_CACHE_HOME=os.path.join(home, "cache"))
    cmd = ["timeout", "-k", "5", "90", browser, "--headless", "--no-sandbox", "--disable-gpu",
           "--no-first-run", "--user-data-dir=" + os.path.join(home, "profile")] + list(args)
    r = subprocess.run(cmd + [url], capture_output=True, text=True, env=env, timeout=120)
    if r.returncode:
        print(r.stderr)
    return r


def main():
    browser = chromium()
    if not browser:
        print("SKIP: no chromium")
        return 77
    c = Checks()
    d = Cdcd()
    home = tempfile.mkdtemp(prefix="cdcd-browser-")
    try:
        run(c, d, browser, home)
    except Exception:
        print(d.logtext())
        raise
    finally:
        d.stop()
        shutil.rmtree(home, ignore_errors=True)
    return c.failed


def run(c, d, browser, home):
    url = "http://127.0.0.1:%d/" % d.http_port
    d.admin_add_subsystem(SUB)
    d.admin_add_port(SUB, "192.0.2.60")
    r = subprocess.run([DIMTOOL, "hostlog", "127.0.0.1", str(d.port)], capture_output=True,
                       timeout=30)
    c.check(r.returncode == 0, "a host connected (and is known implicitly)")

    r = browse(browser, home, url, "--dump-dom")
    dom = r.stdout
    c.check(r.returncode == 0 and "</html>" in dom, "chromium loaded the page")
    c.check(SUB in dom, "the DOM lists the subsystem")
    c.check("192.0.2.60" in dom, "and its port")
    c.check(HOST in dom, "the DOM lists the host")
    c.check("implicit" in dom, "as an implicit host")
    c.check("nqn.2014-08.org.example:cdc:http" in dom, "the CDC's NQN")
    c.check('id="genctr"' in dom and 'id="uptime"' in dom, "GENCTR and uptime")
    c.check(SUB2 not in dom, "not yet the second subsystem")

    shot = os.environ.get("CDC_SCREENSHOT") or os.path.join(home, "page.png")
    r = browse(browser, home, url, "--screenshot=" + shot, "--window-size=412,900",
               "--hide-scrollbars")
    with open(shot, "rb") as f:
        png = f.read()
    c.check(r.returncode == 0 and png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000,
            "a phone-sized screenshot (%d bytes)" % len(png))

    d.admin_add_subsystem(SUB2)
    dom = browse(browser, home, url, "--dump-dom").stdout
    c.check(SUB2 in dom, "after a change the page shows the new subsystem")
    c.check(SUB in dom and HOST in dom, "and still the others")


if __name__ == "__main__":
    sys.exit(main())
