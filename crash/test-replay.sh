#!/bin/bash
# Host tests of the crash oracle's replayer (crash/progs/replay.c) on
# synthetic dm-log-writes logs: the power-cut model, seeds, errors.
# No VM, about a minute.  Ends with "N passed, N failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
make -s -C "$here/progs" O="$bin" "$bin/replay"
python3 "$here/test-replay.py" "$bin/replay"
