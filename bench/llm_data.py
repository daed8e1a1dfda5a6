"""Realistic recommendations with Reasons for the LLM benchmark, built from the shared Last.fm and
MovieLens datasets (read from ../shared/datasets; never shipped).

Each pick: a user's most-played artist / best-rated film as the seed, the most co-listened/co-rated
item the user has not had yet as the recommendation, and the reasons a hybrid recommender would give
(because_you_played/liked, co_played with the number of users in common, shared tags as
similar_text, fresh).
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from core.explain.evidence import Evidence, build_evidence
from core.models import Reason

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def _tsv(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        rows = [line.rstrip("\r\n").split("\t") for line in fh]
    return rows[1:]


def lastfm(n: int, rng: random.Random) -> list[Evidence]:
    root = DATASETS / "hetrec2011-lastfm-2k"
    names = {int(r[0]): r[1] for r in _tsv(root / "artists.dat") if len(r) > 1}
    tag_names = {int(r[0]): r[1] for r in _tsv(root / "tags.dat", "latin-1") if len(r) > 1}
    plays: dict[int, dict[int, int]] = defaultdict(dict)
    listeners: dict[int, set[int]] = defaultdict(set)
    for u, a, w in _tsv(root / "user_artists.dat"):
        plays[int(u)][int(a)] = int(w)
        listeners[int(a)].add(int(u))
    tags: dict[int, Counter] = defaultdict(Counter)
    for row in _tsv(root / "user_taggedartists.dat"):
        tags[int(row[1])][tag_names.get(int(row[2]), "")] += 1
    top_tags = {a: [t for t, _ in c.most_common(6) if t] for a, c in tags.items()}
    out = []
    users = sorted(plays)
    rng.shuffle(users)
    for user in users:
        if len(out) >= n:
            break
        seed = max(plays[user], key=plays[user].get)
        co: Counter = Counter()
        for other in listeners[seed]:
            co.update(a for a in plays[other] if a not in plays[user])
        if not co:
            continue
        rec, count = co.most_common(1 + len(out) % 3)[-1]
        shared = [t for t in top_tags.get(rec, []) if t in top_tags.get(seed, [])][:3]
        reasons = [Reason("because_you_played", 0.5, {"item": seed, "title": names[seed],
                                                      "plays": plays[user][seed]}),
                   Reason("co_played", 0.4, {"with": seed, "with_title": names[seed], "count": count})]
        if shared:
            reasons.append(Reason("similar_text", 0.3, {"to": seed, "to_title": names[seed], "shared": shared}))
        reasons.append(Reason("fresh", 0.05, {}))
        genre = (top_tags.get(rec) or [""])[0]
        out.append(build_evidence(rec, {"kind": "audio", "title": names[rec], "artist": names[rec],
                                        "genre": genre}, reasons))
    return out


def movielens(n: int, rng: random.Random) -> list[Evidence]:
    root = DATASETS / "ml-latest-small"
    movies = {}
    with open(root / "movies.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            m = re.match(r"(.*) \((\d{4})\)\s*$", row["title"])
            title, year = (m.group(1), int(m.group(2))) if m else (row["title"], None)
            article = re.match(r"(.*), (The|A|An|Les|La|Le|Il|El|Der|Die|Das)$", title)
            title = f"{article.group(2)} {article.group(1)}" if article else title
            movies[int(row["movieId"])] = (title, year, [g for g in row["genres"].split("|") if "(" not in g])
    ratings: dict[int, dict[int, float]] = defaultdict(dict)
    with open(root / "ratings.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            ratings[int(row["userId"])][int(row["movieId"])] = float(row["rating"])
    fans: dict[int, set[int]] = defaultdict(set)
    for u, rs in ratings.items():
        for m, r in rs.items():
            if r >= 4:
                fans[m].add(u)
    tags: dict[int, Counter] = defaultdict(Counter)
    with open(root / "tags.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            tags[int(row["movieId"])][row["tag"].lower()] += 1
    out = []
    users = sorted(ratings)
    rng.shuffle(users)
    for user in users:
        if len(out) >= n:
            break
        liked = [m for m, r in ratings[user].items() if r >= 4.5 and m in movies]
        if not liked:
            continue
        seed = rng.choice(liked)
        co: Counter = Counter()
        for other in fans[seed]:
            co.update(m for m, r in ratings[other].items() if r >= 4 and m not in ratings[user])
        if not co:
            continue
        rec, count = co.most_common(1 + len(out) % 3)[-1]
        s_title, _, s_genres = movies[seed]
        title, year, genres = movies[rec]
        shared = [g.lower() for g in genres if g in s_genres][:2]
        shared += [t for t, _ in tags[rec].most_common(5) if t in tags[seed]][:2]
        reasons = [Reason("liked", 0.5, {"item": seed, "title": s_title}),
                   Reason("co_played", 0.4, {"with": seed, "with_title": s_title, "count": count})]
        if shared:
            reasons.append(Reason("similar_text", 0.3, {"to": seed, "to_title": s_title, "shared": shared}))
        out.append(build_evidence(100_000 + rec, {"kind": "video", "title": title, "year": year,
                                                  "genre": (genres or [""])[0].lower()}, reasons))
    return out


def recommendations(n: int = 100, seed: int = 0) -> list[Evidence]:
    """n realistic picks with reasons: half music (Last.fm), half films (MovieLens)."""
    rng = random.Random(seed)
    music = lastfm(n - n // 2, rng)
    films = movielens(n // 2, rng)
    return [x for pair in zip(music, films, strict=False) for x in pair] + music[len(films):] + films[len(music):]
