"""Tags -> plain language: a tagger's probability becomes a phrase ("jazz", "female vocals", "piano") only
when it stands out, and moods come from the tags fused with the measured features.

Pure (no numpy, no database): the inputs are the stored tag JSON (core.db.features.audio_tags_of), the
stored audio features and a reference, so a new DESCRIPTOR_VERSION re-describes from the database.

Standing out. MusiCNN's priors make every song somewhat "rock", "pop" and "electronic" (on the real
soundtrack its top MSD tags are ambient 0.21, instrumental 0.20, electronic 0.14, rock 0.10 for orchestral
music). So a tag is compared with its own spread in a reference: z = (p - mean) / spread, spread =
max(sd, SPREAD_FLOOR, SPREAD_SHARE x mean), which keeps a tag that hardly varies (hip-hop across an
orchestral library: sd 0.004) from standing out on noise. The reference (core.analysis.tags.reference) is
this library's music, shrunk towards a stored prior (tag_prior.json: the real corpus) while the library is
small. A phrase needs z >= Z_MIN and p >= P_MIN; several tags behind one phrase ("female", "woman",
"female vocalists"...) are averaged. Its confidence is 0.5 at Z_MIN rising to 1 at Z_FULL; only phrases of
at least that confidence are stored, so a stored tag phrase is always evidence enough for "sounds like".

Moods fuse both sources: arousal is half the measured features (loudness, onset rate, tempo) and half the
tags that carry it (fast, loud, drums, party vs slow, quiet, soft, mellow, chill); valence is half the mode
(a confident major or minor key) and half the tags (happy, catchy, party vs sad). The thresholds were set
on the development half of bench/tag_quality.py's material (even melodies, even-numbered tracks) only.
"""

from __future__ import annotations

from typing import Any

Z_MIN = 1.5
Z_FULL = 3.0
P_MIN = 0.1
SPREAD_FLOOR = 0.02
SPREAD_SHARE = 0.3
MIN_CONFIDENCE = 0.5  # the confidence at Z_MIN: every stored tag phrase has at least this

# phrase -> (family, the (model, tag) pairs behind it). Families cap how many phrases one item gets.
PHRASES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    # genres and styles
    "rock": ("genre", (("msd", "rock"), ("mtt", "rock"))),
    "pop": ("genre", (("msd", "pop"), ("mtt", "pop"))),
    "alternative": ("genre", (("msd", "alternative"), ("msd", "alternative rock"))),
    "indie": ("genre", (("msd", "indie"), ("msd", "indie rock"), ("msd", "indie pop"))),
    "electronic": ("genre", (("msd", "electronic"), ("msd", "electronica"), ("mtt", "electronic"))),
    "dance": ("genre", (("msd", "dance"), ("mtt", "dance"))),
    "jazz": ("genre", (("msd", "jazz"),)),
    "metal": ("genre", (("msd", "metal"), ("msd", "heavy metal"), ("mtt", "metal"))),
    "hard rock": ("genre", (("msd", "hard rock"),)),
    "classic rock": ("genre", (("msd", "classic rock"),)),
    "progressive rock": ("genre", (("msd", "Progressive rock"),)),
    "punk": ("genre", (("msd", "punk"),)),
    "soul": ("genre", (("msd", "soul"),)),
    "r&b": ("genre", (("msd", "rnb"),)),
    "funk": ("genre", (("msd", "funk"),)),
    "blues": ("genre", (("msd", "blues"),)),
    "folk": ("genre", (("msd", "folk"),)),
    "country": ("genre", (("msd", "country"), ("mtt", "country"))),
    "hip-hop": ("genre", (("msd", "Hip-Hop"),)),
    "house": ("genre", (("msd", "House"),)),
    "electro": ("genre", (("msd", "electro"),)),
    "techno": ("genre", (("mtt", "techno"),)),
    "ambient": ("genre", (("msd", "ambient"), ("mtt", "ambient"))),
    "chillout": ("genre", (("msd", "chillout"), ("msd", "chill"))),
    "easy listening": ("genre", (("msd", "easy listening"),)),
    "new age": ("genre", (("mtt", "new age"),)),
    "experimental": ("genre", (("msd", "experimental"), ("mtt", "weird"))),
    "classical": ("genre", (("mtt", "classical"), ("mtt", "classic"))),
    "orchestral": ("genre", (("mtt", "classical"), ("mtt", "strings"), ("mtt", "violin"), ("mtt", "cello"))),
    "indian": ("genre", (("mtt", "indian"), ("mtt", "sitar"))),
    "opera": ("genre", (("mtt", "opera"),)),
    # instruments
    "piano": ("instrument", (("mtt", "piano"),)),
    "guitar": ("instrument", (("mtt", "guitar"), ("msd", "guitar"))),
    "acoustic": ("genre", (("msd", "acoustic"),)),
    "strings": ("instrument", (("mtt", "strings"),)),
    "violin": ("instrument", (("mtt", "violin"),)),
    "cello": ("instrument", (("mtt", "cello"),)),
    "harp": ("instrument", (("mtt", "harp"),)),
    "harpsichord": ("instrument", (("mtt", "harpsichord"),)),
    "flute": ("instrument", (("mtt", "flute"),)),
    "sitar": ("instrument", (("mtt", "sitar"),)),
    "synth": ("instrument", (("mtt", "synth"),)),
    "drums": ("instrument", (("mtt", "drums"), ("mtt", "beat"), ("mtt", "beats"))),
    # voices
    "female vocals": ("voice", (("msd", "female vocalists"), ("msd", "female vocalist"), ("mtt", "female"),
                                ("mtt", "woman"), ("mtt", "female vocal"), ("mtt", "female voice"))),
    "male vocals": ("voice", (("msd", "male vocalists"), ("mtt", "male"), ("mtt", "man"), ("mtt", "male vocal"),
                              ("mtt", "male voice"))),
    "vocals": ("voice", (("mtt", "vocal"), ("mtt", "vocals"), ("mtt", "singing"), ("mtt", "voice"))),
    "choir": ("voice", (("mtt", "choir"), ("mtt", "choral"))),
    "instrumental": ("voice", (("msd", "instrumental"), ("mtt", "no vocals"), ("mtt", "no vocal"),
                               ("mtt", "no voice"))),
    # eras
    "60s": ("era", (("msd", "60s"),)),
    "70s": ("era", (("msd", "70s"),)),
    "80s": ("era", (("msd", "80s"),)),
    "90s": ("era", (("msd", "90s"),)),
    "2000s": ("era", (("msd", "00s"),)),
    "oldies": ("era", (("msd", "oldies"),)),
}
FAMILY_CAP = {"genre": 3, "instrument": 3, "voice": 2, "era": 1}
TAG_PHRASES = frozenset(PHRASES)  # the same as core.db.features.TAG_PHRASE_FAMILIES (a test keeps them equal)
ELECTRONIC = frozenset({"electronic", "techno", "electro", "house", "synth", "dance"})

