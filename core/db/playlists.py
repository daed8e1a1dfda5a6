"""Playlists and their items (`playlists`, `playlist_items`): the only module with SQL for them, and the
one place a smart playlist's rules become a query.

A playlist is either a list of items in order (made by hand, imported from M3U, saved from the queue)
or a smart playlist (`rules` holds its JSON rule set, it has no stored items and is evaluated each time
it is read). `smart_ids` builds its SELECT from a rule set checked by `core.playlists.validate`: every
field and operator maps to a fixed SQL fragment written here, every value is a bound parameter.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

from core.db.chunked import select_in
from core.db.history import PLAYED
from core.db.search import fts_query
from core.playlists import FIELDS, SORTS, Rule, SmartRules, key_spellings

DAY_S = 86400.0


# ----- reading -----------------------------------------------------------------------------------
def playlists_of(conn: sqlite3.Connection, profile: str) -> list[sqlite3.Row]:
    """The profile's playlists, newest first: id, name, source, note, rules (JSON or None) and n (how many
    stored items: 0 for a smart playlist)."""
    return conn.execute(
        "SELECT pl.id, pl.name, pl.source, pl.note, pl.rules, pl.created_at, COUNT(pi.item_id) AS n "
        "FROM playlists pl LEFT JOIN playlist_items pi ON pi.playlist_id = pl.id WHERE pl.profile = ? "
        "GROUP BY pl.id ORDER BY pl.created_at DESC, pl.id DESC", (profile,)).fetchall()


def playlist_row(conn: sqlite3.Connection, playlist_id: int) -> sqlite3.Row | None:
    """One playlist: id, name, profile, source, note, rules, created_at and n (stored items), or None."""
    return conn.execute(
        "SELECT pl.id, pl.name, pl.profile, pl.source, pl.note, pl.rules, pl.created_at, "
        "(SELECT COUNT(*) FROM playlist_items pi WHERE pi.playlist_id = pl.id) AS n "
        "FROM playlists pl WHERE pl.id = ?", (int(playlist_id),)).fetchone()


def playlist_ids_named(conn: sqlite3.Connection, profile: str, name: str) -> list[int]:
    """Ids of the profile's playlists called `name` (case-insensitive)."""
    return [int(r[0]) for r in conn.execute(
        "SELECT id FROM playlists WHERE profile = ? AND name = ? COLLATE NOCASE ORDER BY id", (profile, name))]


def playlist_item_ids(conn: sqlite3.Connection, playlist_id: int) -> list[int]:
    """The item ids of one playlist, in its order (an item added twice is listed twice)."""
    return [int(r[0]) for r in conn.execute(
        "SELECT item_id FROM playlist_items WHERE playlist_id = ? ORDER BY position", (int(playlist_id),))]


def contained(conn: sqlite3.Connection, playlist_id: int, item_ids: Sequence[int]) -> set[int]:
    """Which of `item_ids` the playlist already holds."""
    return {int(r[0]) for r in select_in(
        conn, "SELECT DISTINCT item_id FROM playlist_items WHERE item_id IN ({marks}) AND playlist_id = ?",
        list(dict.fromkeys(item_ids)), after=(int(playlist_id),))}


def terms_containing(conn: sqlite3.Connection, words: Sequence[str]) -> set[str]:
    """Which of `words` appear as a word in some item's tag or analysis term ("calm" in "calm", "fast" in
    "fast 150 bpm", "mellow" in "dark, mellow"), so a smart playlist can use the library's own words."""
    found = set()
    for word in dict.fromkeys(w.lower() for w in words if w):
        pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
        rows = conn.execute("SELECT DISTINCT term FROM item_terms WHERE term LIKE ? ESCAPE '\\' LIMIT 200",
                            (_like(word),)).fetchall()
        if any(pattern.search(r[0]) for r in rows):
            found.add(word)
    return found


