"""Library: the one facade that ui/ and cli.py call. Stages are imported lazily on first use."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import Any

from core.config import Paths, Settings, resolve_data_dir
from core.db import backup
from core.db import items as q
from core.db.connection import Store
from core.db.integrity import HealthCheck, open_check, raise_for
from core.db.migrate import migrate, pending
from core.errors import ItemNotFound
from core.models import CancelToken, Progress

ProgressFn = Callable[[Progress], None] | None
CHECK_HOLD_S = 2.0  # background mode: quick_check starts at library.health.go() (window shown) or after this


class Library:
    """One Encore library (a data directory). Thread-safe: writes go through one lock."""

    def __init__(self, data_dir: str | os.PathLike | None = None, integrity: str = "now") -> None:
        """Open (creating if needed) the library in `data_dir`.

        A damaged database is reported (DamagedDatabaseError says what to do), never written to.
        `integrity="now"` (the CLI, the upkeep process) runs `PRAGMA quick_check` before returning.
        `integrity="background"` (the desktop app) checks only the header and schema now (milliseconds)
        and runs quick_check on a thread right after (when `library.health.go()` is called, at the
        latest CHECK_HOLD_S later); until it passes, writes wait (`store.write_gate`), and after a
        failure they raise. Watch `library.health` for the verdict.
        """
        if integrity not in ("now", "background"):
            raise ValueError(f"integrity must be 'now' or 'background', not {integrity!r}")
        self.paths = Paths(resolve_data_dir(data_dir))
        self.paths.ensure()
        self.settings = Settings.load(self.paths.settings)
        self.health = HealthCheck(self.paths.db, self.paths.backups)
        if integrity == "now" or not self.paths.db.exists():
            self.health.run_now()
        else:
            raise_for(open_check(self.paths.db), self.paths.backups)
            if _migrations_pending(self.paths.db):
                self.health.run_now()  # migrations rewrite tables: never on a file not fully checked
        self.store = Store(self.paths.db)
        self.store.write_gate = self.health.require_ok
        with self.store.lock:
            backup.before_migrations(self.store.conn, self.paths.backups)
            migrate(self.store.conn)
        # The daily backup runs after the check passed (never copies a damaged file), on the same thread.
        background = not self.health.done
        self.health.start(then=lambda: backup.daily_at(self.paths.db, self.paths.backups),
                          full_check=background, hold_s=CHECK_HOLD_S if background else 0.0)
        self._lazy_lock = threading.Lock()
        self._components: dict[str, Any] = {}

    # ----- plumbing -------------------------------------------------------------------------
    def component(self, name: str, factory: Callable[[], Any]) -> Any:
        """A lazily built, shared helper object (encoder, index, LLM runtime...)."""
        with self._lazy_lock:
            if name not in self._components:
                self._components[name] = factory()
            return self._components[name]

    def peek_component(self, name: str) -> Any | None:
        """The helper built under `name`, or None when nobody built it yet (never builds one)."""
        with self._lazy_lock:
            return self._components.get(name)

    def drop_component(self, name: str) -> None:
        """Forget a helper so that the next caller builds it afresh."""
        with self._lazy_lock:
            self._components.pop(name, None)

    def drop_data_caches(self) -> None:
        """Forget helpers built from the database (indexes, vocabularies...) because another process
        changed it; loaded models (encoders, the LLM) stay."""
        keep = ("encoder:", "query_encoder:", "llm:")
        with self._lazy_lock:
            for name in [n for n in self._components if not n.startswith(keep)]:
                del self._components[name]

    def save_settings(self, **changes: Any) -> Settings:
        """Change and persist settings."""
        for key, value in changes.items():
            if not hasattr(self.settings, key):
                raise KeyError(f"unknown setting {key!r}")
            setattr(self.settings, key, value)
        self.settings.save(self.paths.settings)
        return self.settings

    def close(self) -> None:
        self.health.cancel()  # a check still running stops (writes stay refused); a backup copy finishes
        self.health.join(timeout=60)  # never leave a backup copy running against a closed library
        self.store.close()

    # ----- scanning ---------------------------------------------------------------------------
    def roots(self) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT * FROM roots ORDER BY path")
        return [{"id": r["id"], "path": q.from_db_path(r["path"]), "status": r["last_status"],
                 "last_scan_at": r["last_scan_at"]} for r in rows]

    def add_root(self, path: str) -> int:
        from core.scan.scanner import ensure_root

        return ensure_root(self.store, path)

    def remove_root(self, path: str) -> None:
        """Forget a root folder (its items stay, marked missing; history is never deleted)."""
        path = os.path.abspath(os.path.expanduser(path))
        with self.store.write() as conn:
            row = conn.execute("SELECT id FROM roots WHERE path = ?", (q.to_db_path(path),)).fetchone()
            if row:
                conn.execute("UPDATE items SET status = 'missing', root_id = NULL WHERE root_id = ? "
                             "AND status != 'missing'", (row["id"],))
                conn.execute("UPDATE items SET root_id = NULL WHERE root_id = ?", (row["id"],))
                conn.execute("DELETE FROM roots WHERE id = ?", (row["id"],))

    def scan(self, paths: list[str] | None = None, progress: ProgressFn = None,
             cancel: CancelToken | None = None):
        """Add `paths` as roots (if given) and scan them; None scans every root. Returns a ScanReport."""
        from core.scan.scanner import scan

        for p in paths or []:
            if not os.path.exists(p):
                raise FileNotFoundError(f"folder not found: {p}")
        return scan(self.store, str(self.paths.covers), roots=paths or None,
                    workers=self.settings.scan_workers, timeout_s=self.settings.file_timeout_s,
                    progress=progress, cancel=cancel)

    # ----- reading ----------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counts of everything in the library."""
        one = lambda sql: self.store.query(sql)[0][0]  # noqa: E731
        out = {
            "items": one("SELECT COUNT(*) FROM items WHERE status != 'missing'"),
            "audio": one("SELECT COUNT(*) FROM items WHERE status = 'ok' AND kind = 'audio'"),
            "video": one("SELECT COUNT(*) FROM items WHERE status = 'ok' AND kind = 'video'"),
            "missing": one("SELECT COUNT(*) FROM items WHERE status = 'missing'"),
            "failed": one("SELECT COUNT(*) FROM items WHERE status = 'failed'"),
            "roots": one("SELECT COUNT(*) FROM roots"),
            "play_events": one("SELECT COUNT(*) FROM play_events"),
            "data_dir": str(self.paths.data_dir),
        }
        for provider in _optional_providers(STATS_PROVIDERS):
            out.update(provider(self))
        return out

    def item_row(self, ref: int | str):
        row = q.get_item(self.store.reader(), ref)
        if row is None:
            raise ItemNotFound(f"no item {ref!r} in the library (give an item id or a file path)")
        return row

    def show(self, ref: int | str) -> dict[str, Any]:
        """Everything known about one item."""
        row = self.item_row(ref)
        conn = self.store.reader()
        out: dict[str, Any] = {k: row[k] for k in row.keys() if k not in ("path", "dir", "filename")}
        out["path"] = q.from_db_path(row["path"])
        out["tags"] = {t["key"]: t["value"] for t in conn.execute(
            "SELECT key, value FROM tags WHERE item_id = ?", (row["id"],))}
        out["sidecars"] = [{"kind": s["kind"], "path": q.from_db_path(s["path"]), "text": s["text"][:2000]}
                           for s in conn.execute("SELECT * FROM sidecars WHERE item_id = ?", (row["id"],))]
        fail = conn.execute("SELECT stage, error, attempts FROM failures WHERE item_id = ?", (row["id"],)).fetchall()
        out["failures"] = [dict(f) for f in fail]
        for provider in _optional_providers(SHOW_PROVIDERS):
            out.update(provider(self, row))
        return json.loads(json.dumps(out, default=str))

    def failures(self) -> list[dict[str, Any]]:
        """Files that could not be read or analysed, and why."""
        rows = self.store.query("SELECT * FROM failures ORDER BY last_at DESC")
        return [{"path": q.from_db_path(r["path"]), "stage": r["stage"], "error": r["error"],
                 "attempts": r["attempts"], "item_id": r["item_id"]} for r in rows]

    def items(self, kind: str | None = None, status: str = "ok", limit: int = 1000, offset: int = 0,
              order: str = "artist, album, disc_no, track_no, title"):
        """A page of items as MediaItem objects."""
        sql = "SELECT * FROM items WHERE status = ?"
        params: list[Any] = [status]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        sql += f" ORDER BY {order} LIMIT ? OFFSET ?"
        params += [limit, offset]
        return [q.media_item(r) for r in self.store.query(sql, tuple(params))]

    # ----- later stages (each lives in its own package) ------------------------------------------
    def analyze(self, progress: ProgressFn = None, cancel: CancelToken | None = None) -> dict[str, Any]:
        """Analyse every item whose audio/video analysis is missing or from an older analyser."""
        return _stage("core.analysis.queue:analyze_pending")(self, progress=progress, cancel=cancel)

    def embed(self, progress: ProgressFn = None, cancel: CancelToken | None = None) -> dict[str, Any]:
        """Embed every item whose description text changed or that the current model has not seen."""
        return _stage("core.embed.pipeline:embed_pending")(self, progress=progress, cancel=cancel)

    def search(self, query: str, limit: int = 20, kind: str | None = None, profile: str | None = None):
        """Natural-language search: a list of Hit (item, score, reasons)."""
        return _stage("core.search.engine:search")(self, query, limit=limit, kind=kind,
                                                  profile=profile or self.settings.profile)

    def recommend(self, seed: int | str | None = None, mode: str = "for-you", kind: str | None = None,
                  limit: int = 20, profile: str | None = None):
        """Recommendations with reasons: a list of Recommendation."""
        return _stage("core.recommend.engine:recommend")(self, seed=seed, mode=mode, kind=kind, limit=limit,
                                                        profile=profile or self.settings.profile)

    def record_play(self, event) -> int:
        """Store one PlayEvent; returns its id."""
        return _stage("core.recommend.history:record_play")(self, event)

    def rate(self, ref: int | str, value: str, profile: str | None = None) -> None:
        """like | dislike | none."""
        return _stage("core.recommend.history:rate")(self, ref, value, profile or self.settings.profile)

    def import_history(self, path: str, profile: str | None = None) -> dict[str, Any]:
        """Import a ListenBrainz JSON, Last.fm CSV or M3U playlist; returns matched/unmatched counts."""
        return _stage("core.recommend.importers:import_history")(self, path, profile or self.settings.profile)

    def explain(self, ref: int | str, seed: int | str | None = None, reasons=None, on_token=None):
        """A grounded explanation (LLM when it passes the checker, else a template)."""
        return _stage("core.explain.service:explain")(self, ref, seed=seed, reasons=reasons, on_token=on_token)

    # ----- the user's own data (player resume points, "forget my history", "delete all data") ---------
    def resume_position(self, ref: int | str, profile: str | None = None) -> float | None:
        """Where playback of a video stopped last time (seconds), or None."""
        row = self.store.query("SELECT seconds FROM resume_positions WHERE item_id = ? AND profile = ?",
                               (self.item_row(ref)["id"], profile or self.settings.profile))
        return float(row[0][0]) if row else None

    def set_resume_position(self, ref: int | str, seconds: float | None, profile: str | None = None) -> None:
        """Remember (or with None, forget) where playback stopped."""
        item_id, prof = self.item_row(ref)["id"], profile or self.settings.profile
        with self.store.write() as conn:
            conn.execute("DELETE FROM resume_positions WHERE item_id = ? AND profile = ?", (item_id, prof))
            if seconds is not None:
                conn.execute("INSERT INTO resume_positions (item_id, profile, seconds, updated_at) "
                             "VALUES (?, ?, ?, strftime('%s','now'))", (item_id, prof, float(seconds)))

    def forget_history(self, profile: str | None = None) -> dict[str, int]:
        """Delete plays, ratings and resume points (of one profile, or every profile when None).
        Items, tags, analysis and playlists stay. Returns how many rows went from each table."""
        removed: dict[str, int] = {}
        with self.store.write() as conn:
            for table in HISTORY_TABLES:
                exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                      (table,)).fetchone()
                if not exists:
                    continue
                cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
                if profile is not None and "profile" in cols:
                    cur = conn.execute(f"DELETE FROM {table} WHERE profile = ?", (profile,))
                else:
                    cur = conn.execute(f"DELETE FROM {table}")
                removed[table] = cur.rowcount
        with self._lazy_lock:
            self._components.clear()  # models learned from the history are stale now
        return removed

    def delete_all_data(self) -> None:
        """Close the library and delete Encore's own files in the data directory (library, settings,
        caches, backups); the folder itself goes when nothing else is in it. Media files are never touched."""
        import shutil

        self.close()
        data_dir = self.paths.data_dir
        for name in (self.paths.db.name, self.paths.db.name + "-wal", self.paths.db.name + "-shm",
                     self.paths.settings.name):
            (data_dir / name).unlink(missing_ok=True)
        for folder in (self.paths.cache, self.paths.backups):
            shutil.rmtree(folder, ignore_errors=True)
        try:
            data_dir.rmdir()
        except OSError:
            pass  # the user keeps other files there


def _migrations_pending(db_path) -> bool:
    """Whether opening this database will run migrations (read with a plain, read-only connection)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_migrations" not in names:
            return True
        return bool(pending(conn))
    finally:
        conn.close()


def _stage(target: str) -> Callable[..., Any]:
    """Import a stage function ("module:function") on first use: keeps start-up light."""
    import importlib

    module_name, func_name = target.split(":")
    return getattr(importlib.import_module(module_name), func_name)


def _optional_providers(targets: list[str]) -> list[Callable[..., Any]]:
    """Stage hooks that exist in this build (a stage not yet built is simply absent)."""
    found = []
    for target in targets:
        try:
            found.append(_stage(target))
        except (ImportError, AttributeError):
            continue
    return found


# What "forget my history" deletes (a stage that derives tables from the history adds them here).
HISTORY_TABLES = ["play_events", "ratings", "resume_positions"]

# Each stage adds keys to `stats()` and `show()` through a function in its own package.
STATS_PROVIDERS = [
    "core.analysis.store:stats",
    "core.embed.store:stats",
    "core.recommend.history:stats",
]
SHOW_PROVIDERS = [
    "core.analysis.store:show",
    "core.recommend.history:show",
]