# Mood evidence: tags that raise or lower arousal and valence (each its z against the reference).
AROUSAL_UP = (("mtt", "fast"), ("mtt", "loud"), ("mtt", "drums"), ("mtt", "beat"), ("mtt", "techno"),
              ("mtt", "metal"), ("mtt", "dance"), ("msd", "party"), ("msd", "dance"), ("msd", "hard rock"),
              ("msd", "heavy metal"), ("msd", "punk"), ("msd", "electro"), ("msd", "House"))
AROUSAL_DOWN = (("mtt", "slow"), ("mtt", "quiet"), ("mtt", "soft"), ("mtt", "ambient"), ("mtt", "new age"),
                ("msd", "Mellow"), ("msd", "chill"), ("msd", "chillout"), ("msd", "easy listening"),
                ("msd", "ambient"))
VALENCE_UP = (("msd", "happy"), ("msd", "catchy"), ("msd", "party"))
VALENCE_DOWN = (("msd", "sad"),)
AGGRESSIVE = (("msd", "metal"), ("msd", "heavy metal"), ("msd", "hard rock"), ("msd", "punk"), ("mtt", "metal"))
# A confident minor key alone (valence -0.5) is not "sad": the tags must lean that way too.
MOOD = {"calm": -0.5, "energetic": 0.5, "sad": -0.6, "happy": 0.6, "aggressive": 1.5, "mellow": Z_MIN}
MOOD_PHRASES = ("calm", "energetic", "mellow", "sad", "happy", "aggressive")
# The mode counts for valence only when the key is clear (descriptors.AUDIO key_strength / key_confidence).
KEY_STRENGTH, KEY_CONFIDENCE = 0.6, 0.25


def _clip(x: float, lo: float = -2.0, hi: float = 2.0) -> float:
    return max(lo, min(hi, x))


def standout(tags: dict[str, dict[str, float]], reference: dict[str, dict[str, list[float]]], model: str,
             tag: str) -> tuple[float, float] | None:
    """(z, p) of one tag against the reference, or None when either lacks it."""
    p = tags.get(model, {}).get(tag)
    ref = reference.get(model, {}).get(tag)
    if p is None or not ref or len(ref) < 2:
        return None
    mean, sd = float(ref[0]), float(ref[1])
    return (p - mean) / max(sd, SPREAD_FLOOR, SPREAD_SHARE * mean), float(p)