def playlist_baskets(conn: sqlite3.Connection) -> list[tuple[float, list[int]]]:
    """Every playlist of every profile as (created_at, item ids in order); a smart one has none."""
    items: dict[int, list[int]] = {}
    for playlist_id, item_id in conn.execute(
            "SELECT playlist_id, item_id FROM playlist_items ORDER BY playlist_id, position"):
        items.setdefault(playlist_id, []).append(item_id)
    return [(created, items.get(pid, [])) for pid, created in
            conn.execute("SELECT id, created_at FROM playlists ORDER BY id").fetchall()]


# ----- writing -----------------------------------------------------------------------------------
def add_playlist(conn: sqlite3.Connection, name: str, profile: str, source: str, note: str,
                 item_ids: Iterable[int] = (), rules: str | None = None) -> int:
    """Store a playlist with its items in order (or, with `rules`, a smart playlist); returns its id."""
    cur = conn.execute(
        "INSERT INTO playlists (name, profile, source, note, created_at, rules) VALUES (?, ?, ?, ?, ?, ?)",
        (name, profile, source, note, time.time(), rules))
    playlist_id = int(cur.lastrowid or 0)
    conn.executemany("INSERT INTO playlist_items (playlist_id, position, item_id) VALUES (?, ?, ?)",
                     [(playlist_id, n, int(item)) for n, item in enumerate(item_ids)])
    return playlist_id


def rename_playlist(conn: sqlite3.Connection, playlist_id: int, name: str) -> None:
    """Give a playlist a new name."""
    conn.execute("UPDATE playlists SET name = ? WHERE id = ?", (name, int(playlist_id)))


def set_rules(conn: sqlite3.Connection, playlist_id: int, rules: str) -> None:
    """Replace a smart playlist's rules (JSON of a validated rule set)."""
    conn.execute("UPDATE playlists SET rules = ? WHERE id = ?", (rules, int(playlist_id)))


def delete_playlist(conn: sqlite3.Connection, playlist_id: int) -> None:
    """Delete a playlist and its entries (the items themselves stay in the library)."""
    conn.execute("DELETE FROM playlist_items WHERE playlist_id = ?", (int(playlist_id),))
    conn.execute("DELETE FROM playlists WHERE id = ?", (int(playlist_id),))


def append_items(conn: sqlite3.Connection, playlist_id: int, item_ids: Sequence[int]) -> None:
    """Add items at the end of a playlist."""
    start = conn.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM playlist_items WHERE playlist_id = ?",
                         (int(playlist_id),)).fetchone()[0]
    conn.executemany("INSERT INTO playlist_items (playlist_id, position, item_id) VALUES (?, ?, ?)",
                     [(int(playlist_id), start + n, int(item)) for n, item in enumerate(item_ids)])


def set_items(conn: sqlite3.Connection, playlist_id: int, item_ids: Sequence[int]) -> None:
    """Replace a playlist's entries with `item_ids` in this order (insert, remove and move are done on the
    list, then written here in one statement pair: 10,000 entries take milliseconds)."""
    conn.execute("DELETE FROM playlist_items WHERE playlist_id = ?", (int(playlist_id),))
    conn.executemany("INSERT INTO playlist_items (playlist_id, position, item_id) VALUES (?, ?, ?)",
                     [(int(playlist_id), n, int(item)) for n, item in enumerate(item_ids)])


# ----- smart playlists: validated rules -> one parameterised SELECT ------------------------------
_TITLE = "COALESCE(NULLIF(i.title, ''), i.filename)"
_FEATURES_OK = "json_valid(af.features)"
_NOT_SILENT = f"COALESCE(CASE WHEN {_FEATURES_OK} THEN json_extract(af.features, '$.silent') END, 0) = 0"
_TEMPO = (f"(CASE WHEN {_FEATURES_OK} THEN COALESCE(json_extract(af.features, '$.tempo_bpm'), "
          "json_extract(af.features, '$.bpm')) END)")
