#!/bin/sh
# The discovery interop test against the current Linux host as well: kernel 6.12 with
# nvme-cli 2.13 and libnvme 1.13 (what Debian 13 ships), a different libnvme than 6.1's.
KH_VARIANT=6.12-trixie exec sh "$(dirname "$0")/test-discovery.sh"
