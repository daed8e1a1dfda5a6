"""The analysis queue end to end: scan, analyse in workers, show/stats, failures, resume, versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.analysis import queue as analysis_queue
from core.models import CancelToken
from tests.analysis import signals


def make_media(root: Path) -> dict[str, Path]:
    files = {
        "click": signals.write_wav(root / "music" / "click.wav", signals.click_track(120.0, 12.0)),
        "chords": signals.write_wav(root / "music" / "chords.flac", signals.chord_progression(), fmt="FLAC"),
        "silence": signals.write_wav(root / "music" / "silence.wav", signals.silence(3.0)),
        "cuts": signals.cut_video(root / "video" / "cuts.avi"),
    }
    # Scans fine (intact headers), but the audio/video data is cut off: analysis must fail cleanly.
    good = signals.write_wav(root / "tmp.flac", signals.chord_progression(), fmt="FLAC")
    files["broken_audio"] = root / "music" / "broken.flac"
    files["broken_audio"].write_bytes(good.read_bytes()[:8300])
    good.unlink()
    files["broken_video"] = root / "video" / "broken.avi"
    files["broken_video"].write_bytes(files["cuts"].read_bytes()[:6000])
    return files


@pytest.fixture
def analysed(library, tmp_path):
    files = make_media(tmp_path / "media")
    library.scan([str(tmp_path / "media")])
    seen = []
    report = library.analyze(progress=seen.append)
    return library, files, report, seen


def item_id(library, path: Path) -> int:
    return library.item_row(str(path))["id"]


def test_analyze_stores_features_descriptors_and_failures(analysed):
    library, files, report, seen = analysed
    assert report["analyzed"] == 4 and report["failed"] == 2
    assert seen and seen[-1].done == seen[-1].total == 6

    click = library.show(item_id(library, files["click"]))
    assert click["audio"]["tempo_bpm"] == pytest.approx(120.0, abs=1.0)
    assert "upbeat 120 BPM" in click["descriptors"]
    chords = library.show(item_id(library, files["chords"]))
    assert "A minor" in chords["descriptors"]
    assert library.show(item_id(library, files["silence"]))["descriptors"] == ["silent"]

    video = library.show(item_id(library, files["cuts"]))["video"]
    assert [k["colour"] for k in video["keyframes"]] == ["red", "green", "blue"]
    assert all(Path(k["path"]).is_file() and set(k) >= {"t", "path"} for k in video["keyframes"])
    assert Path(video["poster"]).is_file()
    assert video["audio_skipped"]  # an MJPG AVI without sound: noted, not a failure

    row = library.store.query("SELECT phrases, description FROM descriptors WHERE item_id = ?",
                              (item_id(library, files["cuts"]),))[0]
    assert row["description"] == ", ".join(json.loads(row["phrases"]))

    failures = {Path(f["path"]).name: f for f in library.failures() if f["stage"] == "analyze"}
    assert set(failures) == {"broken.flac", "broken.avi"}
    assert "no decodable audio" in failures["broken.flac"]["error"]
    assert "truncated" in failures["broken.avi"]["error"]

    stats = library.stats()
    assert stats["analyzed"] == 4 and stats["analysis_failed"] == 2


def test_second_run_does_nothing_and_version_bump_redoes(analysed, monkeypatch):
    library, files, _, _ = analysed
    again = library.analyze()
    assert again["analyzed"] == 0 and again["failed"] == 0 and again["skipped"] == 2  # known failures
    retried = analysis_queue.analyze_pending(library, retry_failed=True)
    assert retried["failed"] == 2 and retried["skipped"] == 0 and retried["analyzed"] == 0

    monkeypatch.setattr(analysis_queue, "AUDIO_VERSION", 2)  # a new audio analyser
    monkeypatch.setattr(analysis_queue, "VERSION_MARK", "[analyser a2/v1]")
    redo = library.analyze()
    # every audio item plus the failed ones (a new analyser deserves a new try); the video has no audio
    assert redo["analyzed"] == 3 and redo["failed"] == 2


def test_resume_after_cancel(library, tmp_path):
    root = tmp_path / "media"
    for i in range(4):
        signals.write_wav(root / f"t{i}.wav", signals.click_track(100 + 10 * i, 4.0))
    library.scan([str(root)])
    token = CancelToken()
    first = library.analyze(progress=lambda p: token.cancel() if p.done >= 1 else None, cancel=token)
    assert first["cancelled"] and 1 <= first["analyzed"] < 4
    rest = library.analyze()
    assert rest["analyzed"] == 4 - first["analyzed"]
    assert library.stats()["analyzed"] == 4


def test_crashing_decoder_becomes_a_failure(library, tmp_path):
    root = tmp_path / "media"
    good = signals.write_wav(root / "good.wav", signals.click_track(120.0, 3.0))
    bad = signals.write_wav(root / "bad.wav", signals.click_track(120.0, 3.0))
    library.scan([str(root)])
    with open(bad, "r+b") as fh:  # after the scan: only the analysis worker meets it
        fh.write(b"ENCORE-TEST-CRASH")
    report = library.analyze()
    assert report["analyzed"] == 1 and report["failed"] == 1
    (failure,) = [f for f in library.failures() if f["stage"] == "analyze"]
    assert failure["path"] == str(bad) and "crashed" in failure["error"]
    assert library.show(str(good))["audio"]["tempo_bpm"]


def test_workers_get_numba_cache_and_single_threads(library):
    env = analysis_queue.worker_env(library)
    assert env["NUMBA_CACHE_DIR"] == str(library.paths.numba_cache)
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "1"


def test_analyze_cli_json(library, tmp_path, capsys):
    from core.cli import main

    signals.write_wav(tmp_path / "m" / "a.wav", signals.chord_progression())
    library.scan([str(tmp_path / "m")])
    assert main(["--data-dir", str(library.paths.data_dir), "analyze", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["analyzed"] == 1 and out["failed"] == 0


def test_descriptor_version_bump_redescribes_without_decoding(analysed, monkeypatch):
    library, files, _, _ = analysed
    import core.analysis.store as store

    monkeypatch.setattr(store, "DESCRIPTOR_VERSION", 99)  # a new describer: stale below 99, written as 99
    report = library.analyze()
    assert report["analyzed"] == 0 and report["described"] == 4  # from the stored features
    versions = {r[0] for r in library.store.query("SELECT version FROM descriptors")}
    assert versions == {99}
    assert "A minor" in library.show(item_id(library, files["chords"]))["descriptors"]


def test_changed_file_is_reanalysed_after_rescan(library, tmp_path):
    root = tmp_path / "media"
    path = signals.write_wav(root / "song.wav", signals.click_track(90.0, 8.0))
    library.scan([str(root)])
    assert library.analyze()["analyzed"] == 1
    assert library.show(str(path))["audio"]["tempo_bpm"] == pytest.approx(90.0, abs=1.0)
    signals.write_wav(path, signals.click_track(140.0, 10.0))  # the user replaced the file
    library.scan()
    assert library.analyze()["analyzed"] == 1
    assert library.show(str(path))["audio"]["tempo_bpm"] == pytest.approx(140.0, abs=1.0)