# The search engine's energy (core.search.engine._feature_value): -40 dBFS RMS -> 0, -10 dBFS -> 1.
_ENERGY = (f"(CASE WHEN {_FEATURES_OK} AND json_extract(af.features, '$.rms_db') IS NOT NULL THEN "
           "MIN(MAX((json_extract(af.features, '$.rms_db') + 40.0) / 30.0, 0.0), 1.0) END)")
_KEY = f"(CASE WHEN {_FEATURES_OK} THEN json_extract(af.features, '$.key') END)"
_MODE = f"(CASE WHEN {_FEATURES_OK} THEN json_extract(af.features, '$.mode') END)"
_PLAYS = "COALESCE(pc.plays, 0)"
_NUMERIC = {"year": "i.year", "length": "i.duration", "tempo": _TEMPO, "energy": _ENERGY, "play_count": _PLAYS}
_TEXT_COLUMNS = {"title": (_TITLE,), "artist": ("i.artist", "i.album_artist"), "album": ("i.album",),
                 "genre": ("i.genre",)}
_CHOICE = {"kind": "i.kind", "key": _KEY, "mode": _MODE}
_RATING = {"liked": "r.value > 0", "disliked": "r.value < 0", "unrated": "r.value IS NULL"}
_SORT = {
    "artist": ["i.artist = ''", "i.artist COLLATE NOCASE", "i.album COLLATE NOCASE", "i.disc_no", "i.track_no",
               f"{_TITLE} COLLATE NOCASE"],
    "title": [f"{_TITLE} COLLATE NOCASE"],
    "album": ["i.album = ''", "i.album COLLATE NOCASE", "i.disc_no", "i.track_no"],
    "year": ["i.year IS NULL", "i.year"],
    "length": ["i.duration IS NULL", "i.duration"],
    "tempo": [f"{_TEMPO} IS NULL", _TEMPO],
    "added": ["i.added_at"],
    "play_count": [_PLAYS],
    "last_played": ["pc.last IS NULL", "pc.last"],
    "random": ["(i.id * 2654435761 + ?) % 4294967291"],
}
assert set(_SORT) == set(SORTS) and set(FIELDS) == set(_NUMERIC) | set(_TEXT_COLUMNS) | set(_CHOICE) | {
    "tag", "text", "last_played", "rating", "added"}


