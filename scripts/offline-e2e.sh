#!/usr/bin/env bash
# Run scan -> analyze -> search -> recommend -> explain with NO network: inside a fresh network
# namespace (`unshare -rn`: no interfaces but loopback, which is down). Proves nothing in the
# pipeline needs the network. Where namespaces are not permitted it prints SKIP and exits 0.
# Exit code 1 when any stage fails.
#
#   usage: scripts/offline-e2e.sh [WORKDIR]
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-./.venv/bin/python}

if [ "${ENCORE_IN_NETNS:-}" != "1" ]; then
  if ! command -v unshare >/dev/null 2>&1; then
    echo "SKIP offline-e2e: 'unshare' is not installed, cannot build a network namespace"; exit 0
  fi
  if ! err=$(unshare -rn true 2>&1); then
    echo "SKIP offline-e2e: network namespaces are not permitted here (unshare -rn: ${err:-refused})"; exit 0
  fi
  exec env ENCORE_IN_NETNS=1 unshare -rn bash "$0" "$@"
fi

WORK=${1:-$(mktemp -d)}
DATA="$WORK/data"; MEDIA="$WORK/media"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 QT_QPA_PLATFORM=offscreen
fail=0
say() { printf '%-10s %s\n' "$1" "$2"; }

# The namespace really has no network: a connection attempt must fail at once.
if $PY -c "import socket; s=socket.socket(); s.settimeout(3); s.connect(('1.1.1.1', 53))" 2>/dev/null; then
  say network "FAIL: a connection to 1.1.1.1 succeeded inside the namespace"; exit 1
fi
say network "none (connect to 1.1.1.1 refused inside the namespace)"

$PY -c "import sys; from pathlib import Path; sys.path.insert(0, '.'); from tests.media import make_library; make_library(Path('$MEDIA'))" \
  || { say media "FAIL: could not generate the test library"; exit 1; }

run() {  # run STAGE ARGS...: one CLI call, its exit status decides
  local stage=$1; shift
  if out=$($PY main.py --data-dir "$DATA" "$@" 2>&1); then
    say "$stage" "ok: $(tr '\n' ' ' <<<"$out" | cut -c1-150)"
  else
    say "$stage" "FAIL: $(tail -3 <<<"$out" | tr '\n' ' ')"; fail=1
  fi
}

run scan scan --json "$MEDIA"
run analyze analyze --json
run embed embed --json
run search search --json "ambient music"
run recommend recommend --json
run explain explain --json 1
run doctor doctor --json --no-gpu
[ "$fail" = 0 ] && say result "ok: every stage ran with no network" || say result "FAIL"
exit $fail
