#!/usr/bin/env bash
# Sets up .venv (idempotent) and starts the Encore desktop app. Extra arguments go to main.py.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec ./.venv/bin/python main.py "$@"
