#!/usr/bin/env python3
"""auth_vectors.py - recompute the known answers of test_auth.c with Python's own hashlib,
hmac and integers (an implementation independent of the one under test): the transformed
key, the augmented challenge over ffdhe2048, and the host's and controller's responses of
protocol.md 9.7. Prints them as the test spells them."""
import base64, hashlib, hmac, subprocess, zlib, re

SPEC_TEXT = "DHHC-1:00:ia6zGodOr4SEG0Zzaw398rpY0wqipUWj4jWjUh4HWUz6aQ2n:"
HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:12345678-1234-1234-1234-123456789abc"
SUBNQN = "nqn.2014-08.org.nvmexpress.discovery"
H = {1: hashlib.sha256, 2: hashlib.sha384, 3: hashlib.sha512}

def ffdhe2048_p():
    """p of RFC 7919's ffdhe2048, from the DER of OpenSSL's parameters (SEQUENCE { p, g })."""
    pem = subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                          "group:ffdhe2048"], capture_output=True, text=True).stdout
    der = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
    assert der[0] == 0x30 and der[4] == 0x02 and der[5] == 0x82
    n = der[6] << 8 | der[7]
    p = int.from_bytes(der[8:8 + n], "big")
    assert p.bit_length() == 2048 and p % 2**64 == 2**64 - 1
    return p

raw = base64.b64decode(SPEC_TEXT.split(":")[2])
key, crc = raw[:-4], raw[-4:]
assert zlib.crc32(key).to_bytes(4, "little") == crc
print("secret", key.hex())
for hid in (1, 2, 3):
    k = hmac.new(key, HOSTNQN.encode() + b"NVMe-over-Fabrics", H[hid]).hexdigest()
    print(f"transform hmac {hid}", k)

kh = hmac.new(key, HOSTNQN.encode() + b"NVMe-over-Fabrics", hashlib.sha256).digest()
c1 = bytes(range(32))
seq, tid, scc = 0x01020304, 0x0506, 0
r1 = hmac.new(kh, c1 + seq.to_bytes(4, "little") + tid.to_bytes(2, "little") + bytes([scc])
              + b"HostHost" + HOSTNQN.encode() + b"\0" + SUBNQN.encode(), hashlib.sha256).hexdigest()
print("R1 null-dh sha256", r1)
r2 = hmac.new(kh, c1 + seq.to_bytes(4, "little") + tid.to_bytes(2, "little") + bytes([scc])
              + b"Controller" + SUBNQN.encode() + b"\0" + HOSTNQN.encode(), hashlib.sha256).hexdigest()
print("R2 null-dh sha256", r2)

p = ffdhe2048_p()
x, y = 0x1234567890abcdef, 0xfedcba0987654321
gx, gy = pow(2, x, p), pow(2, y, p)
z = pow(gy, x, p).to_bytes(256, "big")
assert z == pow(gx, y, p).to_bytes(256, "big")
print("gx sha256", hashlib.sha256(gx.to_bytes(256, "big")).hexdigest())
ca = hmac.new(hashlib.sha256(z).digest(), c1, hashlib.sha256).hexdigest()
print("Ca ffdhe2048 sha256", ca)
