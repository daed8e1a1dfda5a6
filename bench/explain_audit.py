"""Explanation audit (issue 14): is every sentence Encore shows about a pick true?

    nice .venv/bin/python bench/explain_audit.py                   # real corpus, template explanations
    nice .venv/bin/python bench/explain_audit.py --judge 150       # + the model's version, judged blind
    nice .venv/bin/python bench/explain_audit.py --judge 150 --llm-model F.gguf   # a user-chosen GGUF

1. A library of the real corpus (ENCORE_REAL_MEDIA or /root/real-media: music/wesnoth/*.ogg, video/*.mp4,
   edge-cases/ with broken files) is scanned, analysed and embedded (`--data DIR` keeps it between runs).
2. A scripted, realistic 60-day history: listening sessions built on habits, skips (left within 30 s),
   partial plays, likes and a dislike, a video watched 37 % and skipped another day, a manual pick
   between two plays, an M3U import (items never played among them, one missing file) and a failed
   play of a broken file.
3. Every shown text of every shelf and mode: For you, Because you played (the shelf's seed and the CLI's),
   More like (every item as the seed), Radio (queues of 50, as the window asks), Music that fits this
   video, search hits, and `encore explain ITEM --seed S` (no reasons given). Shown texts: the
   explanation, the card's line and every tooltip line.
4. Every claim in them is verified by `Verifier`: independent of the code that wrote the claim (its own
   SQL on a read-only connection, its own parser of the sentences, its own similarity arithmetic, the
   definitions below). Any text left over that no claim pattern explains is counted as unverified.
5. Radio coherence: seed similarity (the verifier's: mean cosine over the text and the centred audio/video
   vectors both have) at positions 1-10, 11-30 and 31-50, with the drift bound and without it (baseline,
   the same process, the bound switched off).
6. `--judge N`: N explanations written both ways, by the template and by the model (under its checker),
   judged blind by a scripted judge: false claims, unverified text, true claims, readability (Flesch),
   repetition. The writer that wins more pairs is the one `llm_explain` should default to.

Definitions (the verifier's; core/explain/truth.py says the same in the product): a play is a
play_events row of the profile with outcome 'played'; a real play is such a row that is not a skip;
"you played X N times" counts real plays; "never played" means no play at all (a skip or a partial
play was heard in part); "N days since" counts whole days since the last real play; "played together N
times" counts listening sessions (the profile's plays in time order, a new session after a gap over
session_gap_minutes; skips split nothing and join nothing) holding real plays of both; "often" is 3 or
more sessions; "the same key (K)" means both stored keys (key + mode) are K; "a related key" means the
same key, the relative major/minor or a fifth apart; "the same / a similar tempo (a and b BPM)" means
the stored tempos round to what is said and lie within 8 %; "sounds / looks / is described like X"
means a cosine of at least 0.3 between the centred audio (video) vectors or the text vectors; "it sounds
like w, with v, close to X" / "it has v, close to X" means each of w and v is a tagger phrase stored for the
item with a confidence of at least 0.5, and that it sounds like X; "tagged
w" means w is a genre or descriptor word of the item (and of the item named); "matches your search"
means that search was run and showed the item; "fits the video X" means "music that fits X" was asked.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DAY = 86400.0
MEDIA = Path(os.environ.get("ENCORE_REAL_MEDIA", "/root/real-media"))
SIM_MIN = 0.3
OFTEN = 3
LATELY_DAYS = 14
TEMPO_CLOSE = 0.08
PITCH = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6, "G": 7,
         "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}
COUNT = r"(?P<t>once|twice|\d+ times)"
OPENER_WORDS = {"because", "picked", "here", "chosen", "and", "also", "it", "is", "a", "the", "with", "from",
                "your", "library"}


# ----- the independent verifier --------------------------------------------------------------------
def _display(text: str) -> str:
    """A name as it can appear in a sentence (the verifier's own cleaning: marks and quotes dropped)."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = re.sub(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]", "", text)
    text = re.sub(r"[*\u201c\u201d\"`<>|{}\[\]]", "", text)
    return " ".join(text.split())


def _word(text: str) -> str:
    text = unicodedata.normalize("NFC", str(text or "")).lower()
    text = re.sub(r"\b([a-g])#", r"\1-sharp", text)
    text = re.sub(r"\b([a-g])b\b", r"\1-flat", text)
    return " ".join(re.sub(r"[^\w\s\-&']", " ", text).split())


def _count(word: str | None) -> int | None:
    if word is None:
        return None
    return {"once": 1, "twice": 2}.get(word, None) or int(word.split()[0])


def _spelled_key(key: str | None, mode: str | None) -> str | None:
    if not key or mode not in ("major", "minor"):
        return None
    return f"{key.replace('#', '-sharp') if '#' in key else (key[0] + '-flat' if key.endswith('b') and len(key) == 2 else key)} {mode}"


def _pitch(spelled: str) -> tuple[int, str]:
    note, mode = spelled.split()
    base = note[0]
    shift = 1 if note.endswith("-sharp") else -1 if note.endswith("-flat") else 0
    return (PITCH[base] + shift) % 12, mode


def _related(a: str, b: str) -> bool:
    (pa, ma), (pb, mb) = _pitch(a), _pitch(b)
    if ma == mb:
        return (pa - pb) % 12 in (0, 5, 7)
    minor, major = (pa, pb) if ma == "minor" else (pb, pa)
    return (minor + 3) % 12 == major


@dataclass
class Claim:
    """One thing a text says, and whether the database bears it out."""

    kind: str
    ok: bool
    said: str
    why: str = ""


@dataclass
class Context:
    """What the verifier knows about how a text came to be shown (never the Reasons behind it)."""

    item: int
    mode: str
    seed: int | None = None
    query: str | None = None


class Verifier:
    """Reads the database on its own (read-only) and checks sentences against it."""

    def __init__(self, db_path: Path, profile: str = "default", gap_minutes: float = 30.0) -> None:
        self.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        self.conn.row_factory = sqlite3.Row
        self.profile, self.gap = profile, gap_minutes * 60.0
        self.searches: dict[str, set[int]] = {}   # query -> ids it showed
        self.fits: set[int] = set()               # videos "music that fits this video" was asked for
        self.refresh()

    # -- the facts ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read every fact once (after the history is scripted)."""
        c = self.conn
        self.now = time.time()
        self.items = {r["id"]: dict(r) for r in c.execute(
            "SELECT id, title, filename, artist, album, genre, year, kind, status FROM items")}
        cols = {r[1] for r in c.execute("PRAGMA table_info(play_events)")}
        played = " AND outcome = 'played'" if "outcome" in cols else ""
        self.events = c.execute("SELECT item_id, started_at, skipped FROM play_events WHERE profile = ?" + played
                                + " ORDER BY started_at, id", (self.profile,)).fetchall()
        self.real: Counter = Counter()
        self.heard: Counter = Counter()
        self.last_real: dict[int, float] = {}
        self.session_of: dict[int, set[int]] = {}
        session, last = -1, None
        for item, t, skipped in self.events:
            if last is None or t - last > self.gap:
                session += 1
            last = t
            self.heard[item] += 1
            if not skipped:
                self.real[item] += 1
                self.last_real[item] = max(self.last_real.get(item, 0.0), t)
                self.session_of.setdefault(item, set()).add(session)
        self.ratings = {r[0]: r[1] for r in c.execute("SELECT item_id, value FROM ratings WHERE profile = ?",
                                                      (self.profile,))}
        self.audio = {r[0]: json.loads(r[1]) for r in c.execute("SELECT item_id, features FROM audio_features")}
        self.video = {r[0] for r in c.execute("SELECT item_id FROM video_features")}
        self.phrases = {r[0]: json.loads(r[1] or "[]") for r in c.execute("SELECT item_id, phrases FROM descriptors")}
        cols = {r[1] for r in c.execute("PRAGMA table_info(descriptors)")}
        self.tag_confidence: dict[int, dict[str, float]] = {r[0]: json.loads(r[1]) for r in c.execute(
            "SELECT item_id, confidence FROM descriptors WHERE confidence IS NOT NULL")} if "confidence" in cols else {}
        self.playlists = [set(json.loads("[" + (r[0] or "") + "]")) for r in c.execute(
            "SELECT GROUP_CONCAT(item_id) FROM playlist_items GROUP BY playlist_id")]
        self.vectors = {"text": self._vectors("SELECT e.item_id, e.vector FROM embeddings e", centre=False),
                        "audio": self._vectors("SELECT item_id, vector FROM audio_features WHERE vector IS NOT NULL"),
                        "video": self._vectors("SELECT item_id, vector FROM video_features WHERE vector IS NOT NULL")}
        names = {_display(r["title"]) for r in self.items.values() if r["title"]}
        names |= {_display(r["artist"]) for r in self.items.values() if r["artist"]}
        names = sorted((n for n in names if n), key=len, reverse=True)
        self.name_re = "(?:" + "|".join(re.escape(n) for n in names) + ")" if names else "(?!x)x"
        self.split_names = [n for n in names if ". " in n or "; " in n]
        self.terms: dict[int, set[str]] = {}
        for item, term in c.execute("SELECT item_id, term FROM item_terms"):
            self.terms.setdefault(item, set()).add(_word(term))
        self._patterns = self._build_patterns()

    def _vectors(self, sql: str, centre: bool = True) -> dict[int, np.ndarray]:
        rows = self.conn.execute(sql).fetchall()
        if not rows:
            return {}
        size = Counter(len(r[1]) for r in rows).most_common(1)[0][0]
        rows = [r for r in rows if len(r[1]) == size]
        M = np.stack([np.frombuffer(r[1], np.float32).astype(np.float64) for r in rows])
        if centre:
            M = M - M.mean(axis=0, keepdims=True)
        M /= np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-12)
        return {int(r[0]): M[n] for n, r in enumerate(rows)}

    def similarity(self, a: int, b: int, modality: str) -> float | None:
        va, vb = self.vectors[modality].get(a), self.vectors[modality].get(b)
        return None if va is None or vb is None else float(va @ vb)

    def seed_similarity(self, a: int, b: int) -> float | None:
        """Mean cosine over the modalities both items have a vector in."""
        sims = [s for m in self.vectors if (s := self.similarity(a, b, m)) is not None]
        return sum(sims) / len(sims) if sims else None

    def ids_named(self, name: str) -> list[int]:
        key = name.casefold()
        return [i for i, r in self.items.items() if _display(r["title"]).casefold() == key]

    def words(self, item: int) -> set[str]:
        r = self.items.get(item) or {}
        out = {_word(g) for g in re.split(r"[;,/|\\]+", r.get("genre") or "") if g.strip()}
        out |= {_word(p) for p in self.phrases.get(item, [])}
        out |= self.terms.get(item, set())
        return {w for w in out if w}

    def tempo(self, item: int) -> float | None:
        f = self.audio.get(item) or {}
        v = f.get("tempo_bpm", f.get("tempo"))
        return float(v) if isinstance(v, int | float) and v > 0 else None

    def key(self, item: int) -> str | None:
        f = self.audio.get(item) or {}
        return _spelled_key(f.get("key"), f.get("mode"))

    # -- the sentences ------------------------------------------------------------------------------
    def _build_patterns(self) -> list[tuple[re.Pattern, str]]:
        n = self.name_re
        key = r"[A-G](?:-sharp|-flat)? (?:major|minor)"
        num = r"\d+(?:\.\d)?"
        tags = r"\u201c[^\u201d]+\u201d(?:(?:, | and )\u201c[^\u201d]+\u201d)*"
        heard = r"[\w&'\- ]+?(?: and [\w&'\- ]+?)?"  # one or two tagger phrases: "jazz", "drums and female vocals"
        raw = [
            (r"(?:you have never (?:played|watched) it|a (?P<thing>track|film) you have not (?:played|watched) yet"
             r"|you have not (?:played|watched) it yet)", "never_played"),
            (r"(?:you haven't (?:played|watched) it in (?P<d>\d+) days|it has been (?P<d2>\d+) days since you "
             r"(?:played|watched) it|not played for (?P<d3>\d+) days)", "days_since"),
            (r"you haven't (?:played|watched) it lately", "not_lately"),
            (rf"(?:you have (?:played|watched) it {COUNT}|it has (?P<n>\d+) plays from you|you played it (?P<n2>\d+) times)",
             "play_count"),
            (r"you play it often", "plays_often"),
            (rf"(?:it was|they were) (?:played|watched) together(?: with (?P<name>{n}))? {COUNT}", "played_together"),
            (rf"you often (?:play|watch) (?:it with (?P<name>{n})|them together)", "often_together"),
            (rf"played in the same session as (?P<name>{n})(?P<twice> twice)?", "played_together_line"),
            (rf"in a playlist with (?P<name>{n})", "same_playlist"),
            (rf"like the video (?P<name>{n}), it is tagged (?P<tags>{tags})", "fits_video_tagged"),
            (rf"it is tagged (?P<tags>{tags}), like the video (?P<name>{n})", "fits_video_tagged"),
            (rf"it is described much like the video (?P<name>{n})", "fits_video"),
            (rf"fits (?P<name>{n})(?:: (?P<words>[^.;]+))?$", "fits_video_line"),
            (rf"like (?P<name>{n}), it is tagged (?P<tags>{tags})", "tagged"),
            (rf"it is (?:also )?tagged (?P<tags>{tags})(?:, like (?P<name>{n}))?", "tagged"),
            (rf"it is described much like (?P<name>{n})", "described_like"),
            (rf"described like (?P<name>{n})", "described_like"),
            (rf"^(?P<words>(?:[\w\-&' ]+|\u201c[^\u201d]+\u201d)(?:, (?:[\w\-&' ]+|\u201c[^\u201d]+\u201d))*), like (?P<name>{n})$",
             "tagged_line"),
            (rf"it sounds like (?P<genres>{heard})(?:, with (?P<parts>{heard}))?, close to (?P<name>{n})", "heard_close"),
            (rf"it has (?P<parts>{heard}), close to (?P<name>{n})", "heard_close"),
            (rf"it (?P<verb>sounds|looks) like (?P<name>{n})", "sounds_like"),
            (rf"^(?P<verb>sounds|looks) like (?P<name>{n})$", "sounds_like"),
            (r"it (?P<verb>sounds|looks) like what you (?:play|watch)", "sounds_like_taste"),
            (r"it (?P<verb>sounds|looks) alike", "sounds_like_context"),
            (rf"similar (?P<f1>tempo|key)(?: and (?P<f2>tempo|key))? to (?P<name>{n})", "similar_features_line"),
            (rf"(?:it (?:also )?has )?the same tempo \((?P<a>{num}) BPM\)", "same_tempo"),
            (rf"(?:it (?:also )?has )?a similar tempo \((?P<a>{num}) and (?P<b>{num}) BPM\)", "similar_tempo"),
            (rf"(?:it (?:also )?has )?the same key \((?P<k>{key})\)", "same_key"),
            (rf"(?:it (?:also )?has )?a related key \((?P<k>{key}) and (?P<k2>{key})\)", "related_key"),
            (rf"(?<=\)), like (?P<name>{n})", "features_of"),
            (r"it matches your search for (?P<q>[^.;]+?)(?=\.|;|, and |$)", "search"),
            (r"your search for (?P<q>[^.;]+?) fits it", "search"),
            (r"^matches (?P<q>\u201c.+)$", "search"),
            (rf"^found by your search through (?P<tags>{tags})$", "search_terms"),
            (r"^close in meaning to \u201c(?P<q>[^\u201d]*)\u201d$", "search"),
            (r"^(?P<fits>.+), as you asked$", "search_features"),
            (r"^(?P<fits>.+), for \u201c(?P<asked>[^\u201d]+)\u201d$", "search_features"),
            (rf"you liked (?:music by )?(?P<name>{n}|it|this (?:track|film))", "liked"),
            (rf"it is by (?P<artist>{n}) too", "same_artist"),
            (rf"it is another (?P<thing>track|film) by (?P<artist>{n})", "same_artist"),
            (rf"^more from (?P<artist>{n})$", "artist_line"),
            (rf"it is a (?P<thing>track|film)(?! you have)(?: by (?P<artist>{n}))?(?: from (?P<year>\d{{4}}))?"
             rf"(?:, genre \u201c(?P<genre>[^\u201d]+)\u201d)?", "facts"),
            (rf"from your library: (?:(?P<name>{n})|this (?P<thing>track|film))(?: by (?P<artist>{n}))?(?:: (?P<rest>[^.]+))?",
             "fallback"),
            (rf"because you played (?P<name>{n})$", "because_line"),
            (rf"you (?:have )?(?:played|watched) (?P<name>{n})(?: {COUNT})?", "played_named"),
            (r"^you skipped it (?P<t>once|twice|\d+ times|before)$", "skips_line"),
            (r"^you disliked something similar$", "disliked_line"),
        ]
        return [(re.compile(p, re.IGNORECASE), kind) for p, kind in raw]

    def check(self, text: str, ctx: Context) -> tuple[list[Claim], list[str]]:
        """(claims with verdicts, fragments no pattern explains) of one shown text."""
        text = text.strip()
        body = text[:-1] if text.endswith(".") else text
        masks: dict[str, str] = {}
        for n, name in enumerate(self.split_names):  # a name with ". " or "; " in it is not two sentences
            if name in body:
                masks[f"\x00{n}\x00"] = name
                body = body.replace(name, f"\x00{n}\x00")
        parts = [s.strip() for s in re.split(r"(?<=[.;])\s+", body)]
        claims: list[Claim] = []
        left: list[str] = []
        context_other: list[int] = []
        for part in parts:
            part = part.rstrip(".;")
            for mask, name in masks.items():
                part = part.replace(mask, name)
            found: list[tuple[int, int, re.Match, str]] = []
            for pattern, kind in self._patterns:
                for m in pattern.finditer(part):
                    found.append((m.start(), m.end(), m, kind))
            found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
            taken: list[tuple[int, int, re.Match, str]] = []
            for f in found:
                if all(f[0] >= t[1] or f[1] <= t[0] for t in taken):
                    taken.append(f)
            taken.sort(key=lambda f: f[0])
            names_here = [self.ids_named(m.group("name")) for _, _, m, _ in taken
                          if "name" in m.groupdict() and m.group("name") and self.ids_named(m.group("name"))]
            for _, _, m, kind in taken:
                named = self.ids_named(m.group("name")) if "name" in m.groupdict() and m.group("name") else []
                context_other_list = named if named and kind != "liked" else context_other
                if kind in ("same_tempo", "similar_tempo", "same_key", "related_key"):
                    context_other_list = next((x for x in names_here), context_other_list)
                claims.extend(self._judge(kind, m, ctx, context_other_list))
                if named and kind not in ("liked", "same_artist", "artist_line", "facts", "fallback"):
                    context_other = named
            rest = part
            for s, e, _, _ in sorted(taken, key=lambda f: -f[0]):
                rest = rest[:s] + " " + rest[e:]
            words = [w for w in re.findall(r"[\w'\-]+", rest.lower()) if w not in OPENER_WORDS]
            if words:
                left.append(rest.strip())
        return claims, left

    def _judge(self, kind: str, m: re.Match, ctx: Context, others: list[int]) -> list[Claim]:
        g = m.groupdict()
        said = m.group(0)
        item = ctx.item
        out: list[Claim] = []

        def claim(k: str, ok: bool, why: str = "") -> None:
            out.append(Claim(k, bool(ok), said, why))

        thing = g.get("thing")
        if thing:
            kind_of = self.items.get(item, {}).get("kind")
            claim("kind", (thing == "film") == (kind_of == "video"), f"item kind {kind_of}")

        def any_other(test) -> bool:
            return any(test(o) for o in others)

        if kind == "never_played":
            claim("never_played", self.heard[item] == 0, f"{self.heard[item]} plays heard")
        elif kind == "days_since":
            d = int(g.get("d") or g.get("d2") or g.get("d3"))
            last = self.last_real.get(item)
            real = int((self.now - last) // DAY) if last else None
            claim("days_since", real is not None and abs(real - d) <= 1, f"{real} days")
        elif kind == "not_lately":
            last = self.last_real.get(item)
            claim("days_since", last is not None and self.now - last >= LATELY_DAYS * DAY, "last real play")
        elif kind == "play_count":
            n = _count(g.get("t")) if g.get("t") else int(g.get("n") or g.get("n2"))
            claim("play_count", self.real[item] == n, f"{self.real[item]} real plays")
        elif kind == "plays_often":
            claim("play_count", self.real[item] >= OFTEN, f"{self.real[item]} real plays")
        elif kind in ("played_together", "often_together", "played_together_line"):
            def together(o: int) -> int:
                return len(self.session_of.get(item, set()) & self.session_of.get(o, set()))
            if kind == "played_together":
                n = _count(g["t"])
                claim("played_together", any_other(lambda o: together(o) == n), f"sessions {[together(o) for o in others]}")
            elif kind == "often_together":
                claim("played_together", any_other(lambda o: together(o) >= OFTEN), f"sessions {[together(o) for o in others]}")
            else:
                n = 2 if g.get("twice") else 1
                claim("played_together", any_other(lambda o: together(o) == n), f"sessions {[together(o) for o in others]}")
        elif kind == "same_playlist":
            claim("same_playlist", any_other(lambda o: any(item in p and o in p for p in self.playlists)))
        elif kind == "heard_close":
            conf = self.tag_confidence.get(item, {})
            for w in [w for part in (g.get("genres"), g.get("parts")) if part for w in part.split(" and ")]:
                claim("sounds_like_tag", conf.get(w.strip().lower(), 0.0) >= 0.5 - 1e-9, f"confidence {conf.get(w)}")
            sims = [self.similarity(item, o, "audio") for o in others]
            claim("similar_sound", any(s is not None and s >= SIM_MIN - 1e-6 for s in sims), f"cosine {sims}")
        elif kind in ("sounds_like", "sounds_like_context"):
            modality = "audio" if (g.get("verb") or "").lower() == "sounds" else "video"
            sims = [self.similarity(item, o, modality) for o in others]
            claim(f"similar_{'sound' if modality == 'audio' else 'look'}",
                  any(s is not None and s >= SIM_MIN - 1e-6 for s in sims), f"cosine {sims}")
        elif kind == "sounds_like_taste":
            modality = "audio" if g["verb"].lower() == "sounds" else "video"
            claim("similar_sound", item in self.vectors[modality] and bool(self.real), "analysed, history")
        elif kind == "similar_features_line":
            for f in {g["f1"], g.get("f2")} - {None}:
                if f.lower() == "tempo":
                    claim("tempo", any_other(lambda o: self._close_tempo(item, o)), "")
                else:
                    claim("key", any_other(lambda o: bool(self.key(item) and self.key(o)
                                                          and _related(self.key(item), self.key(o)))), "")
        elif kind in ("same_tempo", "similar_tempo"):
            a = float(g["a"])
            b = float(g["b"]) if g.get("b") else a

            def holds(o: int) -> bool:
                ta, tb = self.tempo(item), self.tempo(o)
                return bool(ta and tb and _rounds_to(ta, a) and _rounds_to(tb, b) and self._close_tempo(item, o))
            claim("tempo", any_other(holds), f"stored {self.tempo(item)} / {[self.tempo(o) for o in others]}")
        elif kind == "same_key":
            k = g["k"]
            claim("key", self.key(item) == k and any_other(lambda o: self.key(o) == k),
                  f"stored {self.key(item)} / {[self.key(o) for o in others]}")
        elif kind == "related_key":
            a, b = g["k"], g["k2"]
            claim("key", self.key(item) == a and any_other(lambda o: self.key(o) == b) and _related(a, b),
                  f"stored {self.key(item)} / {[self.key(o) for o in others]}")
        elif kind == "features_of":
            pass  # the features before it are checked against this item (see check())
        elif kind in ("tagged", "tagged_line", "fits_video_tagged", "fits_video_line"):
            raw = g.get("tags") or g.get("words") or ""
            quoted = re.findall("\u201c([^\u201d]+)\u201d", raw)
            words = quoted + [w.strip() for w in re.sub("\u201c[^\u201d]+\u201d", "", raw).split(",") if w.strip()
                              and w.strip() not in ("and",)]
            if kind.startswith("fits"):
                video = others[0] if others else None
                claim("fits_video", video in self.fits and self.items.get(video, {}).get("kind") == "video"
                      and ctx.mode == "fits-video", f"video {video}")
            mine = self.words(item)
            for w in filter(None, (_word(x) for x in words)):
                ok = w in mine and (not others or any(w in self.words(o) for o in others))
                claim("tagged", ok, f"{w!r}")
        elif kind == "fits_video":
            video = others[0] if others else None
            sim = self.similarity(item, video, "text") if video else None
            claim("fits_video", video in self.fits and ctx.mode == "fits-video" and sim is not None
                  and sim >= SIM_MIN - 1e-6, f"cosine {sim}")
        elif kind == "described_like":
            sims = [self.similarity(item, o, "text") for o in others]
            claim("similar_text", any(s is not None and s >= SIM_MIN - 1e-6 for s in sims), f"cosine {sims}")
        elif kind == "search":
            q = g["q"]
            words = re.findall("\u201c([^\u201d]+)\u201d", q) or [w for w in re.split(r",\s*| and ", q) if w]
            runs = [query for query, ids in self.searches.items() if item in ids and ctx.query == query]
            ok = bool(runs) and all(any(_word(w) in _word(query) or _word(query) in _word(w) for query in runs)
                                    for w in words)
            claim("search", ok, f"searches showing it: {runs}")
        elif kind == "search_terms":
            runs = [query for query, ids in self.searches.items() if item in ids and ctx.query == query]
            claim("search", bool(runs), f"searches showing it: {runs}")
            row = self.conn.execute("SELECT title, artist, album, genre, tags, sidecar FROM items_fts WHERE rowid = ?",
                                    (item,)).fetchone()  # every word the search could find it by
            text = " " + _word(" ".join(str(v or "") for v in (row or ())) + " " + " ".join(self.words(item))
                               ).replace("-", " ") + " "
            for w in re.findall("\u201c([^\u201d]+)\u201d", g["tags"]):
                claim("item_words", f" {_word(w).replace('-', ' ')} " in text, w)
        elif kind == "search_features":
            runs = [query for query, ids in self.searches.items() if item in ids and ctx.query == query]
            claim("search", bool(runs), f"searches showing it: {runs}")
            for bit in re.split(r", | and ", g["fits"]):
                claim("search_feature", self._feature_fits(item, bit.strip().lower()), bit)
            if g.get("asked"):  # "In a minor key, for “sad”": the word was in the search
                claim("search", g["asked"].lower() in (ctx.query or "").lower().split(), f"query {ctx.query!r}")
        elif kind == "liked":
            who = g["name"]
            if who.lower() in ("it", "this track", "this film"):
                claim("liked", self.ratings.get(item) == 1, "")
            else:
                named = self.ids_named(who)
                liked_artist = any(self.ratings.get(i) == 1 and _display(r["artist"]).casefold() == who.casefold()
                                   for i, r in self.items.items())
                claim("liked", any(self.ratings.get(i) == 1 for i in named) or liked_artist, "")
        elif kind in ("same_artist", "artist_line"):
            artist = g["artist"].casefold()
            mine = _display(self.items.get(item, {}).get("artist")).casefold() == artist
            if kind == "artist_line":
                claim("same_artist", mine, "")
            else:
                seed = self.items.get(ctx.seed or -1, {})
                others_by = any(_display(r["artist"]).casefold() == artist and i != item
                                and (self.heard[i] or self.ratings.get(i) == 1) for i, r in self.items.items())
                claim("same_artist", mine and (_display(seed.get("artist")).casefold() == artist or others_by), "")
        elif kind == "facts":
            r = self.items.get(item, {})
            if g.get("artist"):
                claim("artist", _display(r.get("artist")).casefold() == g["artist"].casefold(), "")
            if g.get("year"):
                claim("year", str(r.get("year") or "") == g["year"], f"stored {r.get('year')}")
            if g.get("genre"):
                claim("genre", _word(g["genre"]) in self.words(item), f"stored {r.get('genre')!r}")
        elif kind == "fallback":
            r = self.items.get(item, {})
            if g.get("name"):
                claim("title", _display(r.get("title")).casefold() == g["name"].casefold(), "")
            if g.get("artist"):
                claim("artist", _display(r.get("artist")).casefold() == g["artist"].casefold(), "")
            for bit in re.split(r", | and ", g.get("rest") or ""):
                bit = bit.strip()
                if bit.startswith("genre"):
                    for v in re.findall("\u201c([^\u201d]+)\u201d", bit):
                        claim("genre", _word(v) in self.words(item), v)
                elif bit:
                    claim("descriptor", _word(bit) in self.words(item), bit)
        elif kind == "because_line":
            named = self.ids_named(g["name"])
            claim("play_count", any(self.real[i] > 0 for i in named), "")
        elif kind == "played_named":
            named = self.ids_named(g["name"])
            n = _count(g.get("t"))
            claim("play_count", any((self.real[i] == n) if n else self.real[i] > 0 for i in named),
                  f"{[self.real[i] for i in named]} real plays")
        elif kind == "skips_line":
            skips = self.heard[item] - self.real[item]
            n = _count(g["t"]) if g["t"] != "before" else None
            claim("skips", skips == n if n else skips > 0, f"{skips} skips")
        elif kind == "disliked_line":
            claim("disliked", any(v == -1 for v in self.ratings.values()), "")
        return out

    def _close_tempo(self, a: int, b: int) -> bool:
        ta, tb = self.tempo(a), self.tempo(b)
        return bool(ta and tb and abs(ta - tb) <= TEMPO_CLOSE * max(ta, tb) + 1e-6)

    def _feature_fits(self, item: int, bit: str) -> bool:
        f = self.audio.get(item) or {}
        m = re.match(r"(fast|slow)?\s*\(?(\d+) bpm\)?", bit)
        if m:
            t = self.tempo(item)
            if t is None or abs(t - int(m.group(2))) > 0.5:
                return False
            return (m.group(1) != "fast" or t >= 118) and (m.group(1) != "slow" or t <= 105)
        if bit in ("energetic", "quiet"):
            rms = f.get("rms_db")
            if rms is None:
                return False
            energy = min(max((float(rms) + 40.0) / 30.0, 0.0), 1.0)
            return energy >= 0.55 if bit == "energetic" else energy <= 0.45
        if bit in ("in a major key", "in a minor key"):
            return f.get("mode") == bit.split()[2]
        return False


def _rounds_to(value: float, said: float) -> bool:
    return abs(value - said) <= (0.5 if said == int(said) else 0.05) + 1e-6


# ----- the scripted library and history --------------------------------------------------------------
HABITS = {
    "battle": ["battle", "battle-epic", "frantic", "siege_of_laurelmor", "vengeful", "the_city_falls",
               "casualties_of_war", "knalgan_theme", "northerners", "weight_of_revenge", "heroes_rite"],
    "calm": ["sad", "love_theme", "nunc_dimittis", "transience", "silvan_sanctuary", "elf-land",
             "elvish-theme", "wanderer", "journeys_end", "knolls"],
    "dark": ["into_the_shadows", "the_deep_path", "underground", "suspense", "revelation", "the_king_is_dead"],
}


def build_library(data: Path, media: Path):
    from core.library import Library

    lib = Library(data)
    lib.settings.llm_enabled = False  # the audit proper judges the template; --judge adds the model
    roots = [str(media / "music"), str(media / "video"), str(media / "edge-cases")]
    report = lib.update(paths=roots)
    lib.forget_history()
    for playlist in lib.playlists():
        lib.delete_playlist(playlist.id)
    return lib, report


def script_history(lib, media: Path, rng: random.Random) -> dict[str, Any]:
    """Sixty days of listening, deterministic (seeded)."""
    from core.models import FAILED, PlayEvent

    items = lib.items(limit=100_000)
    by_stem = {Path(i.path).stem: i for i in items}
    music = {stem: i.id for stem, i in by_stem.items() if "/music/" in i.path}
    videos = {stem: i.id for stem, i in by_stem.items() if "/video/" in i.path}
    duration = {i.id: float(i.duration or 180.0) for i in items}
    now = time.time()
    start = now - 60 * DAY
    counts = Counter()

    def play(item: int, at: float, share: float | None = None, skip_s: float | None = None) -> float:
        d = max(duration.get(item, 180.0), 1.0)
        if skip_s is not None:
            seconds, completed, skipped = min(skip_s, d), min(skip_s, d) / d, True
        else:
            share = 1.0 if share is None else share
            seconds, completed, skipped = d * share, share, False
        lib.record_play(PlayEvent(item_id=item, started_at=at, seconds=seconds, completed=completed,
                                  skipped=skipped, source="player"))
        counts["skips" if skipped else ("partial" if completed < 0.99 else "plays")] += 1
        return at + seconds + rng.uniform(2, 15)

    habit_ids = {h: [music[s] for s in stems if s in music] for h, stems in HABITS.items()}
    rest = [i for s, i in music.items() if not any(s in v for v in HABITS.values())]
    for day in range(60):
        for _ in range(rng.choice((0, 1, 1, 2))):
            habit = rng.choices(list(habit_ids), weights=(5, 4, 2))[0]
            pool = habit_ids[habit]
            t = start + day * DAY + rng.uniform(8, 22) * 3600
            for _ in range(rng.randint(3, 8)):
                item = rng.choice(rest) if rng.random() < 0.1 and rest else rng.choice(pool)
                r = rng.random()
                if r < 0.12:
                    t = play(item, t, skip_s=rng.uniform(3, 25))
                elif r < 0.27:
                    t = play(item, t, share=rng.uniform(0.4, 0.7))
                else:
                    t = play(item, t)
    if videos:
        names = sorted(videos)
        bunny = videos.get("bigbuckbunny", videos[names[0]])
        play(videos.get("bikes", bunny), start + 5 * DAY + 20 * 3600)
        play(bunny, start + 12 * DAY + 21 * 3600, share=0.37)      # watched 37 %: a partial play
        play(bunny, start + 20 * DAY + 21 * 3600, skip_s=8)         # skipped another day
        for name in names:
            if "carphone" in name:
                play(videos[name], start + 25 * DAY + 19 * 3600, skip_s=5 if "distorted" in name else None)
        t = start + 40 * DAY + 18 * 3600                            # bunny, a manual pick, then music
        t = play(bunny, t, skip_s=10)
        t = play(music.get("sad", next(iter(music.values()))), t + 110)
        play(music.get("love_theme", next(iter(music.values()))), t + 5)
    t = now - 2 * 3600                                              # a session two hours ago
    for stem in ("sad", "nunc_dimittis", "transience"):
        if stem in music:
            t = play(music[stem], t)
    liked = [music[s] for s in ("battle-epic", "sad", "knolls", "heroes_rite") if s in music]
    for item in liked:
        lib.rate(item, "like")
    if "bikes" in videos:
        lib.rate(videos["bikes"], "like")
    if "defeat2" in music:
        lib.rate(music["defeat2"], "dislike")
    playlist = [by_stem[s].path for s in ("victory", "victory2", "main_menu", "loyalists", "return_to_wesnoth",
                                          "traveling_minstrels") if s in by_stem]
    folder = Path(tempfile.mkdtemp(prefix="encore-audit-"))
    m3u = folder / "imported.m3u"
    m3u.write_text("#EXTM3U\n" + "\n".join(playlist + [str(media / "music" / "gone.ogg")]) + "\n", encoding="utf-8")
    imported = lib.import_history(str(m3u))
    shutil.rmtree(folder, ignore_errors=True)
    broken = lib.items(status="failed", limit=1000) or [i for i in items if "/edge-cases/" in i.path]
    failed_play = broken[0].id if broken else None
    if failed_play is not None:  # the player could not play a broken file: recorded, never a play
        lib.record_play(PlayEvent(item_id=failed_play, started_at=now - 3 * 3600, seconds=0.0, outcome=FAILED))
        counts["failed"] += 1
    return {"events": dict(counts), "liked": len(liked) + ("bikes" in videos), "m3u": {
        k: imported.get(k) for k in ("rows", "matched", "unmatched")}, "failed_play_item": failed_play,
        "music": music, "videos": videos}


# ----- what is shown ---------------------------------------------------------------------------------
@dataclass
class Shown:
    """One shown text and how it came to be shown."""

    text: str
    where: str           # explanation | card | tooltip
    ctx: Context
    source: str = ""


@dataclass
class Collected:
    shown: list[Shown] = field(default_factory=list)
    evidence: list[tuple[Any, Context]] = field(default_factory=list)   # (Evidence, ctx) for --judge
    asked: list[tuple[int, int | None, list, Context]] = field(default_factory=list)  # explain() calls, for the baseline
    modes: Counter = field(default_factory=Counter)
    other_kind: int = 0
    picks: int = 0


def show_recs(lib, recs, mode: str, seed: int | None, out: Collected, explain_seed: bool = True,
              query: str | None = None) -> None:
    from core.explain.reasons import evidence_for
    from core.library import reason_line, short_reason

    seed_kind = lib.item(seed).kind if seed is not None else None
    for rec in recs:
        ctx = Context(item=rec.item.id, mode=mode, seed=seed, query=query)
        out.picks += 1
        if seed_kind and mode in ("more-like", "radio", "because") and rec.item.kind != seed_kind:
            out.other_kind += 1
        line = short_reason(rec.reasons)
        if line:
            out.shown.append(Shown(line, "card", ctx))
        for r in rec.reasons:
            out.shown.append(Shown(reason_line(r), "tooltip", ctx))
        s = seed if explain_seed else None
        expl = lib.explain(rec.item.id, seed=s, reasons=list(rec.reasons))
        out.shown.append(Shown(expl.text, "explanation", ctx, expl.source))
        out.asked.append((rec.item.id, s, list(rec.reasons), ctx))
        out.evidence.append((evidence_for(lib, rec.item.id, seed=s, reasons=list(rec.reasons)), ctx))
        out.modes[mode] += 1


def collect(lib, verifier: Verifier, history: dict[str, Any]) -> tuple[Collected, dict[str, Any]]:
    from core.library import reason_line

    out = Collected()
    music, videos = history["music"], history["videos"]
    show_recs(lib, lib.recommend(mode="for-you", limit=16), "for-you", None, out, explain_seed=False)
    last = lib.last_played()                               # the For You shelf's seed
    if last:
        show_recs(lib, lib.recommend(seed=last[0], mode="because", limit=16), "because", last[0], out)
    recs = lib.recommend(mode="because", limit=16)         # the CLI's `recommend --mode because`
    show_recs(lib, recs, "because", None, out, explain_seed=False)
    for seed in list(music.values()) + list(videos.values()):
        kind = lib.item(seed).kind
        show_recs(lib, lib.recommend(seed=seed, mode="more-like", kind=kind, limit=16), "more-like", seed, out)
    radio: dict[int, list[int]] = {}
    for stem in ("sad", "battle-epic", "into_the_shadows", "main_menu", "knolls", "victory"):
        if stem in music:
            recs = lib.recommend(seed=music[stem], mode="radio", limit=50)
            radio[music[stem]] = [r.item.id for r in recs]
            show_recs(lib, recs, "radio", music[stem], out)
    for video in videos.values():
        verifier.fits.add(video)
        show_recs(lib, lib.recommend(seed=video, mode="fits-video", kind="audio", limit=16), "fits-video", video, out)
    for query in ("calm", "battle music", "sad", "epic battle", "bunny", "fast energetic", "slow quiet music",
                  "happy", "elves"):
        hits = lib.search(query, limit=10)
        verifier.searches[query] = {h.item.id for h in hits}
        show_recs(lib, hits, "search", None, out, explain_seed=False, query=query)
    for seed in list(music.values())[:12]:                  # `encore explain ITEM --seed S` (no reasons given)
        for rec in lib.recommend(seed=seed, mode="more-like", limit=3):
            expl = lib.explain(rec.item.id, seed=seed)
            out.shown.append(Shown(expl.text, "explanation", Context(rec.item.id, "explain", seed), expl.source))
            out.modes["explain --seed"] += 1
    del reason_line
    return out, radio


def audit(verifier: Verifier, shown: list[Shown]) -> dict[str, Any]:
    by_kind: Counter = Counter()
    false_by_kind: Counter = Counter()
    false_examples: list[dict] = []
    unverified: list[dict] = []
    for s in shown:
        claims, left = verifier.check(s.text, s.ctx)
        for c in claims:
            by_kind[c.kind] += 1
            if not c.ok:
                false_by_kind[c.kind] += 1
                if sum(e["claim"] == c.kind for e in false_examples) < 5:  # a few of each kind
                    false_examples.append({"text": s.text, "where": s.where, "mode": s.ctx.mode, "item": s.ctx.item,
                                           "claim": c.kind, "said": c.said, "stored": c.why})
        for fragment in left:
            if len(unverified) < 25:
                unverified.append({"text": s.text, "fragment": fragment, "where": s.where, "mode": s.ctx.mode})
    return {"claims_checked": sum(by_kind.values()), "claims_false": sum(false_by_kind.values()),
            "claims_by_kind": dict(sorted(by_kind.items())), "false_by_kind": dict(sorted(false_by_kind.items())),
            "false_examples": false_examples,
            "unverified_fragments": sum(len(verifier.check(s.text, s.ctx)[1]) for s in shown),
            "unverified_examples": unverified}


def unchecked_baseline(lib, verifier: Verifier, asked: list) -> dict[str, Any]:
    """The same explanations with the explain-time check of the stored facts switched off (the reasons
    used as they were given, as before issue 14): how many of their claims are false."""
    from core.explain import reasons as explain_reasons

    real = explain_reasons.true_reasons
    explain_reasons.true_reasons = lambda ctx, item_id, reasons, now=None: list(reasons)
    try:
        shown = [Shown(lib.explain(item, seed=seed, reasons=rs).text, "explanation", ctx) for item, seed, rs, ctx in asked]
    finally:
        explain_reasons.true_reasons = real
    result = audit(verifier, shown)
    return {"explanations": len(shown), **{k: result[k] for k in ("claims_checked", "claims_false", "false_by_kind")},
            "false_examples": result["false_examples"][:6]}


def coherence(lib, verifier: Verifier, radio: dict[int, list[int]]) -> dict[str, Any]:
    """Seed similarity by queue position, with the drift bound and (baseline) without it."""
    from core.recommend import engine

    def measure(queues: dict[int, list[int]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, lo, hi in (("1-10", 0, 10), ("11-30", 10, 30), ("31-50", 30, 50)):
            sims = [s for seed, q in queues.items() for j in q[lo:hi]
                    if (s := verifier.seed_similarity(seed, j)) is not None]
            out[name] = {"n": len(sims), "mean": round(statistics.fmean(sims), 3) if sims else None,
                         "min": round(min(sims), 3) if sims else None}
        out["other_kind"] = sum(lib.item(j).kind != lib.item(seed).kind for seed, q in queues.items() for j in q)
        return out

    bounded = measure(radio)
    real = engine._radio_bound
    engine._radio_bound = lambda *a, **k: None
    try:
        unbounded = measure({seed: [r.item.id for r in lib.recommend(seed=seed, mode="radio", limit=50)]
                             for seed in radio})
    finally:
        engine._radio_bound = real
    return {"bounded": bounded, "baseline_unbounded": unbounded,
            "queue_lengths": {str(k): len(v) for k, v in radio.items()}}


# ----- the blind judge -------------------------------------------------------------------------------
def _syllables(word: str) -> int:
    groups = re.findall(r"[aeiouy]+", word.lower())
    n = len(groups) - (1 if word.lower().endswith("e") and len(groups) > 1 else 0)
    return max(n, 1)


def text_metrics(text: str, verifier: Verifier, ctx: Context) -> dict[str, float]:
    claims, left = verifier.check(text, ctx)
    words = re.findall(r"[A-Za-z']+", text)
    sentences = max(1, len(re.findall(r"[.!]+", text)))
    flesch = 206.835 - 1.015 * len(words) / sentences - 84.6 * sum(map(_syllables, words)) / max(len(words), 1)
    content = [w.lower() for w in words if len(w) > 3]
    repetition = 1 - len(set(content)) / len(content) if content else 0.0
    return {"false": sum(not c.ok for c in claims), "true": sum(c.ok for c in claims), "unverified": len(left),
            "words": len(words), "flesch": round(flesch, 1), "repetition": round(repetition, 3)}


def judge_pair(a: dict[str, float], b: dict[str, float]) -> int:
    """+1 when text a is better, -1 when b is, 0 for a tie: fewer false claims, then less unverified text,
    then more true claims, then easier reading (Flesch, in steps of 5), then less repetition."""
    keys = (("false", -1), ("unverified", -1), ("true", 1))
    for key, sign in keys:
        if a[key] != b[key]:
            return sign if a[key] > b[key] else -sign
    fa, fb = round(a["flesch"] / 5), round(b["flesch"] / 5)
    if fa != fb:
        return 1 if fa > fb else -1
    if abs(a["repetition"] - b["repetition"]) > 0.05:
        return 1 if a["repetition"] < b["repetition"] else -1
    return 0


def judge(lib, verifier: Verifier, evidence: list[tuple[Any, Context]], n: int, rng: random.Random,
          llm_model: str) -> dict[str, Any]:
    from core.explain.service import explain_evidence
    from core.explain.templates import OPENERS

    lib.settings.llm_enabled = True
    if llm_model:
        lib.settings.llm_model = llm_model
    sample = rng.sample(evidence, min(n, len(evidence)))
    pairs, results = [], Counter()
    seconds: list[float] = []
    means: dict[str, list[dict]] = {"template": [], "llm": []}
    for ev, ctx in sample:
        lib.settings.extra["llm_explain"] = "template"
        template = explain_evidence(lib, ev).text
        lib.settings.extra["llm_explain"] = "llm"
        start = time.perf_counter()
        model = explain_evidence(lib, ev)
        seconds.append(time.perf_counter() - start)
        results["model_text_accepted" if model.source == "llm" else "model_fell_back_to_template"] += 1
        if model.text == template:
            results["identical"] += 1
        elif _without_opener(model.text, OPENERS) == _without_opener(template, OPENERS):
            results["differ_only_in_opener"] += 1
        texts = [("template", template), ("llm", model.text)]
        rng.shuffle(texts)  # blind: the judge sees A and B, not who wrote them
        ma, mb = (text_metrics(t, verifier, ctx) for _, t in texts)
        verdict = judge_pair(ma, mb)
        winner = "tie" if verdict == 0 else texts[0 if verdict > 0 else 1][0]
        results[f"{winner}_wins" if winner != "tie" else "ties"] += 1
        for (who, _), m in zip(texts, (ma, mb), strict=True):
            means[who].append(m)
        if len(pairs) < 8:
            pairs.append({"template": template, "llm": model.text, "winner": winner})
    lib.settings.extra.pop("llm_explain", None)
    avg = {who: {k: round(statistics.fmean(m[k] for m in ms), 3) for k in ms[0]} for who, ms in means.items() if ms}
    wins, losses = results["llm_wins"], results["template_wins"]
    p = sign_test(wins, losses)
    # The model earns the default only by winning clearly (two-sided sign test over the decided pairs,
    # p < 0.05): it costs a model load and a second or more per explanation; a draw keeps the template.
    better = wins > losses and p < 0.05
    return {"pairs": len(sample), **dict(results), "sign_test_p": round(p, 4), "means": avg,
            "model": lib.llm().name if lib.settings.llm_enabled else "",
            "model_seconds_per_explanation": round(statistics.median(seconds), 3) if seconds else None,
            "default_should_be": "llm" if better else "template", "examples": pairs}


def sign_test(wins: int, losses: int) -> float:
    """Two-sided sign test: the chance of a split at least this uneven if both writers were as good."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def _without_opener(text: str, openers) -> str:
    for opener in sorted(openers, key=len, reverse=True):
        if text.startswith(opener):
            text = text[len(opener):]
            break
    return text[:1].lower() + text[1:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--media", default=str(MEDIA))
    ap.add_argument("--data", help="library folder to build (and keep) the corpus in; default: a temp folder")
    ap.add_argument("--judge", type=int, default=0, help="judge N explanations written by the model vs the template")
    ap.add_argument("--llm-model", default="", help="a GGUF to judge instead of the bundled model")
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    media = Path(args.media)
    if not (media / "music" / "wesnoth").is_dir():
        print(json.dumps({"skipped": f"the real corpus is not at {media} (music/wesnoth, video, edge-cases): "
                                     "set ENCORE_REAL_MEDIA or --media"}))
        return 0
    started = time.perf_counter()
    temp = None if args.data else tempfile.mkdtemp(prefix="encore-audit-data-")
    data = Path(args.data or temp)
    rng = random.Random(args.seed)
    lib, report = build_library(data, media)
    try:
        build_s = time.perf_counter() - started
        history = script_history(lib, media, rng)
        verifier = Verifier(lib.paths.data_dir / "library.sqlite3", lib.settings.profile,
                            lib.settings.session_gap_minutes)
        collected, radio = collect(lib, verifier, history)
        verifier.refresh()  # the same facts the explanations were spoken from
        verifier_searches, verifier_fits = verifier.searches, verifier.fits
        result = audit(verifier, collected.shown)
        out = {
            "corpus": str(media), "items": lib.item_counts(),
            "history": {k: history[k] for k in ("events", "liked", "m3u", "failed_play_item")},
            "explanations": sum(s.where == "explanation" for s in collected.shown),
            "reason_lines": sum(s.where != "explanation" for s in collected.shown),
            "by_mode": dict(collected.modes), **result,
            "picks_of_another_kind": collected.other_kind, "picks": collected.picks,
            "radio_coherence": coherence(lib, verifier, radio),
            "baseline_without_the_check_at_speaking": unchecked_baseline(lib, verifier, collected.asked),
        }
        del verifier_searches, verifier_fits
        if args.judge:
            out["judge"] = judge(lib, verifier, collected.evidence, args.judge, rng, args.llm_model)
        out["seconds"] = {"build": round(build_s, 1), "total": round(time.perf_counter() - started, 1)}
        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    finally:
        lib.close()
        if temp:
            shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
