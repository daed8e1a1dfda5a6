"""On-screen text of video keyframes (issue 13, item 6): core.analysis.ocr reads drawn titles and signs
from keyframe-sized frames, finds nothing on a frame without text, and degrades to "no text, noted"
without the OCR package; the analysis worker stores each keyframe's lines as "text"."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from core.analysis import ocr

HAVE_OCR = importlib.util.find_spec("rapidocr_onnxruntime") is not None and \
    importlib.util.find_spec("onnxruntime") is not None
needs_ocr = pytest.mark.skipif(not HAVE_OCR, reason="rapidocr-onnxruntime is not installed (scripts/setup.sh)")
REAL = Path(os.environ.get("ENCORE_REAL_MEDIA") or "/root/real-media") / "video" / "bigbuckbunny.mp4"


def background() -> np.ndarray:
    """A 384x216 keyframe without text: a real Big Buck Bunny frame when the corpus is here, else a
    textured gradient (grass-like noise under a sky)."""
    import cv2

    if REAL.is_file():
        import av

        with av.open(str(REAL)) as c:
            for i, frame in enumerate(c.decode(video=0)):
                if i == 60:
                    image = frame.to_ndarray(format="bgr24")
                    break
        return cv2.resize(image, (384, 216), interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(5)
    y = np.linspace(0, 1, 216)[:, None, None]
    sky, grass = np.array([230, 190, 150]), np.array([40, 150, 60])
    image = (1 - y) * sky + y * grass + rng.normal(0, 12, (216, 384, 3))
    return np.clip(cv2.GaussianBlur(image, (3, 3), 0), 0, 255).astype(np.uint8)


def with_text(image: np.ndarray) -> np.ndarray:
    """A title and a sign drawn as a video would show them, through the keyframe JPEG (quality 85)."""
    import cv2

    out = image.copy()
    cv2.putText(out, "Hotel Central", (70, 90), cv2.FONT_HERSHEY_DUPLEX, 1.1, (0, 0, 0), 5, cv2.LINE_AA)
    cv2.putText(out, "Hotel Central", (70, 90), cv2.FONT_HERSHEY_DUPLEX, 1.1, (255, 255, 255), 2, cv2.LINE_AA)
    cv2.rectangle(out, (120, 140), (270, 172), (255, 255, 255), -1)
    cv2.putText(out, "OPEN DAILY", (128, 165), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (20, 20, 20), 2, cv2.LINE_AA)
    ok, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def words(lines: list[str]) -> set[str]:
    return {w for line in lines for w in re.findall(r"[a-z0-9]+", line.lower())}


@needs_ocr
def test_drawn_title_and_sign_are_read():
    lines = ocr.read_text(with_text(background()))
    assert {"hotel", "central", "open", "daily"} <= words(lines), lines


@needs_ocr
def test_a_frame_without_text_gives_nothing():
    assert ocr.read_text(background()) == []
    assert ocr.read_text(np.zeros((216, 384, 3), np.uint8)) == []  # a black frame
    assert ocr.read_text(None) == []


def test_cleaning_splits_run_together_words_and_drops_specks():
    assert ocr.clean("BigBuckBunny") == "Big Buck Bunny"  # the recogniser often drops English spaces
    assert ocr.clean("  Open   24 Hours ") == "Open 24 Hours"
    assert ocr.clean("iPhone") == "iPhone"  # short words are left as they are
    assert ocr.clean("|") is None and ocr.clean("口") is None


@pytest.fixture
def no_package(monkeypatch):
    """core.analysis.ocr as on a machine without rapidocr-onnxruntime (its import fails)."""
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    monkeypatch.setattr(ocr, "_engine", None)
    monkeypatch.setattr(ocr, "_why_not", None)
    return ocr


def test_missing_package_gives_no_text_and_says_why(no_package):
    assert no_package.read_text(with_text(background())) == []
    assert "not installed" in (no_package.unavailable() or "")


def signed_clip(path: Path) -> Path:
    """Two 2-s shots, 384x216 MJPG: a plain one, then the same picture with a title and a sign."""
    import cv2

    plain = background()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (384, 216))
    for frame in [plain] * 20 + [with_text(cv2.flip(plain, 1))] * 20:
        writer.write(frame)
    writer.release()
    return path


def test_worker_without_the_package_stores_no_text_and_a_note(no_package, tmp_path):
    from core.analysis.worker import analyze_item

    out = analyze_item({"path": str(signed_clip(tmp_path / "clip.avi")), "kind": "video",
                        "keyframe_dir": str(tmp_path / "kf"), "tags": False})
    assert out["keyframes"] and all("text" not in k for k in out["keyframes"])
    assert "not installed" in out["video"]["text_note"]


@needs_ocr
def test_worker_stores_each_keyframes_text(tmp_path):
    from core.analysis.worker import analyze_item

    out = analyze_item({"path": str(signed_clip(tmp_path / "clip.avi")), "kind": "video",
                        "keyframe_dir": str(tmp_path / "kf"), "tags": False})
    saved, featured = out["keyframes"], out["video"]["keyframes"]
    assert [k["text"] for k in saved] == [k["text"] for k in featured]
    first_signed = next(i for i, k in enumerate(saved) if k["t"] >= 2.0)
    assert all(k["text"] == [] for k in saved[:first_signed])  # the plain shot has no text
    assert {"hotel", "central"} <= words(saved[first_signed]["text"])
    assert "text_note" not in out["video"]
    from core.analysis.descriptors import describe

    phrases = describe(None, out["video"])
    assert any(p.startswith('on-screen text: "') and "Hotel" in p for p in phrases), phrases


def test_item_phrases_quote_the_text_seen_most():
    from core.analysis.descriptors import text_phrases

    kf = [{"t": 0, "text": []}, {"t": 1, "text": ["Big Buck Bunny", "Episode 3"]},
          {"t": 2, "text": ["Big Buck Bunny"]}, {"t": 3, "text": ['say "hi"', 7, None]}]
    assert text_phrases(kf) == ['on-screen text: "Big Buck Bunny"', 'on-screen text: "Episode 3"',
                                'on-screen text: "say hi"']
    assert text_phrases([{"t": 0, "text": []}, {"t": 1}]) == []
