"""play_events.outcome: what happened ('played', 'failed', 'duplicate'); earlier history marked, nothing deleted.

Before this, a file that could not be played was stored as a play (a broken file showed "0:01 100%")
and a double-click stored a phantom "0% skipped" row beside the real play. Rows are kept and marked:
- 'failed': under 1 s heard yet "completed" (>= 0.99), of an item that has a failure row;
- 'duplicate': another row of the same item and profile started within 2 s of it; the row with the
  most seconds heard stays 'played';
- player rows marked skipped under the old rule (left before half) that heard more than the skip window
  (docs/ARCHITECTURE.md, "What counts as a play") become partial plays (skipped = 0).
Every reader of plays in core/db/history.py reads outcome = 'played' only.
"""

from __future__ import annotations

import sqlite3

from core.models import DUPLICATE, FAILED, SKIP_WITHIN_S, SKIP_WITHIN_SHARE

DUPLICATE_WITHIN_S = 2.0


def up(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE play_events ADD COLUMN outcome TEXT NOT NULL DEFAULT 'played'")
    conn.execute("CREATE INDEX IF NOT EXISTS play_events_outcome ON play_events(outcome) WHERE outcome != 'played'")
    conn.execute(
        "UPDATE play_events SET outcome = ? WHERE seconds < 1 AND completed >= 0.99 AND ("
        " item_id IN (SELECT item_id FROM failures WHERE item_id IS NOT NULL)"
        " OR item_id IN (SELECT i.id FROM items i JOIN failures f ON f.path = i.path))", (FAILED,))
    conn.executemany("UPDATE play_events SET outcome = ? WHERE id = ?",
                     [(DUPLICATE, i) for i in _duplicates(conn)])
    conn.execute(
        "UPDATE play_events SET skipped = 0 WHERE skipped != 0 AND source = 'player' AND outcome = 'played' "
        "AND seconds >= COALESCE((SELECT MIN(?, ? * i.duration) FROM items i WHERE i.id = play_events.item_id "
        " AND i.duration > 0), ?)", (SKIP_WITHIN_S, SKIP_WITHIN_SHARE, SKIP_WITHIN_S))


def _duplicates(conn: sqlite3.Connection) -> list[int]:
    """Ids of the rows that repeat another row of the same item and profile started within 2 s (of each
    such run, the row with the most seconds heard, then the latest, is kept)."""
    out: list[int] = []
    run: list[tuple[int, float]] = []  # (id, seconds) of the current run
    key, last = None, 0.0
    rows = conn.execute("SELECT id, item_id, profile, started_at, seconds FROM play_events WHERE outcome = 'played' "
                        "ORDER BY profile, item_id, started_at, id")
    for event_id, item_id, profile, started_at, seconds in rows:
        if (item_id, profile) == key and started_at - last <= DUPLICATE_WITHIN_S:
            run.append((event_id, float(seconds or 0.0)))
        else:
            out += _all_but_best(run)
            run, key = [(event_id, float(seconds or 0.0))], (item_id, profile)
        last = started_at
    return out + _all_but_best(run)


def _all_but_best(run: list[tuple[int, float]]) -> list[int]:
    if len(run) < 2:
        return []
    keep = max(run, key=lambda r: (r[1], r[0]))[0]
    return [event_id for event_id, _ in run if event_id != keep]
