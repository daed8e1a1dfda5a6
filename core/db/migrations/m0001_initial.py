"""The first schema: roots, items, tags, sidecars, failures, FTS, and room for later stages."""

from __future__ import annotations

import sqlite3

STATEMENTS = [
    """CREATE TABLE roots (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        added_at REAL NOT NULL,
        last_scan_at REAL,
        last_status TEXT NOT NULL DEFAULT 'new'   -- new | ok | offline
    )""",
    """CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        root_id INTEGER REFERENCES roots(id),
        path TEXT NOT NULL UNIQUE,
        dir TEXT NOT NULL,
        filename TEXT NOT NULL,
        ext TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('audio', 'video')),
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode INTEGER,
        content_hash TEXT,
        status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'missing', 'failed')),
        title TEXT NOT NULL DEFAULT '',
        artist TEXT NOT NULL DEFAULT '',
        album TEXT NOT NULL DEFAULT '',
        album_artist TEXT NOT NULL DEFAULT '',
        genre TEXT NOT NULL DEFAULT '',
        year INTEGER,
        track_no INTEGER,
        disc_no INTEGER,
        composer TEXT NOT NULL DEFAULT '',
        duration REAL,
        bitrate INTEGER,
        sample_rate INTEGER,
        channels INTEGER,
        width INTEGER,
        height INTEGER,
        fps REAL,
        codec TEXT,
        cover_path TEXT,
        extract_version INTEGER NOT NULL DEFAULT 0,
        added_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        missing_since REAL
    )""",
    "CREATE INDEX items_dir ON items(dir)",
    "CREATE INDEX items_root ON items(root_id, status)",
    "CREATE INDEX items_hash ON items(size, content_hash)",
    "CREATE INDEX items_kind ON items(kind, status)",
    """CREATE TABLE tags (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL
    )""",
    "CREATE INDEX tags_item ON tags(item_id)",
    """CREATE TABLE sidecars (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,          -- lrc | srt | nfo | cover
        path TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX sidecars_item ON sidecars(item_id)",
    """CREATE TABLE failures (
        path TEXT NOT NULL,
        stage TEXT NOT NULL,         -- scan | analyze | embed
        error TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 1,
        size INTEGER,
        mtime_ns INTEGER,
        item_id INTEGER,
        first_at REAL NOT NULL,
        last_at REAL NOT NULL,
        PRIMARY KEY (path, stage)
    )""",
    """CREATE VIRTUAL TABLE items_fts USING fts5(
        title, artist, album, genre, tags, sidecar,
        tokenize = 'unicode61 remove_diacritics 2'
    )""",
    # Later stages (analysis, embeddings, history) write here; their own migrations may add more.
    """CREATE TABLE audio_features (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        features TEXT NOT NULL,      -- JSON of named features
        vector BLOB,                 -- float32, normalised, fixed length per version
        analyzed_at REAL NOT NULL
    )""",
    """CREATE TABLE video_features (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        features TEXT NOT NULL,
        vector BLOB,
        keyframes TEXT NOT NULL DEFAULT '[]',   -- JSON [{"t": seconds, "path": jpeg}]
        poster_path TEXT,
        analyzed_at REAL NOT NULL
    )""",
    """CREATE TABLE descriptors (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        phrases TEXT NOT NULL,       -- JSON list of plain-language phrases
        description TEXT NOT NULL,   -- the item's full description text for embedding
        updated_at REAL NOT NULL
    )""",
    """CREATE TABLE embeddings (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        dim INTEGER NOT NULL,
        text_hash TEXT NOT NULL,
        vector BLOB NOT NULL,        -- float32[dim], L2-normalised
        updated_at REAL NOT NULL,
        PRIMARY KEY (item_id, model)
    )""",
    """CREATE TABLE profiles (
        name TEXT PRIMARY KEY,
        created_at REAL NOT NULL
    )""",
    """CREATE TABLE play_events (
        id INTEGER PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES items(id),
        profile TEXT NOT NULL DEFAULT 'default',
        started_at REAL NOT NULL,
        seconds REAL NOT NULL DEFAULT 0,
        completed REAL NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        source TEXT NOT NULL DEFAULT 'player'
    )""",
    "CREATE INDEX play_events_item ON play_events(item_id)",
    "CREATE INDEX play_events_profile_time ON play_events(profile, started_at)",
    """CREATE TABLE ratings (
        item_id INTEGER NOT NULL REFERENCES items(id),
        profile TEXT NOT NULL DEFAULT 'default',
        value INTEGER NOT NULL,      -- 1 like, -1 dislike
        rated_at REAL NOT NULL,
        PRIMARY KEY (item_id, profile)
    )""",
    """CREATE TABLE playlists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        profile TEXT NOT NULL DEFAULT 'default',
        source TEXT NOT NULL DEFAULT 'user',   -- user | import | generated
        note TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL
    )""",
    """CREATE TABLE playlist_items (
        playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        item_id INTEGER NOT NULL REFERENCES items(id),
        PRIMARY KEY (playlist_id, position)
    )""",
    """CREATE TABLE resume_positions (
        item_id INTEGER NOT NULL REFERENCES items(id),
        profile TEXT NOT NULL DEFAULT 'default',
        seconds REAL NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (item_id, profile)
    )""",
]


def up(conn: sqlite3.Connection) -> None:
    for statement in STATEMENTS:
        conn.execute(statement)
