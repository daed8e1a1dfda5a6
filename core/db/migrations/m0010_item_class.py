"""item_classes: what each analysed item is (music, speech, sound_effect, video), with its own version.

Written by the analysis stage beside the features (core.analysis.item_class, from the stored feature JSON
and the tags, so a new CLASS_VERSION reclassifies without decoding). Existing libraries start empty here:
the next `analyze` classifies every analysed item from what is stored. Read by the recommender (music
seeds get music) and search (sound effects do not lead a search for music words).
"""

from __future__ import annotations

import sqlite3

STATEMENTS = [
    """CREATE TABLE IF NOT EXISTS item_classes (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        class TEXT NOT NULL,          -- music | speech | sound_effect | video
        confidence REAL NOT NULL,     -- 0..1
        evidence TEXT NOT NULL DEFAULT '[]',   -- JSON list of the reasons, in words
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS item_classes_class ON item_classes(class)",
]


def up(conn: sqlite3.Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