def _mean_z(tags: dict, reference: dict, pairs: tuple[tuple[str, str], ...]) -> float | None:
    zs = [s[0] for pair in pairs if (s := standout(tags, reference, *pair)) is not None]
    return sum(zs) / len(zs) if zs else None


def confidence(z: float) -> float:
    """0.5 at Z_MIN, 1.0 from Z_FULL on (below Z_MIN: no phrase)."""
    return round(min(1.0, 0.5 + 0.5 * (z - Z_MIN) / (Z_FULL - Z_MIN)), 3)


def tag_phrases(tags: dict[str, dict[str, float]], reference: dict[str, dict[str, list[float]]],
                families: tuple[str, ...] = ("genre", "instrument", "voice", "era")) -> dict[str, float]:
    """{phrase: confidence} of the tag phrases that stand out, strongest first, at most FAMILY_CAP each."""
    found: list[tuple[float, str, str]] = []
    for phrase, (family, pairs) in PHRASES.items():
        if family not in families:
            continue
        scored = [s for pair in pairs if (s := standout(tags, reference, *pair)) is not None]
        if not scored:
            continue
        z = sum(s[0] for s in scored) / len(scored)
        if z >= Z_MIN and max(s[1] for s in scored) >= P_MIN:
            found.append((z, phrase, family))
    out: dict[str, float] = {}
    taken: dict[str, int] = {}
    for z, phrase, family in sorted(found, key=lambda t: (-t[0], t[1])):
        if taken.get(family, 0) < FAMILY_CAP[family]:
            out[phrase] = confidence(z)
            taken[family] = taken.get(family, 0) + 1
    if "orchestral" in out and "classical" in out:  # one word for it: the broader one
        out.pop("classical")
    return out


def measured_arousal(f: dict[str, Any]) -> float:
    """-2 (still) .. 2 (driving) from loudness, onset rate and a steady tempo."""
    parts = [_clip((f["loudness_lufs"] + 18.0) / 6.0)] if f.get("loudness_lufs") is not None else [-2.0]
    parts.append(_clip((float(f.get("onset_rate") or 0.0) - 1.5) / 1.0))
    if f.get("tempo_bpm") and float(f.get("beat_strength") or 0.0) >= 0.05:
        parts.append(_clip((float(f["tempo_bpm"]) - 105.0) / 25.0))
    return sum(parts) / len(parts)


def moods(f: dict[str, Any], tags: dict[str, dict[str, float]] | None,
          reference: dict[str, dict[str, list[float]]] | None) -> dict[str, float]:
    """{"arousal", "valence"} fused from the measured features and (when given) the tags."""
    arousal = measured_arousal(f)
    mode = 0.0
    if f.get("mode") in ("major", "minor") and float(f.get("key_strength") or 0) >= KEY_STRENGTH \
            and float(f.get("key_confidence") or 0) >= KEY_CONFIDENCE:
        mode = 1.0 if f["mode"] == "major" else -1.0
    valence = mode
    if tags and reference:
        up, down = _mean_z(tags, reference, AROUSAL_UP), _mean_z(tags, reference, AROUSAL_DOWN)
        if up is not None and down is not None:
            arousal = 0.5 * arousal + 0.5 * _clip(up - down)
        vup, vdown = _mean_z(tags, reference, VALENCE_UP), _mean_z(tags, reference, VALENCE_DOWN)
        if vup is not None and vdown is not None:
            valence = 0.5 * mode + 0.5 * _clip(vup - vdown)
    return {"arousal": round(arousal, 3), "valence": round(valence, 3)}


def mood_phrases(f: dict[str, Any], tags: dict[str, dict[str, float]], reference: dict[str, dict[str, list[float]]]
                 ) -> list[str]:
    """Mood phrases from the fused arousal and valence, and the tagger's "mellow" / "aggressive"."""
    m = moods(f, tags, reference)
    a, v = m["arousal"], m["valence"]
    out = []
    if a <= MOOD["calm"]:
        out.append("calm")
    elif a >= MOOD["energetic"]:
        out.append("energetic")
    mellow = _mean_z(tags, reference, (("msd", "Mellow"),))
    if mellow is not None and mellow >= MOOD["mellow"] and a < MOOD["energetic"]:
        out.append("mellow")
    if v <= MOOD["sad"] and a < MOOD["energetic"]:
        out.append("sad")
    elif v >= MOOD["happy"] and a > MOOD["calm"]:
        out.append("happy")
    hard = _mean_z(tags, reference, AGGRESSIVE)
    if hard is not None and hard >= MOOD["aggressive"] and a >= MOOD["energetic"] and v < MOOD["happy"]:
        out.append("aggressive")
    return out
