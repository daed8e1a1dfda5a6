"""audio_tags: what the pretrained music tagger heard in each item; tag_reference: how the library's tags spread.

audio_tags holds, per item, both MusiCNN models' 50 tag probabilities (JSON {tag: p}) and the penultimate
embeddings (float32[200], MSD and MTT), with the tagger version, so a new tagger redoes only this stage
(core.analysis.tags). A row with NULL probabilities records that the item has nothing to tag (no audio,
silence) so it is not queued again. tag_reference is one row: the per-tag mean and spread that a tag's
probability is compared with before it becomes a phrase ("jazz" only when it stands out), and when it was
last computed, so descriptors made against an older reference are redone from the stored JSON.
descriptors.confidence: JSON {phrase: 0..1} of the phrases that carry a confidence (the tag phrases).
"""

from __future__ import annotations

import sqlite3

STATEMENTS = [
    """CREATE TABLE IF NOT EXISTS audio_tags (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        version TEXT NOT NULL,        -- core.analysis.tags.TAGS_VERSION
        mtt TEXT,                     -- JSON {tag: probability} of the MagnaTagATune model (NULL: nothing to tag)
        msd TEXT,                     -- JSON {tag: probability} of the Million Song Dataset model
        embedding BLOB,               -- float32[200]: MSD model's penultimate layer, mean over the tagged patches
        mtt_embedding BLOB,           -- float32[200]: the same for the MTT model
        patches INTEGER NOT NULL DEFAULT 0,
        note TEXT,                    -- why nothing was tagged, in words
        tagged_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS tag_reference (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version TEXT NOT NULL,        -- the tagger version of the rows it was computed from
        items INTEGER NOT NULL,       -- tagged music items it was computed from
        stats TEXT NOT NULL,          -- JSON {"mtt": {tag: [mean, sd]}, "msd": {...}}
        updated_at REAL NOT NULL
    )""",
]


def up(conn: sqlite3.Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(descriptors)")}
    if "confidence" not in columns:
        conn.execute("ALTER TABLE descriptors ADD COLUMN confidence TEXT")
