"""Tag quality benchmark: do the tagger's phrases make search and "more like this" find what they should?

    ENCORE_REAL_MEDIA=/root/real-media nice .venv/bin/python bench/tag_quality.py [--melodies 6] [--keep DIR]

Material (bench/tag_material.py): the same seeded melodies rendered as piano, organ, strings, guitar and flute
(FluidSynth + the General MIDI soundfont, else additive synthesis), each calm and energetic; espeak-ng speech;
short generated sound effects; the real Wesnoth soundtrack (orchestral) when ENCORE_REAL_MEDIA is set. One
library is scanned, analysed (with the tagger) and embedded, then:

- search, P@10 / random for the queries "piano", "organ", "strings", "speech", "calm", "orchestral":
  (a) today's descriptors (DESCRIPTOR_VERSION 2's describer, no tags: the same library with its phrases
      rewritten that way and re-embedded, searched with Library.search), (b) raw tag ranking (items sorted
      by the probability of the query's tags, AudioMuse-AI's method; null where MusiCNN has no such tag),
      (c) the fused descriptors through Library.search. Each query is judged on a stated pool (the
      soundtrack is not judged for instruments or calm: it is unlabelled there); unjudged items are removed
      from a ranking before P@10 (a condensed list); random = the share of relevant items in the pool.
- "more like this": Library.recommend(mode="more-like") from every music render and soundtrack track: the
  share of the 10 picks with the seed's timbre (and, for renders, its calm/energetic half), over random;
  Radio from the same seeds (length, timbre and calm/energetic share of a 30-pick queue); both again with a
  small library's text vectors uncentred (the baseline of core/recommend/scoring.CENTRE_MIN_ROWS);
  and the same for nearest neighbours in each candidate audio vector (features only, the tagger's MSD or
  MTT embedding, combinations), to choose core.db.features.SONIC_WEIGHTS.
Everything is reported for the development half (even melody / track index: where weights and thresholds
were chosen) and the test half separately. Prints one JSON object.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

QUERIES = ("piano", "organ", "strings", "speech", "calm", "orchestral")
# (b) the MusiCNN tags a query's raw ranking sorts by (mean probability); none for organ or speech.
RAW_TAGS = {"piano": [("mtt", "piano")], "organ": [], "strings": [("mtt", "strings")], "speech": [],
            "calm": [("mtt", "soft"), ("mtt", "quiet"), ("mtt", "slow"), ("msd", "Mellow"), ("msd", "chill"),
                     ("msd", "easy listening")],
            "orchestral": [("mtt", "classical"), ("mtt", "strings"), ("mtt", "violin")]}
VARIANTS = {"features only": (1.0, 0.0, 0.0), "MSD embedding": (0.0, 1.0, 0.0), "MTT embedding": (0.0, 0.0, 1.0),
            "MSD + MTT": (0.0, 1.0, 1.0), "features + MSD": (1.0, 1.0, 0.0), "features + MSD + MTT": (1.0, 1.0, 1.0),
            "features + MTT": (1.0, 0.0, 1.0), "features + 0.5 (MSD + MTT)": (1.0, 0.5, 0.5),
            "features + 0.7 (MSD + MTT)": (1.0, 0.7, 0.7), "features + 1.5 (MSD + MTT)": (1.0, 1.5, 1.5),
            "0.5 features + MSD + MTT": (0.5, 1.0, 1.0)}


def judged(query: str, label: dict) -> bool:
    """Whether an item is judged for a query: the soundtrack is unlabelled for instruments and calm."""
    return not (label["timbre"] == "orchestral" and query in ("piano", "organ", "strings", "calm"))


def relevant(query: str, label: dict) -> bool:
    if query in ("piano", "organ", "strings"):
        return label["timbre"] == query
    if query == "speech":
        return label["class"] == "speech"
    if query == "calm":
        return label["arousal"] == "calm"
    return label["timbre"] == "orchestral"


def p_at_10(ranking: list[int], labels: dict[int, dict], query: str, split: str) -> dict:
    pool = [i for i, lab in labels.items() if judged(query, lab) and lab["split"] == split]
    rel = [i for i in pool if relevant(query, labels[i])]
    pool_set = set(pool)
    condensed = [i for i in ranking if i in pool_set][:10]
    p = sum(relevant(query, labels[i]) for i in condensed) / 10
    rand = len(rel) / len(pool) if pool else 0.0
    return {"p10": round(p, 3), "random": round(rand, 3), "ratio": round(p / rand, 2) if rand else None}


def search_rankings(lib, queries) -> dict[str, list[int]]:
    return {q: [h.item.id for h in lib.search(q, limit=100)] for q in queries}


def rewrite_old_descriptors(lib) -> None:
    """Today's describer (no tags) over the stored features, written as the descriptors (and FTS/terms)."""
    from core.analysis.descriptors import describe
    from core.db import features as db
    from core.db.items import set_fts_descriptors
    from core.db.terms import SOURCE_PHRASES, phrase_terms, write_terms

    with lib.store.write() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM items")]
        classes = db.item_classes_for(conn, ids)
        for item_id in ids:
            audio, video = db.stored_features(conn, item_id)
            phrases = describe(audio, video, classes.get(item_id))
            db.write_descriptors(conn, item_id, 2, phrases, time.time())
            set_fts_descriptors(conn, item_id, phrases)
            write_terms(conn, item_id, SOURCE_PHRASES, phrase_terms(phrases))


