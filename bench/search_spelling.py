"""Forgiving search at scale: the spelling index (symmetric deletes) and the trigram index at 200,000 items.

A synthetic library with a Zipf-distributed vocabulary (~180,000 distinct words in titles, names and tags)
and a share of CJK titles. Figures: spelling index build (SQLite read of items_fts_vocab + the index), its
size, one correction vs a brute-force edit-distance scan of the words of similar length (the baseline,
measured in the same process), the staleness check, the trigram migration fill and substring lookups.

    nice .venv/bin/python bench/search_spelling.py --json [--items 200000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def synthetic_vocabulary(n_words: int, rng) -> list[str]:
    """English-like random words (letter frequencies of English), 3-12 letters."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    p = np.array([8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, .15, .77, 4.0, 2.4, 6.7, 7.5, 1.9, .1, 6.0, 6.3,
                  9.1, 2.8, 1.0, 2.4, .15, 2.0, .07])
    p /= p.sum()
    return list(dict.fromkeys("".join(rng.choice(letters, n, p=p)) for n in rng.integers(3, 13, n_words)))


def fill(lib, n_items: int, words: list[str], cjk_share: float, rng) -> None:
    zipf = 1 / np.arange(1, len(words) + 1)
    zipf /= zipf.sum()
    picks = np.array(words, dtype=object)[rng.choice(len(words), (n_items, 9), p=zipf)]
    han = [chr(c) for c in range(0x4E00, 0x4E00 + 600)]  # a 600-character slice: words repeat, as in real titles
    rows = []
    for i in range(n_items):
        w = picks[i]
        title = " ".join(w[:3])
        if rng.random() < cjk_share:
            title = "".join(rng.choice(han, int(rng.integers(2, 8))))
        rows.append((i + 1, title, " ".join(w[3:5]), w[5], "rock", " ".join(w[6:]), ""))
    with lib.store.write() as conn:
        conn.executemany("INSERT INTO items_fts (rowid, title, artist, album, genre, tags, sidecar) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def brute_force(words: list[str], typed: str, limit: int) -> list[str]:
    """The baseline: an edit distance against every word of similar length."""
    from core.search.spelling import osa_distance

    found = [(osa_distance(typed, w, limit), w) for w in words if abs(len(w) - len(typed)) <= limit]
    best = min((d for d, _ in found), default=limit + 1)
    return [w for d, w in found if d == best and d <= limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--words", type=int, default=300_000)
    parser.add_argument("--cjk", type=float, default=0.1, help="share of items with a CJK title")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from core.db import search as fts
    from core.library import Library
    from core.search import scripts, spelling

    rng = np.random.default_rng(0)
    out: dict[str, object] = {"items": args.items}
    with tempfile.TemporaryDirectory() as tmp:
        lib = Library(Path(tmp) / "data")
        words = synthetic_vocabulary(args.words, rng)
        fill(lib, args.items, words, args.cjk, rng)
        conn = lib.store.reader()

        t = time.perf_counter()
        vocab = fts.vocabulary_words(conn, spelling.MIN_WORD)
        read_s = time.perf_counter() - t
        t = time.perf_counter()
        index = spelling.SpellingIndex(vocab, fts.indexed_item_count(conn))
        index_s = time.perf_counter() - t
        out.update(vocabulary_words=len(index), deletes=index.deletes,
                   index_mb=round(index.nbytes / 2**20, 1),
                   vocabulary_read_s=round(read_s, 2), index_build_s=round(index_s, 2))

        common = [w for w, _ in sorted(vocab, key=lambda t: -t[1]) if len(w) >= 5][:300]
        typos = [w[:1] + w[2:] if i % 3 == 0 else w[:2] + w[3] + w[2] + w[4:] if i % 3 == 1 else w[:3] + "x" + w[3:]
                 for i, w in enumerate(common)]  # a letter dropped, a pair swapped, a letter added
        t = time.perf_counter()
        suggestions = [index.suggest(x) for x in typos]
        per_query_ms = (time.perf_counter() - t) / len(typos) * 1000
        recovered = sum(1 for w, s in zip(common, suggestions, strict=True) if w in s) / len(common)
        sample = typos[:30]
        t = time.perf_counter()
        for x in sample:
            brute_force(index.words, x, spelling.max_distance(len(x)))
        brute_ms = (time.perf_counter() - t) / len(sample) * 1000
        t = time.perf_counter()
        for _ in range(200):
            fts.data_version(conn)
        version_ms = (time.perf_counter() - t) / 200 * 1000
        t = time.perf_counter()
        for _ in range(20):
            fts.indexed_item_count(conn)
        count_ms = (time.perf_counter() - t) / 20 * 1000
        out.update(correction_ms=round(per_query_ms, 3), brute_force_ms=round(brute_ms, 1),
                   speedup=round(brute_ms / per_query_ms, 1), typos_recovered=round(recovered, 3),
                   staleness_check_ms={"data_version": round(version_ms, 4), "item_count": round(count_ms, 2)})

        with lib.store.write() as w:
            t = time.perf_counter()
            held = fts.fill_trigram(w)
            out.update(trigram_items=held, trigram_fill_s=round(time.perf_counter() - t, 2))
        conn = lib.store.reader()
        titles = [r[0] for r in conn.execute("SELECT title FROM items_trigram LIMIT 50")]
        timings: dict[str, float] = {}
        for label, probe in (("2_chars_like", [t[:2] for t in titles if len(t) >= 2]),
                             ("4_chars_trigram", [t[:4] for t in titles if len(t) >= 4])):
            t = time.perf_counter()
            for run in probe:
                scripts.substring_scores(conn, [run], 200)
            timings[label] = round((time.perf_counter() - t) / max(len(probe), 1) * 1000, 2)
        out["substring_ms"] = timings
        lib.close()
    print(json.dumps(out, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
