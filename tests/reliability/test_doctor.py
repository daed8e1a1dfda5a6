"""`encore doctor`: checks the database, models, GPU and caches, and says what to do."""

from __future__ import annotations

from core.doctor import run_checks


def test_doctor_on_a_healthy_library(library, tmp_path):
    from tests.media import write_audio

    write_audio(tmp_path / "m" / "a.wav", 0.2)
    library.scan([str(tmp_path / "m")])
    report = run_checks(library.paths.data_dir, gpu=False)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["database"]["status"] == "ok" and "quick_check ok" in checks["database"]["detail"]
    assert checks["embedding model"]["status"] == "ok"
    assert checks["music tagger"]["status"] == "ok" and checks["text reader"]["status"] == "ok"  # setup installs both
    assert checks["caches"]["status"] == "ok" and "bytes" in checks["caches"]
    assert checks["backups"]["status"] == "warn" and "encore backup" in checks["backups"]["fix"]
    assert report["status"] in ("ok", "warn")


def test_doctor_names_a_bad_model_file_and_what_to_do(library, tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"<html>not a model</html>")
    library.save_settings(llm_model=str(bad))
    report = run_checks(library.paths.data_dir, gpu=False)
    llm = [c for c in report["checks"] if c["name"] == "language model"][0]
    assert llm["status"] == "error" and "model.gguf" in llm["detail"] and "settings" in llm["fix"]
    assert report["status"] == "error"


def test_doctor_gpu_check_is_lazy_and_never_fails(library):
    report = run_checks(library.paths.data_dir, gpu=True)
    gpu = [c for c in report["checks"] if c["name"] == "gpu"][0]
    assert gpu["status"] in ("ok", "warn") and gpu.get("device") in ("cuda", "mps", "cpu", None)


def test_doctor_counts_only_real_failures_like_the_failures_page(tmp_path):
    """Short clips that play are not "unreadable": doctor agrees with the Failures page."""
    from core.db import items as q
    from core.library import Library

    lib = Library(tmp_path)
    try:
        with lib.store.write() as conn:
            q.record_failure(conn, "/m/tada.wav", "analyze", "NoAudio: too short to analyse (0.4 s)", None, None, None)
            q.record_failure(conn, "/m/broken.flac", "analyze", "NoAudio: the audio data is damaged or cut off",
                             None, None, None)
        quiet = [g for g in lib.failure_groups() if g["quiet"]]
        assert quiet, "the short clip is a quiet group on the page"
    finally:
        lib.close()
    report = run_checks(tmp_path, gpu=False)
    unreadable = [c for c in report["checks"] if c["name"] == "unreadable files"]
    assert len(unreadable) == 1 and unreadable[0]["detail"].startswith("1 files")


def test_doctor_says_when_no_library_can_live_in_the_data_folder(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for folder in (a_file, a_file / "under", "/proc/x"):
        report = run_checks(folder, gpu=False)
        assert report["status"] == "error", folder
        assert report["checks"][0]["name"] == "data folder" and "--data-dir" in report["checks"][0]["fix"]


def test_doctor_says_what_is_lost_without_an_analyser(library, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "musicnn" else real(name, *a))
    report = run_checks(library.paths.data_dir, gpu=False)
    tagger = [c for c in report["checks"] if c["name"] == "music tagger"][0]
    assert tagger["status"] == "warn" and "genre" in tagger["detail"] and "setup" in tagger["fix"]