def raw_rankings(conn, ids: list[int]) -> dict[str, list[int] | None]:
    from core.db import features as db

    tags = db.audio_tags_for(conn, ids)
    out: dict[str, list[int] | None] = {}
    for q in QUERIES:
        pairs = RAW_TAGS[q]
        if not pairs:
            out[q] = None
            continue
        score = {i: sum(t[m].get(tag, 0.0) for m, tag in pairs) / len(pairs) for i, t in tags.items()}
        out[q] = sorted(score, key=lambda i: (-score[i], i))
    return out


def _matrix(rows):
    import numpy as np

    ids = [r[0] for r in rows]
    M = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1).astype(np.float64)
    M -= M.mean(axis=0, keepdims=True)  # as core/recommend/content.py and core/explain/truth.py compare them
    M /= np.maximum(np.linalg.norm(M, axis=1, keepdims=True), 1e-9)
    return ids, M


def share(picks: list[int], seed: int, labels: dict[int, dict], key: str) -> float:
    return sum(labels[j][key] == labels[seed][key] for j in picks) / max(1, len(picks))


def like_this(conn, lib, labels: dict[int, dict], music: list[int], vectors: bool = True) -> dict:
    """Share of "more like this" picks with the seed's timbre (and arousal), per audio vector (`vectors`) and
    via the product."""
    import numpy as np

    from core.db import features as db

    def summary(picks_of, seeds, key):
        out = {}
        for split in ("dev", "test"):
            chosen = [s for s in seeds if labels[s]["split"] == split and labels[s][key] is not None]
            if not chosen:
                continue
            got = float(np.mean([share(picks_of(s), s, labels, key) for s in chosen]))
            pool = [j for j in music if labels[j][key] is not None]
            rand = float(np.mean([(sum(labels[j][key] == labels[s][key] for j in pool) - 1) / (len(pool) - 1)
                                  for s in chosen]))
            out[split] = {"share": round(got, 3), "random": round(rand, 3), "ratio": round(got / rand, 2)}
        return out

    renders = [i for i in music if labels[i]["arousal"] is not None]
    result: dict = {"vectors": {}}
    for name, weights in VARIANTS.items() if vectors else ():
        ids, M = _matrix(db.sonic_vectors(conn, weights))
        row = {i: n for n, i in enumerate(ids)}
        cand = [row[i] for i in music if i in row]
        S = M[cand] @ M[cand].T
        np.fill_diagonal(S, -np.inf)
        cand_ids = [ids[c] for c in cand]
        near = {cand_ids[n]: [cand_ids[k] for k in np.argsort(-S[n])[:10]] for n in range(len(cand))}
        result["vectors"][name] = {"weights": weights, "timbre": summary(near.get, cand_ids, "timbre"),
                                   "arousal (renders)": summary(near.get, [i for i in renders if i in near],
                                                                "arousal")}
    classed = db.item_classes_for(conn, music)
    seeds = [s for s in music if classed.get(s) == "music"]  # short stings (< 10 s) are sound effects now
    picks = {s: [r.item.id for r in lib.recommend(seed=s, mode="more-like", limit=10)] for s in seeds}
    result[f"product (Library.recommend more-like, audio vector {db.SONIC_WEIGHTS})"] = {
        "seeds": len(seeds), "timbre": summary(picks.get, seeds, "timbre"),
        "arousal (renders)": summary(picks.get, [s for s in renders if s in picks], "arousal"),
        "sound effects or speech among picks": sum(labels[j]["class"] != "music" for p in picks.values() for j in p
                                                   if j in labels)}
    return result


