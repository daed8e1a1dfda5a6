"""Architecture rules that keep Encore clean: core never imports Qt; start-up stays light."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_core_never_imports_qt():
    offenders = [str(p) for p in (ROOT / "core").rglob("*.py")
                 if re.search(r"^\s*(from|import)\s+PySide6", p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []


def test_cli_start_does_not_import_heavy_libraries():
    code = ("import sys; import core.cli as c; c.build_parser(); "
            "print(sorted(m for m in ('torch','sentence_transformers','llama_cpp','librosa','PySide6','cv2') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
