"""Typo tolerance over the library's own words: "batle" finds "battle".

A query word that is in no item (not in `items_fts_vocab`) is corrected to the nearest words of the library
within edit distance 1 (words of 4-7 letters) or 2 (8 and more), frequent words first. The lookup is a
symmetric-delete index (SymSpell): every library word is stored under the strings left after deleting up to
two of its first PREFIX letters, so a query word finds its candidates by looking up its own deletes, and
only those few candidates are measured with a real (Damerau) edit distance.

The deletes are not kept as strings: each is a 32-bit hash in a sorted numpy array beside the word's number
(8 bytes a delete), in two tables (0-1 and 2 letters deleted) so that one-edit corrections read only the
first. Collisions only add candidates, which the distance check drops. Measured with bench/search_spelling.py
at 200,000 items with a 181,000-word vocabulary on 2 shared cores: reading items_fts_vocab 0.4 s, building
1.1 s, 4.1 M deletes in 33 MB; one correction 0.8 ms (a brute-force edit-distance scan: 1.9 s); 95 % of
dropped / swapped / added letters in common words recovered.
"""

from __future__ import annotations

import itertools
import threading
import unicodedata
from dataclasses import dataclass

import numpy as np

from core.context import StageContext
from core.db import search as fts

PREFIX = 7          # SymSpell's prefix length: deletes of the first 7 letters only (the rest is checked exactly)
MIN_WORD = 3        # library words shorter than this are never offered ("batl" -> "bat" is distance 1)
MIN_TYPED = 4       # a shorter query word is never corrected ("teh" is too ambiguous to guess)
MAX_SUGGESTIONS = 3  # nearest words kept per typed word (same distance, most frequent first)
COMPONENT = "spelling"
_MUL = np.uint64(0x100000001B3)  # FNV-1a style mixing of code points into 64 bits, folded to 32
_OFFSET = np.uint64(0xCBF29CE484222325)


def max_distance(length: int) -> int:
    """How many edits a typed word of `length` letters may be away from what was meant."""
    return 0 if length < MIN_TYPED else 1 if length <= 7 else 2


def fold(word: str) -> str:
    """Lower-case without diacritics, as items_fts's tokenizer (unicode61 remove_diacritics 2) stores words."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _hash_rows(codes: np.ndarray) -> np.ndarray:
    """One 32-bit hash per row of code points (0 = padding, ignored); equal strings hash equal."""
    h = np.full(codes.shape[0], _OFFSET, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(codes.shape[1]):
            c = codes[:, j].astype(np.uint64)
            mixed = (h ^ c) * _MUL
            h = np.where(c > 0, mixed, h)
    return ((h >> np.uint64(32)) ^ (h & np.uint64(0xFFFFFFFF))).astype(np.uint32)


def _hash_text(text: str) -> int:
    """`_hash_rows` of one string, in plain Python (a query's ~30 deletes: numpy's per-call cost would
    dominate)."""
    h = int(_OFFSET)
    mul = int(_MUL)
    for ch in text:
        h = ((h ^ ord(ch)) * mul) & 0xFFFFFFFFFFFFFFFF
    return (h >> 32) ^ (h & 0xFFFFFFFF)


def _query_deletes(word: str, depth: int) -> np.ndarray:
    """Hashes of every delete (0..depth letters) of the word's first PREFIX letters."""
    head = word[:PREFIX]
    texts = {"".join(head[i] for i in kept) for kept in _delete_patterns(len(head), depth)}
    return np.array(sorted(_hash_text(t) for t in texts), dtype=np.uint32)


def _codes(words: list[str], width: int) -> np.ndarray:
    """Code points of each word's first `width` letters, zero-padded: an (n, width) array."""
    out = np.zeros((len(words), width), dtype=np.uint32)
    for i, w in enumerate(words):
        head = w[:width]
        out[i, :len(head)] = [ord(c) for c in head]
    return out


def _delete_patterns(length: int, depth: int) -> list[tuple[int, ...]]:
    """The positions kept by every deletion of 0..depth letters from a string of `length` letters."""
    keep: list[tuple[int, ...]] = []
    for k in range(0, min(depth, length - 1) + 1):
        for gone in itertools.combinations(range(length), k):
            keep.append(tuple(i for i in range(length) if i not in gone))
    return keep


def _deletes(codes: np.ndarray, length: int, depth: int) -> np.ndarray:
    """Hashes of every delete (0..depth letters) of each row's first `length` code points: (n, patterns)."""
    cols = []
    for kept in _delete_patterns(length, depth):
        sub = np.zeros_like(codes[:, :length])
        sub[:, :len(kept)] = codes[:, list(kept)]
        cols.append(_hash_rows(sub))
    return np.stack(cols, axis=1)


