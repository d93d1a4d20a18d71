#!/usr/bin/env bash
# Does crash read what kdx collect writes as it reads the original? For each dump level and compression,
# convert DUMP with kdx collect, run crash's sys, bt and log on both, and diff them (the DUMPFILE line and
# crash's own start-up chatter aside). Not part of CI: it needs crash >= 8.0.4 (bookworm's 8.0.2 cannot walk
# these kernels' task table; trixie's source package builds a newer one) and the dump's debug vmlinux
# (linux-image-<release>-dbg, /usr/lib/debug/boot/vmlinux-<release>).
#
#   scripts/verify-collect-with-crash.sh VMLINUX DUMP [LEVELS] [METHODS]
#   e.g. scripts/verify-collect-with-crash.sh /usr/lib/debug/boot/vmlinux-6.1.0-56-cloud-amd64 vmcore.elf "0 1 31" "c l p z"
set -euo pipefail
vmlinux=$1 dump=$2 levels=${3:-"0 1 31"} methods=${4:-"c l p z"}
kdx="$(cd "$(dirname "$0")/.." && pwd)/bin/kdx"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

answers() { # DUMP OUT: crash's sys, bt and log, less the lines that name the file
  printf 'sys\nbt\nlog\nq\n' | crash -s "$vmlinux" "$1" 2>&1 | grep -v -e 'DUMPFILE:' -e '^crash: ' > "$2"
}

answers "$dump" "$work/original"
fail=0
for level in $levels; do
  for m in $methods ""; do
    out="$work/out-d$level${m:+-$m}"
    "$kdx" collect --message-level 0 ${m:+-$m} -d "$level" "$dump" "$out"
    answers "$out" "$out.crash"
    if diff -q "$work/original" "$out.crash" >/dev/null; then
      echo "ok    -d $level ${m:+-$m}"
    else
      echo "DIFF  -d $level ${m:+-$m}"; diff "$work/original" "$out.crash" | head -20; fail=1
    fi
    rm -f "$out"
  done
done
exit $fail