def radio(lib, labels: dict[int, dict], music: list[int], limit: int = 30) -> dict:
    """Radio from every music seed: queue length, and the share of the queue with the seed's timbre and (renders)
    its calm/energetic half."""
    import numpy as np

    from core.db import features as db

    classed = db.item_classes_for(lib.store.reader(), music)
    lengths, timbre, arousal = [], [], []
    for s in (s for s in music if classed.get(s) == "music"):
        picks = [r.item.id for r in lib.recommend(seed=s, mode="radio", limit=limit)]
        lengths.append(len(picks))
        if picks:
            timbre.append(np.mean([labels[j]["timbre"] == labels[s]["timbre"] for j in picks]))
            if labels[s]["arousal"] is not None:
                arousal.append(np.mean([labels[j]["arousal"] == labels[s]["arousal"] for j in picks]))
    return {"asked": limit, "mean length": round(float(np.mean(lengths)), 1), "shortest": int(min(lengths)),
            "timbre share": round(float(np.mean(timbre)), 3), "arousal share (renders)": round(float(np.mean(arousal)), 3)}


def uncentred(data: Path, labels: dict[int, dict], music: list[int]) -> dict:
    """The baseline of the text-centring fix: more like this and Radio with a small library's text vectors only
    normalised, as before it (scoring.whiten's centre_rows out of reach), in the same run."""
    import functools

    from core.library import Library
    from core.recommend import content, scoring

    kept = content.whiten
    content.whiten = functools.partial(scoring.whiten, centre_rows=10**9)
    try:
        lib = Library(data)
        out = {"more_like_this": like_this(lib.store.reader(), lib, labels, music, vectors=False),
               "radio": radio(lib, labels, music)}
        lib.close()
    finally:
        content.whiten = kept
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--melodies", type=int, default=6)
    parser.add_argument("--speech", type=int, default=8)
    parser.add_argument("--effects", type=int, default=6)
    parser.add_argument("--tracks", type=int, default=41, help="soundtrack tracks (ENCORE_REAL_MEDIA)")
    parser.add_argument("--keep", help="keep the material and the library in this folder (reused when present)")
    args = parser.parse_args()

    import tag_material as tm

    from core.db import features as db
    from core.library import Library

    started = time.perf_counter()
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="encore-tag-quality-"))
    media, data, old_data = tmp / "media", tmp / "data", tmp / "data-old"
    fresh = not (media / "labels.json").is_file()
    if fresh:
        media.mkdir(parents=True, exist_ok=True)
        items, renderer = tm.renders(media, args.melodies)
        items += tm.speech(media, args.speech) + tm.sound_effects(media, args.effects)
        real = os.environ.get("ENCORE_REAL_MEDIA")
        if real and (Path(real) / "music" / "wesnoth").is_dir():
            for path, label in tm.soundtrack(media, Path(real) / "music" / "wesnoth", args.tracks):
                shutil.copyfile(path.resolve(), path.with_suffix(".tmp"))
                path.unlink()
                path.with_suffix(".tmp").rename(path)
                items.append((path, label))
        (media / "labels.json").write_text(json.dumps({"renderer": renderer,
                                                       "items": {p.name: lab for p, lab in items}}))
    meta = json.loads((media / "labels.json").read_text())
    out: dict = {"bench": "tag_quality", "renderer": meta["renderer"], "machine": f"{os.cpu_count()} CPUs",
                 "tuned_on": "the dev half only (even melody and track indices): SONIC_WEIGHTS and the phrase "
                             "and mood thresholds of core/tag_language.py; never the issue's held-out clips"}
    if not data.is_dir():
        lib = Library(data)
        lib.scan([str(media)])
        t0 = time.perf_counter()
        report = lib.analyze()
        out["analyze"] = {"analyzed": report["analyzed"], "tagged": report["tagged"], "failed": report["failed"],
                          "seconds": round(time.perf_counter() - t0, 1)}
        lib.embed()
        lib.close()
    lib = Library(data)
    conn = lib.store.reader()
    rows = {r["filename"]: r["id"] for r in conn.execute("SELECT id, filename FROM items")}
    labels = {rows[name]: lab for name, lab in meta["items"].items() if name in rows}
    out["items"] = {k: sum(1 for lab in labels.values() if lab["timbre"] == k)
                    for k in sorted({lab["timbre"] for lab in labels.values()})}
    fused = search_rankings(lib, QUERIES)
    raw = raw_rankings(conn, list(labels))
    music = sorted(i for i, lab in labels.items() if lab["class"] == "music")
    out["more_like_this"] = like_this(conn, lib, labels, music)
    out["radio"] = radio(lib, labels, music)
    out["uncentred_text"] = uncentred(data, labels, music)
    stored = db.item_classes_for(conn, list(labels))
    out["stored_classes"] = {t: _common([[stored.get(i, "none")] for i, lab in labels.items() if lab["timbre"] == t])
                             for t in out["items"]}
    phrases = db.phrases_for(conn, list(labels))
    out["phrases_seen"] = {t: _common([phrases[i] for i, lab in labels.items() if lab["timbre"] == t])
                           for t in out["items"]}
    lib.close()

    if old_data.is_dir():
        shutil.rmtree(old_data)
    shutil.copytree(data, old_data)
    old = Library(old_data)
    rewrite_old_descriptors(old)
    old.embed()
    from core.search import sound

    boost, sound.SOUND_BOOST = sound.SOUND_BOOST, 0.0  # today's search had no tag evidence (the copy keeps its tags)
    try:
        today = search_rankings(old, QUERIES)
    finally:
        sound.SOUND_BOOST = boost
    weights, db.SONIC_WEIGHTS = db.SONIC_WEIGHTS, (1.0, 0.0, 0.0)  # today's audio vector: the features alone
    try:  # "more like this" as it was: today's descriptors in the text vectors, the features as the sound
        out["more_like_this_today"] = like_this(old.store.reader(), old, labels, music, vectors=False)
    finally:
        db.SONIC_WEIGHTS = weights
    old.close()

    out["search"] = {}
    for q in QUERIES:
        out["search"][q] = {split: {"a_today": p_at_10(today[q], labels, q, split),
                                    "b_raw_tags": p_at_10(raw[q], labels, q, split) if raw[q] is not None else None,
                                    "c_fused": p_at_10(fused[q], labels, q, split)} for split in ("dev", "test")}
    out["search_mean_ratio"] = {split: {m: _mean_ratio(out["search"], split, m) for m in ("a_today", "b_raw_tags",
                                                                                          "c_fused")}
                                for split in ("dev", "test")}
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["load"] = os.getloadavg()
    print(json.dumps(out))
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _mean_ratio(search: dict, split: str, method: str) -> float | None:
    ratios = [search[q][split][method]["ratio"] for q in QUERIES
              if search[q][split][method] is not None and search[q][split][method]["ratio"] is not None]
    return round(sum(ratios) / len(ratios), 2) if ratios else None


def _common(lists: list[list[str]], n: int = 8) -> list[tuple[str, int]]:
    """The n phrases most items of a group carry, with how many carry each."""
    from collections import Counter

    counts = Counter(p for phrases in lists for p in set(phrases))
    return counts.most_common(n)


if __name__ == "__main__":
    sys.exit(main())