def _like(text: str) -> str:
    """`%text%` for LIKE ... ESCAPE '\\' (the user's % and _ are literal characters)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _numeric(expr: str, op: str, value: Any) -> tuple[str, list[Any]]:
    if op == "between":
        return f"{expr} BETWEEN ? AND ?", [value[0], value[1]]
    return f"{expr} {({'is': '=', 'at_least': '>=', 'at_most': '<='})[op]} ?", [value]


def _condition(rule: Rule, now: float) -> tuple[str, list[Any]]:
    """The SQL of one checked rule (a fixed fragment with ? for its value) and its parameters."""
    f, op, v = rule.field, rule.op, rule.value
    params: list[Any]
    if f in _NUMERIC:
        sql, params = _numeric(_NUMERIC[f], op, v)
        if f in ("tempo", "energy"):  # silence is not slow or calm music (as in search)
            sql = f"{_NOT_SILENT} AND {sql}"
        return sql, params
    if f in _TEXT_COLUMNS:
        columns = _TEXT_COLUMNS[f]
        if op in ("contains", "not_contains"):
            sql = " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in columns)
            params = [_like(v)] * len(columns)
        else:
            sql = " OR ".join(f"{c} = ? COLLATE NOCASE" for c in columns)
            params = [v] * len(columns)
        if f == "genre":  # the genre tag and style/mood tags, split into terms (core.db.terms)
            term = "t.term LIKE ? ESCAPE '\\'" if op in ("contains", "not_contains") else "t.term = ?"
            sql += f" OR EXISTS (SELECT 1 FROM item_terms t WHERE t.item_id = i.id AND t.source = 0 AND {term})"
            params.append(_like(v.lower()) if "contains" in op else v.lower())
        return (f"NOT COALESCE(({sql}), 0)" if op in ("is_not", "not_contains") else sql), params
    if f == "key":  # either spelling of the pitch ("Eb" is also stored as "D#")
        sql = f"{_KEY} IN (?, ?)"
        return (sql if op == "is" else f"NOT COALESCE(({sql}), 0)"), list(key_spellings(v))
    if f in _CHOICE:
        return f"{_CHOICE[f]} {'=' if op == 'is' else 'IS NOT'} ?", [v]
    if f == "tag":  # the item's tags and Encore's analysis phrases (item_terms: both sources)
        term = "t.term LIKE ? ESCAPE '\\'" if op == "contains" else "t.term = ?"
        sql = f"EXISTS (SELECT 1 FROM item_terms t WHERE t.item_id = i.id AND {term})"
        return (f"NOT {sql}" if op == "has_not" else sql), [_like(v.lower()) if op == "contains" else v.lower()]
    if f == "text":
        match = fts_query(v)
        return ("i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)", [match]) if match else ("0", [])
    if f == "last_played":
        if op == "never":
            return "pc.last IS NULL", []
        if op == "within_days":
            return "pc.last >= ?", [now - v * DAY_S]
        return "(pc.last IS NULL OR pc.last < ?)", [now - v * DAY_S]
    if f == "rating":
        sql = _RATING[v]
        return (sql if op == "is" else f"NOT COALESCE(({sql}), 0)"), []
    if f == "added":
        return ("i.added_at >= ?" if op == "within_days" else "i.added_at < ?"), [now - v * DAY_S]
    raise ValueError(f"no SQL for the rule {rule!r}")  # unreachable for a validated rule set


def smart_query(rules: SmartRules, profile: str, now: float | None = None, kind: str | None = None,
                seed: int = 0) -> tuple[str, list[Any]]:
    """The SELECT of item ids for a validated rule set, and its parameters (exposed for tests)."""
    now = time.time() if now is None else now
    joins = ["LEFT JOIN audio_features af ON af.item_id = i.id"]
    params: list[Any] = []
    if rules.needs("play_count", "last_played"):
        joins.append("LEFT JOIN (SELECT item_id, COUNT(*) AS plays, MAX(started_at) AS last FROM play_events "
                     f"WHERE profile = ? AND skipped = 0 AND {PLAYED} GROUP BY item_id) pc ON pc.item_id = i.id")
        params.append(profile)
    if rules.needs("rating"):
        joins.append("LEFT JOIN ratings r ON r.item_id = i.id AND r.profile = ?")
        params.append(profile)
    parts = []
    for rule in rules.rules:
        sql, values = _condition(rule, now)
        parts.append(f"COALESCE(({sql}), 0)")
        params += values
    where = "1"
    if parts:
        where = (" AND " if rules.match == "all" else " OR ").join(parts)
    if kind is not None:
        where = f"({where}) AND i.kind = ?"
        params.append(kind)
    direction = " DESC" if rules.descending else ""
    order = []
    for expr in _SORT[rules.sort]:
        order.append(expr + direction if " = ''" not in expr and " IS NULL" not in expr else expr)
        if "?" in expr:
            params.append(int(seed))
    sql = (f"SELECT i.id FROM items i {' '.join(joins)} WHERE i.status = 'ok' AND ({where}) "
           f"ORDER BY {', '.join(order)}, i.id LIMIT ?")
    params.append(rules.limit if rules.limit else -1)
    return sql, params


def smart_ids(conn: sqlite3.Connection, rules: SmartRules, profile: str, now: float | None = None,
              seed: int = 0) -> list[int]:
    """The ids of the present items a validated rule set selects, in its order, at most its limit."""
    sql, params = smart_query(rules, profile, now, seed=seed)
    return [int(r[0]) for r in conn.execute(sql, params)]
