"""The headless pipeline a user runs: `scan --analyze` reads, analyses and embeds in one go."""

from __future__ import annotations

import json

from core.cli import main
from tests.media import make_library


def test_scan_analyze_embeds_and_a_second_run_does_nothing(tmp_path, capsys):
    root = tmp_path / "media"
    make_library(root)
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "scan", str(root), "--analyze", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["added"] == 5 and first["failed"] == 1
    assert first["analysis"]["analyzed"] == 5
    assert first["embedding"]["embedded"] == 5
    assert main(["--data-dir", data, "analyze", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["analyzed"] == 0 and again["embedding"]["embedded"] == 0 and again["embedding"]["unchanged"] == 5
    assert main(["--data-dir", data, "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["analyzed"] == 5 and stats["embedded"] == 5
