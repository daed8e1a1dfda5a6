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
