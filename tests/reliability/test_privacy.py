"""Promise 5: nothing leaves the machine and the LLM cannot act.

Sockets are disabled for the whole suite (pytest-socket, via addopts); these tests prove the guard
is real, that no code path calls a download API or executes text, that an invalid GGUF is rejected
before llama.cpp sees it, and that the no-network end-to-end script degrades to a clear skip.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for d in ("core", "ui") for p in (REPO / d).rglob("*.py"))

DOWNLOAD_APIS = re.compile(
    r"hf_hub_download|snapshot_download|cached_download|huggingface_hub|from_pretrained\(|load_dataset\(|"
    r"torch\.hub|urlopen|urlretrieve|import requests|from requests|import httpx|import aiohttp|http\.client|"
    r"import urllib\.request|from urllib\.request|import ftplib|socket\.create_connection|\.download\("
)
EXECUTES_TEXT = re.compile(r"(?<![.\w])(eval|exec|compile)\(|os\.system\(|os\.popen\(|webbrowser\.|pty\.spawn")
# Files allowed to start processes, and why (fixed argv, never built from model or tag text).
SUBPROCESS_ALLOWED = {
    "core/explain/runtime.py": "probe-loads the GGUF in a throw-away python process",
}


def test_socket_connect_really_raises():
    from pytest_socket import SocketBlockedError

    with pytest.raises(SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("127.0.0.1", 9))
    with pytest.raises(SocketBlockedError):
        socket.create_connection(("example.com", 443), timeout=1)


def test_no_model_download_api_in_core_or_ui():
    hits = [f"{p.relative_to(REPO)}:{n}: {line.strip()}" for p in SOURCES
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if DOWNLOAD_APIS.search(line) and not line.lstrip().startswith("#")]
    assert not hits, "network/download calls found:\n" + "\n".join(hits)


def test_models_load_offline_only():
    encoder = (REPO / "core" / "embed" / "encoder.py").read_text(encoding="utf-8")
    assert 'os.environ["HF_HUB_OFFLINE"] = "1"' in encoder and "local_files_only=True" in encoder


def test_no_text_is_ever_executed():
    hits = []
    for p in SOURCES:
        rel = str(p.relative_to(REPO))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if EXECUTES_TEXT.search(code) and "app.exec()" not in code:
                hits.append(f"{rel}:{n}: {line.strip()}")
            if re.search(r"\bsubprocess\.|import subprocess", code) and rel not in SUBPROCESS_ALLOWED:
                hits.append(f"{rel}:{n}: {line.strip()}")
    assert not hits, "code that could run text or start processes:\n" + "\n".join(hits)


def _bad_ggufs(tmp_path: Path) -> dict[str, Path]:
    import struct

    files = {
        "not-gguf.gguf": os.urandom(4096),
        "empty.gguf": b"",
        "magic-only.gguf": b"GGUF",
        "bad-version.gguf": b"GGUF" + struct.pack("<IQQ", 99, 1, 1) + os.urandom(2048),
        "huge-counts.gguf": b"GGUF" + struct.pack("<IQQ", 3, 2**60, 2**60) + os.urandom(2048),
        "truncated-kv.gguf": b"GGUF" + struct.pack("<IQQ", 3, 1, 5) + struct.pack("<Q", 2**40) + b"x" * 100,
        "html-error-page.gguf": b"<!DOCTYPE html><html><body>404 Not Found</body></html>",
    }
    out = {}
    for name, data in files.items():
        out[name] = tmp_path / name
        out[name].write_bytes(data)
    return out


def test_invalid_gguf_is_rejected_before_loading(tmp_path):
    if importlib.util.find_spec("core.explain.gguf") is None:
        pytest.skip("core.explain.gguf (the GGUF validator) is not built yet")
    from core.explain.gguf import LLMError, read_gguf

    for name, path in _bad_ggufs(tmp_path).items():
        with pytest.raises(LLMError) as info:
            read_gguf(path)
        assert str(info.value), name
    # The runtime refuses it before llama.cpp (or its crash-probe process) ever sees the file.
    bad = _bad_ggufs(tmp_path)["huge-counts.gguf"]
    code = "\n".join([
        "import sys, llama_cpp",
        "import core.explain.runtime as rt",
        "from core.explain.gguf import LLMError",
        "calls = []",
        "llama_cpp.Llama = lambda *a, **k: calls.append('Llama')",
        "rt.probe = lambda *a, **k: calls.append('probe')",
        "try:",
        "    rt.LLMRuntime(sys.argv[1]).load()",
        "except LLMError as e:",
        "    print('rejected:', e)",
        "print('loader calls:', calls)",
    ])
    done = subprocess.run([sys.executable, "-c", code, str(bad)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert "rejected:" in done.stdout and "loader calls: []" in done.stdout, done.stdout + done.stderr


def test_doctor_reports_an_invalid_gguf(tmp_path):
    from core.doctor import gguf_problem

    for name, path in _bad_ggufs(tmp_path).items():
        assert gguf_problem(path), name


def test_offline_e2e_script_skips_clearly_without_namespaces(tmp_path):
    """Where `unshare` is unavailable the script says SKIP and why (CI runs it for real in scripts/test.sh)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "env", "dirname", "true"):
        found = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        if found:
            os.symlink(found, bin_dir / tool)
    (bin_dir / "unshare").write_text("#!/bin/sh\necho 'unshare: operation not permitted' >&2\nexit 1\n")
    (bin_dir / "unshare").chmod(0o755)
    done = subprocess.run(["bash", str(REPO / "scripts" / "offline-e2e.sh")], capture_output=True, text=True,
                          env={"PATH": str(bin_dir)}, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith("SKIP offline-e2e: network namespaces are not permitted here"), done.stdout


def test_ui_never_follows_a_link_in_model_or_tag_text():
    """Text from the LLM, tags and sidecars is shown, never clickable: no widget opens links."""
    ui = [p for p in SOURCES if p.parts[-2] == "ui"]
    text = {p: p.read_text(encoding="utf-8") for p in ui}
    hits = [f"{p.relative_to(REPO)}: {m}" for p, t in text.items()
            for m in re.findall(r"setOpenExternalLinks\(True\)|LinksAccessibleByMouse|TextBrowserInteraction|"
                                r"setOpenLinks\(True\)", t)]
    assert not hits, hits
    for p, t in text.items():  # every QTextBrowser (it follows links by default) turns that off
        assert t.count("QTextBrowser(") <= t.count("setOpenLinks(False)"), p
