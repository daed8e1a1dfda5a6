"""What an item's stored audio features say for sure about tempo and key (a leaf: imports nothing of Encore).

The recommender builds its "similar tempo and key" reasons from these, and the explain stage re-checks the
same facts at the moment of speaking: one definition, so a reason can never pass one and fail the other.
The thresholds are those the descriptors use (core/analysis/descriptors.AUDIO): beat strength 0.05, key
strength 0.6, key confidence 0.25.
"""

from __future__ import annotations

from typing import Any

TEMPO_CLOSE = 0.08  # a tempo is "similar" within 8 %, "the same" when equal in whole BPM
NUMBER_CLOSE = 0.08  # other numeric features: within 8 % of the larger value
BEAT_MIN, KEY_STRENGTH_MIN, KEY_CONFIDENCE_MIN = 0.05, 0.6, 0.25
PITCH = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6, "G": 7,
         "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}


def tempo_of(f: dict[str, Any]) -> float | None:
    """An item's tempo in BPM when it has a beat to carry one, else None."""
    value = f.get("tempo", f.get("tempo_bpm"))
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        return None
    return float(value) if f.get("beat_strength", 1.0) >= BEAT_MIN else None


def key_of(f: dict[str, Any]) -> str | None:
    """An item's key as "C# minor" when the analysis is sure enough of it, else None."""
    key, mode = f.get("key"), f.get("mode")
    if not isinstance(key, str) or key not in PITCH or mode not in ("major", "minor"):
        return None
    if f.get("key_strength", 1.0) < KEY_STRENGTH_MIN or f.get("key_confidence", 1.0) < KEY_CONFIDENCE_MIN:
        return None
    return f"{key} {mode}"


def related_keys(a: str, b: str) -> bool:
    """The same key, its relative major/minor, or a fifth apart in the same mode (the keys a listener
    hears as close)."""
    (ka, ma), (kb, mb) = a.split(), b.split()
    pa, pb = PITCH[ka], PITCH[kb]
    if ma == mb:
        return (pa - pb) % 12 in (0, 5, 7)
    minor, major = (pa, pb) if ma == "minor" else (pb, pa)
    return (minor + 3) % 12 == major