def osa_distance(a: str, b: str, limit: int) -> int:
    """Damerau edit distance (optimal string alignment: a swap of neighbours is one edit), or limit + 1
    as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1] if prev[-1] <= limit else limit + 1


class SpellingIndex:
    """The library's words, their item counts, and the sorted delete hashes that point at them."""

    def __init__(self, words: list[tuple[str, int]], signal: int = 0) -> None:
        usable = [(w, d) for w, d in words if len(w) >= MIN_WORD and w.isalpha() and not fts.has_unsegmented(w)]
        self.words = [w for w, _ in usable]
        self.docs = np.array([d for _, d in usable], dtype=np.int64)
        self.known = set(self.words)
        self.signal = signal  # the item count it was built at (see `spelling_index`)
        self.lengths = np.array([len(w) for w in self.words], dtype=np.int16)
        self.seen_versions: dict[int, int] = {}
        # Two tables: deletes of 0-1 letters, and of 2 letters. Two strings within one edit share a delete of
        # at most one letter each, so a correction of one edit reads the first table only (most lookups).
        parts: list[list[tuple[np.ndarray, np.ndarray]]] = [[], []]
        by_length: dict[int, list[int]] = {}
        for i, w in enumerate(self.words):
            by_length.setdefault(min(len(w), PREFIX), []).append(i)
        for length, members in by_length.items():
            ids = np.array(members, dtype=np.int32)
            codes = _codes([self.words[i] for i in members], PREFIX)
            near = _deletes(codes, length, 1)
            parts[0].append((near.ravel(), np.repeat(ids, near.shape[1])))
            # A word of up to 5 letters is only ever meant by a typed word of up to 7 (one edit): no 2-deletes.
            if length >= 6:
                far = _deletes(codes, length, 2)[:, near.shape[1]:]
                parts[1].append((far.ravel(), np.repeat(ids, far.shape[1])))
        self.tables = [_sorted_table(p) for p in parts]

    def __len__(self) -> int:
        return len(self.words)

    @property
    def deletes(self) -> int:
        """How many delete entries the index holds."""
        return int(sum(len(keys) for keys, _ in self.tables))

    @property
    def nbytes(self) -> int:
        """Memory of the arrays (the word list itself aside)."""
        return int(sum(k.nbytes + o.nbytes for k, o in self.tables) + self.docs.nbytes + self.lengths.nbytes)

    def suggest(self, typed: str, n: int = MAX_SUGGESTIONS) -> list[str]:
        """The library words nearest to `typed` (at its max_distance, the smallest distance found, most frequent
        first); [] when the word is a library word, too short, or nothing is near enough."""
        word = fold(typed)
        limit = max_distance(len(word))
        if not limit or word in self.known or not word.isalpha() or not self.words:
            return []
        probe = _query_deletes(word, limit)
        found = []
        for keys, owners in self.tables[:limit]:
            lo = np.searchsorted(keys, probe, side="left")
            hi = np.searchsorted(keys, probe, side="right")
            found += [owners[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True) if b > a]
        if not found:
            return []
        candidates = np.unique(np.concatenate(found))
        candidates = candidates[np.abs(self.lengths[candidates] - len(word)) <= limit]
        best: list[tuple[int, int, str]] = []
        for i in candidates.tolist():
            candidate = self.words[i]
            d = osa_distance(word, candidate, limit)
            if d <= limit:
                best.append((d, -int(self.docs[i]), candidate))
        if not best:
            return []
        best.sort()
        nearest = best[0][0]
        return [w for d, _, w in best if d == nearest][:n]


def _sorted_table(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """(delete hashes sorted, the word each belongs to) from per-length pieces."""
    if not parts:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int32)
    keys = np.concatenate([k for k, _ in parts])
    order = np.argsort(keys, kind="stable")
    return keys[order], np.concatenate([o for _, o in parts])[order]


def _build(ctx: StageContext, signal: int) -> SpellingIndex:
    return SpellingIndex(fts.vocabulary_words(ctx.store.reader(), MIN_WORD), signal)


_build_lock = threading.Lock()


def spelling_index(ctx: StageContext) -> SpellingIndex:
    """The library's spelling index, built on first need and rebuilt when the index's item count changes (the
    stand-in for the vocabulary's size, which costs a full index scan to count). The count is only read
    again after another connection committed (PRAGMA data_version, free)."""
    conn = ctx.store.reader()
    index = ctx.peek_component(COMPONENT)
    if isinstance(index, SpellingIndex):
        version = fts.data_version(conn)
        if index.seen_versions.get(id(conn)) == version:
            return index
        if fts.indexed_item_count(conn) == index.signal:
            index.seen_versions[id(conn)] = version
            return index
    with _build_lock:  # one build at a time; a second caller waits for it and re-checks
        index = ctx.peek_component(COMPONENT)
        signal = fts.indexed_item_count(conn)
        if not isinstance(index, SpellingIndex) or index.signal != signal:
            ctx.drop_component(COMPONENT)
            version = fts.data_version(conn)
            index = ctx.component(COMPONENT, lambda: _build(ctx, signal))
            index.seen_versions[id(conn)] = version
    return index


@dataclass(frozen=True)
class Correction:
    """A query word that is in no item, and the library words searched instead."""

    typed: str
    words: tuple[str, ...]


def corrections(ctx: StageContext, words: list[str], known: dict[str, int], keep: set[str]) -> list[Correction]:
    """Corrections for the query `words` that are single tokens in no item (`known`: their item counts, from
    items_fts_vocab) and not in `keep` (words the query parser already understood: moods, kinds, genres).
    The spelling index is only built when some word needs it."""
    todo = []
    for w in words:
        toks = fts.tokens(w)
        if len(toks) != 1 or w in keep:
            continue
        tok = toks[0]
        if known.get(tok, 0) > 0 or len(tok) < MIN_TYPED or not tok.isalpha() or fts.has_unsegmented(tok):
            continue
        if known.get(fold(tok), 0) > 0:
            continue  # "café" is stored as "cafe": FTS5 finds it already
        todo.append(w)
    if not todo:
        return []
    index = spelling_index(ctx)
    out = []
    for w in todo:
        near = index.suggest(w)
        if near:
            out.append(Correction(w, tuple(near)))
    return out
