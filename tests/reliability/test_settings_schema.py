"""settings.json is user-editable: wrong types and absurd numbers are reported and replaced, never used."""

from __future__ import annotations

import json
import os

import pytest

from core.cli import main
from core.config import NUMBER_BOUNDS, Settings
from core.library import Library

HOSTILE = {"profile": None, "session_gap_minutes": "abc", "scan_workers": "4", "llm_enabled": "no",
           "llm_threads": 100000, "llm_context": 1e9, "file_timeout_s": float("inf"), "theme": 3,
           "device": "gpu", "extra": [1, 2], "analysis_timeout_s": True}


def test_hostile_values_become_safe_values_and_each_is_reported(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps(HOSTILE).replace("Infinity", "1e999"))
    s = Settings.load(tmp_path / "settings.json")
    assert s.profile == "default" and s.session_gap_minutes == 30 and s.device == "auto" and s.theme == "system"
    assert s.scan_workers == 4 and s.llm_enabled is False  # the evident intent of "4" and "no"
    assert s.llm_threads <= (os.cpu_count() or 1) and s.llm_context == NUMBER_BOUNDS["llm_context"][1]
    assert s.file_timeout_s == 20.0 and s.extra == {} and s.analysis_timeout_s == 120.0
    reported = " ".join(s.problems)
    for key in HOSTILE:
        assert repr(key) in reported, key


@pytest.mark.parametrize("workers, expected", [(-1, 0), (100000, NUMBER_BOUNDS["scan_workers"][1]), (0, 0)])
def test_worker_counts_stay_within_the_machine(tmp_path, workers, expected):
    (tmp_path / "settings.json").write_text(json.dumps({"scan_workers": workers}))
    assert Settings.load(tmp_path / "settings.json").scan_workers == expected


@pytest.mark.parametrize("text", ["[1, 2, 3]", "{", "\x00\xff", "[" * 100000])
def test_a_settings_file_that_is_not_an_object_gives_defaults_and_says_so(tmp_path, text):
    (tmp_path / "settings.json").write_text(text, encoding="utf-8", errors="surrogateescape")
    s = Settings.load(tmp_path / "settings.json")
    assert s == Settings() and s.problems


def test_the_cli_warns_and_doctor_reports_bad_settings(tmp_path, capsys):
    (tmp_path / "settings.json").write_text(json.dumps({"llm_threads": 100000}))
    assert main(["--data-dir", str(tmp_path), "stats"]) == 0
    assert "llm_threads" in capsys.readouterr().err
    assert main(["--data-dir", str(tmp_path), "doctor", "--no-gpu", "--json"]) in (0, 1)
    report = json.loads(capsys.readouterr().out)
    settings = next(c for c in report["checks"] if c["name"] == "settings")
    assert settings["status"] == "warn" and "llm_threads" in settings["detail"]


def test_saving_a_bad_value_is_refused_and_the_file_keeps_the_good_one(tmp_path):
    lib = Library(tmp_path)
    try:
        lib.save_settings(scan_workers=2)
        with pytest.raises(ValueError):
            lib.save_settings(device="gpu")
        assert Settings.load(tmp_path / "settings.json").device == "auto"
        assert "problems" not in json.loads((tmp_path / "settings.json").read_text())
    finally:
        lib.close()
