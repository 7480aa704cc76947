#!/bin/sh
# What the guest scripts share; lib.sh's guest_script puts it in front of each of them.
fail=0
ok()  { echo "CHECK ok: $*"; }
bad() { echo "CHECK FAIL: $*"; fail=1; }

# read_marker MARK: the namespace's block device (waited for up to 10 s) must begin with MARK.
read_marker() {
  dev=
  i=0
  while [ $i -lt 100 ] && [ -z "$dev" ]; do
    for b in /sys/block/nvme*n*; do [ -e "$b" ] && [ -b "/dev/${b##*/}" ] && dev=/dev/${b##*/}; done
    [ -n "$dev" ] || { sleep 0.1; i=$((i + 1)); }
  done
  if [ -z "$dev" ]; then
    bad "no namespace block device appeared"
    return 1
  fi
  got=$(dd if="$dev" bs=4096 count=1 2>/dev/null | head -c ${#1})
  [ "$got" = "$1" ] && ok "read block 0 of $dev ($(cat /sys/block/${dev#/dev/}/size) sectors): the marker" \
    || bad "block 0 of $dev is not the marker: '$got'"
}
