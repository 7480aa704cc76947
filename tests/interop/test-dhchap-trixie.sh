#!/bin/sh
# The DH-HMAC-CHAP interop test against the Debian 13 host as well: the same 6.12 kernel
# with nvme-cli 2.13 and libnvme 1.13, whose discover follows Identify the same way.
KH_VARIANT=6.12-trixie exec sh "$(dirname "$0")/test-dhchap.sh"
