#!/usr/bin/env bash
# Sets up .venv (idempotent) and runs everything CI runs: ruff, mypy (core/), then the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
./.venv/bin/ruff check .
./.venv/bin/mypy
./.venv/bin/python -m pytest "$@"
# scan -> analyze -> search -> recommend -> explain with no network at all (skips clearly where
# network namespaces are not permitted); ENCORE_SKIP_OFFLINE_E2E=1 leaves it out.
[ "${ENCORE_SKIP_OFFLINE_E2E:-}" = 1 ] || bash scripts/offline-e2e.sh
