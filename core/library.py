"""Library: the one facade of Encore. The CLI (core/cli) and the UI (ui/) call only this module.

Every door of Encore is a method here (or, for the few that must work without opening a library,
a function at the bottom). Stages are imported inside the methods that use them: lazy (start-up stays
light) and visible to readers and tools. Stages receive this object as a `core.context.StageContext`.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config import Paths, Settings, resolve_data_dir
from core.db import backup
from core.db import items as q
from core.db.connection import Store, vanished_message
from core.db.integrity import HealthCheck, open_check, raise_for
from core.db.migrate import migrate, migrations_pending
from core.errors import DatabaseError, ItemNotFound, UserError
from core.models import (
    CancelToken,
    Changes,
    Explanation,
    HistoryEntry,
    Hit,
    MediaItem,
    PlayEvent,
    PlaylistInfo,
    Progress,
    Reason,
    Recommendation,
)
from core.playlists import FIELDS as RULE_FIELDS
from core.playlists import OPS as RULE_OPS
from core.playlists import SORTS as RULE_SORTS
from core.playlists import Rule, SmartRules, describe_rule, parse_rule, unique_name
from core.recommend.reason_lines import all_reasons, reason_line, short_reason

if TYPE_CHECKING:
    from core.embed.encoder import TextEncoder
    from core.embed.index import VectorIndex
    from core.explain.runtime import LLMRuntime

__all__ = ["Library", "ItemNotFound", "all_reasons", "reason_line", "short_reason", "doctor", "backup_now",
           "list_backups", "restore_backup", "RULE_FIELDS", "RULE_OPS", "RULE_SORTS", "Rule", "SmartRules",
           "describe_rule", "parse_rule", "unique_name"]

ProgressFn = Callable[[Progress], None] | None
UPDATE_STAGES = ("scan", "analyze", "embed")  # the one order of the pipeline (cli and ui both call update)
HISTORY_SORTS = ("plays", "last_played", "rating")  # list columns sorted by the history, not by SQL
BACKUP_WAIT_S = 60.0  # close() and the end of a process wait this long for a daily backup's copy
CHECK_HOLD_S = 2.0  # background mode: quick_check starts at library.health.go() (window shown) or after this


class Library:
    """One Encore library (a data directory). Thread-safe: writes go through one lock."""

    def __init__(self, data_dir: str | os.PathLike | None = None, integrity: str = "now",
                 daily_backup: bool = True) -> None:
        """Open (creating if needed) the library in `data_dir`.

        A damaged database is reported (DamagedDatabaseError says what to do), never written to.
        `integrity="now"` (the CLI, the upkeep process) runs `PRAGMA quick_check` before returning.
        `integrity="background"` (the desktop app) checks only the header and schema now (milliseconds)
        and runs quick_check on a thread right after (when `library.health.go()` is called, at the
        latest CHECK_HOLD_S later); until it passes, writes wait (`store.write_gate`), and after a
        failure they raise. Watch `library.health` for the verdict.
        `daily_backup`: take the day's backup when it is due, on the check's thread after the check
        passed; close() and the end of the process wait for a copy in progress. Long-lived processes
        pass True (the app, its upkeep process, the CLI's scan/analyze/embed/history import); short
        commands pass False: eight `play` commands each started a copy and were killed with it.
        A database file that belongs to another program is refused, unchanged.
        """
        if integrity not in ("now", "background"):
            raise ValueError(f"integrity must be 'now' or 'background', not {integrity!r}")
        self.paths = Paths(resolve_data_dir(data_dir))
        self.paths.ensure()
        self.settings = Settings.load(self.paths.settings)
        from core.db.connection import remove_new_empty, storage_error
        from core.db.integrity import empty_file, refuse_lost_writes
        from core.db.lock import LibraryLock, UpdateLock
        from core.db.migrate import refuse_foreign

        # Held (shared) until close, and by the kernel until this process dies: `restore` refuses while
        # any Encore process has the library open. When no other process has it, a -wal deleted or cut
        # short after a crash is looked for first (before SQLite's first connection erases the evidence).
        self.lock = LibraryLock(self.paths.db)
        self.lock.acquire_shared(while_alone=lambda: refuse_lost_writes(self.paths.db))
        self.updates = UpdateLock(self.paths.db)  # one long job (scan, analyze, embed, import) at a time
        self._at_exit: Callable[[], None] | None = None
        created = not self.paths.db.exists()
        store: Store | None = None  # closed again if opening fails half-way
        try:
            backup.remove_stale_temps(self.paths.backups)  # copies left by a killed backup (its writer is gone)
            empty = empty_file(self.paths.db, self.paths.backups)
            if empty is not None:  # an empty file where a library was (backups exist) is damage, not new
                raise_for(empty, self.paths.backups)
            refuse_foreign(self.paths.db)  # before any read-write connection (it would switch the file to WAL)
            self.health = HealthCheck(self.paths.db, self.paths.backups)
            if integrity == "now" or not self.paths.db.exists():
                self.health.run_now()
            else:
                raise_for(open_check(self.paths.db), self.paths.backups)
                if migrations_pending(self.paths.db):
                    self.health.run_now()  # migrations rewrite tables: never on a file not fully checked
            self.store = store = Store(self.paths.db)
            self.store.write_gate = self.health.require_ok
            with self.store.lock:
                backup.before_migrations(self.store.conn, self.paths.backups)
                migrate(self.store.conn)
            # The daily backup runs after the check passed (never copies a damaged file), on the same thread.
            background = not self.health.done
            then = (lambda: backup.daily_at(self.paths.db, self.paths.backups)) if daily_backup else None
            if background or then is not None:
                self.health.start(then=then, full_check=background, hold_s=CHECK_HOLD_S if background else 0.0)
            if then is not None:
                self._finish_backup_at_exit()
        except BaseException as exc:
            if store is not None:
                store.close()
            self.lock.release()
            if created:
                remove_new_empty(self.paths.db)  # nothing half-made is left (a full disk at the first open)
            full = storage_error(exc, self.paths.data_dir)
            if full is not None:
                raise full from exc
            raise
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
        from core.config import check_setting

        defaults = Settings()
        for key, value in changes.items():
            if key == "problems" or not hasattr(defaults, key):
                raise KeyError(f"unknown setting {key!r}")
            checked, problem = check_setting(key, value, getattr(defaults, key))
            if problem and checked != value:
                raise ValueError(problem)
            setattr(self.settings, key, checked)
        self.settings.save(self.paths.settings)
        return self.settings

    def close(self) -> None:
        """Wait for a backup copy in progress, close the database, let go of the locks."""
        self.health.cancel()  # a check still running stops (writes stay refused); a backup copy finishes
        self.health.join(timeout=BACKUP_WAIT_S)  # never leave a backup copy running against a closed library
        if self._at_exit is not None:
            atexit.unregister(self._at_exit)
            self._at_exit = None
        try:
            self.updates.release()
            self.store.close()
        finally:
            self.lock.release()  # after the database is closed: a restore may now move it

    def _finish_backup_at_exit(self) -> None:
        """A process that ends without close() (the CLI) still waits for the daily backup's copy at exit:
        killed with the process, it left a partial copy each time (issue 16, case 11)."""
        health = self.health

        def finish() -> None:
            if not health.done:
                health.cancel()  # a check still running is stopped; the backup after it is skipped
            health.join(timeout=BACKUP_WAIT_S)

        self._at_exit = finish
        atexit.register(finish)

    # ----- scanning ---------------------------------------------------------------------------
    def roots(self) -> list[dict[str, Any]]:
        """The library's root folders, by path, with how their last scan went."""
        rows = q.list_roots(self.store.reader())
        return [{"id": r["id"], "path": q.from_db_path(r["path"]), "status": r["last_status"],
                 "last_scan_at": r["last_scan_at"]} for r in rows]

    def add_root(self, path: str) -> int:
        from core.scan.scanner import ensure_root

        return ensure_root(self.store, path)

    def remove_root(self, path: str) -> None:
        """Forget a root folder (its items stay, marked missing; history is never deleted)."""
        path = os.path.abspath(os.path.expanduser(path))
        with self.store.write() as conn:
            q.delete_root(conn, path)

    def scan(self, paths: list[str] | None = None, progress: ProgressFn = None,
             cancel: CancelToken | None = None, retry_failed: bool = False):
        """Add `paths` as roots (if given) and scan them; None scans every root. Returns a ScanReport.
        `retry_failed`: also try again every file that failed before and did not change."""
        from core.scan.scanner import scan

        for p in paths or []:
            if not os.path.exists(p):
                raise FileNotFoundError(f"folder not found: {p}")
            if not os.path.isdir(p):
                raise UserError(f"{p} is not a folder: give the folder that holds your music or videos")
        return scan(self.store, str(self.paths.covers), roots=paths or None,
                    workers=self.settings.scan_workers, timeout_s=self.settings.file_timeout_s,
                    progress=progress, cancel=cancel, retry_failed=retry_failed)

    # ----- reading ----------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counts of everything in the library."""
        out: dict[str, Any] = {**q.status_counts(self.store.reader()), "data_dir": str(self.paths.data_dir)}
        from core.analysis import store as analysis_store
        from core.embed import store as embed_store
        from core.recommend import history

        for part in (analysis_store.stats(self), embed_store.stats(self), history.stats(self)):
            out.update(part)
        return out

    def analysis_due(self) -> list[str]:
        """What the analysis stage would do now ("analysis", "tags", "descriptors", "classes"; [] when current):
        the app starts a background upgrade when a new analyser version left anything stale. Under a second
        at 200k items (a scan per rule: call it off the GUI thread)."""
        from core.analysis import store as analysis_store

        return analysis_store.due(self)

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
        out.update(q.item_details(conn, row["id"]))
        from core.analysis import store as analysis_store
        from core.recommend import history

        out.update(analysis_store.show(self, row))
        out.update(history.show(self, row))
        return json.loads(json.dumps(out, default=str))

    def failures(self) -> list[dict[str, Any]]:
        """Files that could not be read or analysed, and why."""
        return q.all_failures(self.store.reader())

    def items(self, kind: str | None = None, status: str = "ok", limit: int = 1000,
              offset: int = 0) -> list[MediaItem]:
        """A page of items (album order) as MediaItem objects."""
        return q.items_page(self.store.reader(), kind, status, limit, offset)

    # ----- the pipeline: scan -> analyze -> embed ---------------------------------------------------
    def update(self, stages: tuple[str, ...] = UPDATE_STAGES, paths: list[str] | None = None,
               progress: ProgressFn = None, cancel: CancelToken | None = None, retry_failed: bool = False,
               report_errors: bool = False, first: Callable[[], Iterable[int]] | Iterable[int] = ()
               ) -> dict[str, Any]:
        """Bring the library up to date: the chosen stages of scan -> analyze -> embed, always in that order.
        `first`: the items to analyse before the rest (see `analyze`).

        Returns {"scan": ScanReport dict, "analysis": ..., "embedding": ..., "cancelled": bool} for the
        stages that ran. A missing or broken embedding model does not fail the update: "embedding" is then
        {"error": message} and search works on words until the model is fixed. With `report_errors`
        (the app's upkeep process), any other error stops the remaining stages and is returned under
        "errors" {stage: exception}; without it, it is raised.

        One update at a time per library, across processes (the update lock, taken without waiting):
        a second one raises UpdateBusyError ("another Encore is already updating this library (pid N)").
        After each stage the database file is looked at: when it was deleted (or replaced) under Encore,
        DatabaseError says so instead of reporting work that went into a deleted file.
        """
        from core.errors import ModelError

        unknown = set(stages) - set(UPDATE_STAGES)
        if unknown:
            raise ValueError(f"unknown update stages {sorted(unknown)}; choose from {UPDATE_STAGES}")
        out: dict[str, Any] = {}
        todo = [s for s in UPDATE_STAGES if s in stages]
        try:
            self.updates.take()
        except DatabaseError as exc:  # UpdateBusyError
            if not report_errors or not todo:
                raise
            return {"errors": {todo[0]: exc}, "cancelled": False}
        try:
            for stage in todo:
                if cancel is not None and cancel.cancelled:
                    break
                try:
                    if stage == "scan":
                        out["scan"] = self.scan(paths, progress=progress, cancel=cancel,
                                                retry_failed=retry_failed).to_dict()
                    elif stage == "analyze":
                        out["analysis"] = self.analyze(progress=progress, cancel=cancel, retry_failed=retry_failed,
                                                       first=first)
                    else:
                        try:
                            out["embedding"] = self.embed(progress=progress, cancel=cancel)
                        except ModelError as exc:
                            out["embedding"] = {"error": str(exc)}
                    self._refuse_vanished(stage)
                except Exception as exc:
                    error = exc
                    if self.store.vanished():  # the cause, not one of its symptoms
                        error = DatabaseError(vanished_message(self.paths.db, stage))
                    if not report_errors:
                        if error is exc:
                            raise
                        raise error from exc
                    out["errors"] = {stage: error}
                    break
        finally:
            self.updates.give()
        out["cancelled"] = bool(cancel is not None and cancel.cancelled)
        return out

    @contextmanager
    def updating(self) -> Iterator[None]:
        """Hold the update lock for a long job (re-entrant on this thread); raises UpdateBusyError while
        another thread, Library or process runs one on this library."""
        self.updates.take()
        try:
            yield
        finally:
            self.updates.give()

    def _refuse_vanished(self, stage: str) -> None:
        """Raise DatabaseError when the database file was deleted or replaced since the library opened
        (the data folder deleted during `scan --analyze` printed "Analysed 48 ... Embedded 48", exit 0)."""
        if self.store.vanished():
            raise DatabaseError(vanished_message(self.paths.db, stage))

    def analyze(self, progress: ProgressFn = None, cancel: CancelToken | None = None,
                retry_failed: bool = False, first: Callable[[], Iterable[int]] | Iterable[int] = ()
                ) -> dict[str, Any]:
        """Analyse every item whose audio/video analysis is missing or from an older analyser
        (`retry_failed`: also the files that failed before and did not change). `first`: ids to analyse
        before the rest (then the most played, then the newest); a callable is asked again before each
        file, so the window can name what is on screen while a long upgrade runs."""
        from core.analysis.queue import analyze_pending

        return analyze_pending(self, progress=progress, cancel=cancel, retry_failed=retry_failed, first=first)

    def embed(self, progress: ProgressFn = None, cancel: CancelToken | None = None) -> dict[str, Any]:
        """Embed every item whose description text changed or that the current model has not seen.
        Raises core.errors.ModelError when the model folder is missing or broken."""
        from core.embed.pipeline import embed_pending

        with self.updating():  # one long job at a time per library
            return embed_pending(self, progress=progress, cancel=cancel)

    # ----- shared heavy parts (built once, on first use) -------------------------------------------
    def encoder(self) -> TextEncoder:
        """The sentence-transformers encoder of the configured model and device."""
        from core.embed.store import encoder

        return encoder(self)

    def vector_index(self) -> VectorIndex:
        """The in-memory index of the configured model's description vectors."""
        from core.embed.store import vector_index

        return vector_index(self)

    def llm(self) -> LLMRuntime:
        """The local LLM runtime of the configured GGUF (loaded on first generation)."""
        from core.explain.runtime import runtime_for

        return runtime_for(self)

    def llm_status(self) -> dict[str, Any]:
        """Which GGUF, whether it is loaded, and why not, in words for the status bar."""
        from core.explain.service import llm_status

        return llm_status(self)

    # ----- asking -------------------------------------------------------------------------------
    EMPTY_QUERY = "Type what you are looking for: a title, an artist, or words like 'calm piano'"

    @staticmethod
    def query_is_empty(query: str | None) -> bool:
        """Whether a query has nothing to look for: blank, or punctuation only ("!!!", "...")."""
        return not any(c.isalnum() for c in query or "")

    def search(self, query: str, limit: int = 20, kind: str | None = None, profile: str | None = None, *,
               genre: str | None = None, year_min: int | None = None, year_max: int | None = None,
               length_min: float | None = None, length_max: float | None = None) -> list[Hit]:
        """Natural-language search: a list of Hit (item, score, reasons). The keyword filters (the window's
        chips, the CLI's options) are strict: a genre word, a year range, a length range in seconds. A query
        with nothing to look for ("", "!!!") finds nothing unless a filter or kind is given: faces check
        `query_is_empty` first and say EMPTY_QUERY."""
        from core.search.engine import search
        from core.search.filters import Filters

        filters = Filters(genre.strip() if genre and genre.strip() else None, year_min, year_max,
                          length_min, length_max)
        if filters.year_min is not None and filters.year_max is not None and filters.year_min > filters.year_max:
            raise UserError(f"the year range {year_min}-{year_max} runs backwards")
        if filters.length_min is not None and filters.length_max is not None and filters.length_min > filters.length_max:
            raise UserError("the length range runs backwards (the shortest length comes first)")
        return search(self, query, limit=limit, kind=kind, profile=profile or self.settings.profile,
                      filters=filters)

    def prepare_search(self) -> None:
        """Load what a first search needs (the vector index, and where it holds vectors the text encoder and the
        spelling vocabulary: importing sentence-transformers and the model is ~8 s) ahead of it, by running one.
        The window calls this off its thread once it shows, or when the search box first takes the focus."""
        from core.search.engine import search

        search(self, "calm piano", limit=1, profile=self.settings.profile)

    def search_genres(self, limit: int = 30) -> list[str]:
        """The library's most common genres (one word or phrase each), for the genre filter."""
        from core.search.filters import genres

        return genres(self.store.reader(), limit)

    def search_notice(self, query: str | None = None) -> str | None:
        """Why search can match words only right now (the embedding model setting names no usable model, or
        the model does not read the language of `query`), or None. A Hit list cannot carry it, so faces ask
        after a search (the CLI prints it on stderr, the window above the results)."""
        from core.embed.store import encoder
        from core.errors import ModelError
        from core.search.scripts import model_reads, unread_notice

        try:
            folder = encoder(self).model_path
        except ModelError as exc:  # the bundled model's package is missing
            return f"search matched words only: {exc}"
        if not folder.is_dir() or not any((folder / n).is_file() for n in ("config.json", "modules.json")):
            return (f"search matched words only: the embedding model setting {folder} is not a "
                    "sentence-transformers model folder. Choose another one in Settings (or clear the setting "
                    "to use the bundled model), then run `encore embed`")
        if query and not model_reads(query, encoder(self).name):
            return unread_notice(query.strip())
        return None

    def recommend(self, seed: int | str | None = None, mode: str = "for-you", kind: str | None = None,
                  limit: int = 20, profile: str | None = None) -> list[Recommendation]:
        """Recommendations with reasons: a list of Recommendation."""
        from core.recommend.engine import recommend

        return recommend(self, seed=seed, mode=mode, kind=kind, limit=limit,
                         profile=profile or self.settings.profile)

    def rebuild_neighbours(self) -> dict[str, Any]:
        """Recompute every item's item-item neighbours from the whole history."""
        from core.recommend.neighbours import rebuild

        return rebuild(self)

    def explain_recommendations(self, recs: list[Recommendation],
                                seed: int | str | None = None) -> list[Explanation]:
        """An explanation for each of these picks, from the reasons they already carry."""
        from core.explain.service import explain_recommendations

        return explain_recommendations(self, recs, seed=seed)

    # ----- the user's history ----------------------------------------------------------------------
    def record_play(self, event: PlayEvent) -> int:
        """Store one PlayEvent; returns its id."""
        from core.recommend.history import record_play

        return record_play(self, event)

    def rate(self, ref: int | str, value: str, profile: str | None = None) -> None:
        """like | dislike | none."""
        from core.recommend.history import rate

        rate(self, ref, value, profile or self.settings.profile)

    def import_history(self, path: str, profile: str | None = None) -> dict[str, Any]:
        """Import a ListenBrainz JSON, Last.fm CSV or M3U playlist; returns matched/unmatched counts."""
        from core.recommend.importers import import_history

        with self.updating():  # one long job at a time per library
            return import_history(self, path, profile or self.settings.profile)

    def explain(self, ref: int | str, seed: int | str | None = None, reasons: list[Reason] | None = None,
                on_token: Callable[[str], None] | None = None) -> Explanation:
        """A grounded explanation (LLM when it passes the checker, else a template) of why `ref` was
        picked (because of `seed`). Without `reasons`, the recommender's reasons for the item are
        used when it lists it among its top 200 (more like `seed`, or for you); the explain stage
        completes them, or builds provable ones when the recommender does not list the item."""
        from core.explain.service import explain

        recommended = None
        if reasons is None:
            item_id = self.item_row(ref)["id"]
            try:
                recs = (self.recommend(seed=seed, mode="more-like", limit=200) if seed is not None
                        else self.recommend(limit=200))
            except Exception:  # noqa: BLE001 - a failing recommender must not break explanations
                recs = []
            recommended = next((list(r.reasons) for r in recs if r.item.id == item_id), None)
        return explain(self, ref, seed=seed, reasons=reasons, recommended=recommended, on_token=on_token)

    # ----- the user's own data (player resume points, "forget my history", "delete all data") ---------
    def resume_position(self, ref: int | str, profile: str | None = None) -> float | None:
        """Where playback of a video stopped last time (seconds), or None."""
        from core.db import history as hdb

        return hdb.resume_position(self.store.reader(), self.item_row(ref)["id"], profile or self.settings.profile)

    def set_resume_position(self, ref: int | str, seconds: float | None, profile: str | None = None) -> None:
        """Remember (or with None, forget) where playback stopped."""
        from core.db import history as hdb

        item_id, prof = self.item_row(ref)["id"], profile or self.settings.profile
        with self.store.write() as conn:
            hdb.set_resume_position(conn, item_id, prof, seconds)

    def forget_history(self, profile: str | None = None) -> dict[str, int]:
        """Delete plays, ratings and resume points (of one profile, or every profile when None).
        Items, tags, analysis and playlists stay. Returns how many rows went from each table."""
        from core.db import history as hdb

        with self.store.write() as conn:
            removed = hdb.forget(conn, profile)
        with self._lazy_lock:
            self._components.clear()  # models learned from the history are stale now
        return removed

    def delete_all_data(self) -> None:
        """Close the library and delete Encore's own files in the data directory (library, settings,
        caches, backups); the folder itself goes when nothing else is in it. Media files are never touched."""
        import shutil

        self.close()
        data_dir = self.paths.data_dir
        from core.db.connection import PENDING_SUFFIX
        from core.db.lock import LOCK_SUFFIX, UPDATE_SUFFIX

        db = self.paths.db.name
        for name in (db, db + "-wal", db + "-shm", db + PENDING_SUFFIX, db + UPDATE_SUFFIX, db + LOCK_SUFFIX,
                     self.paths.settings.name):
            (data_dir / name).unlink(missing_ok=True)
        for folder in (self.paths.cache, self.paths.backups):
            shutil.rmtree(folder, ignore_errors=True)
        try:
            data_dir.rmdir()
        except OSError:
            pass  # the user keeps other files there

    # ----- for the screens (history, playlists, lists) -----
    # What each method that writes changes; every other method only reads. The UI asks `changes_by`
    # after an operation finished and tells its screens with one "library changed" signal.
    WRITES = {
        "scan": Changes(items=True, details=True),
        "retry_failures": Changes(items=True, details=True),
        "update": Changes(items=True, details=True),
        "add_root": Changes(items=True),
        "remove_root": Changes(items=True, details=True),
        "analyze": Changes(items=True, details=True),  # posters of videos come from their analysis
        "embed": Changes(details=True),
        "rebuild_neighbours": Changes(details=True),
        "record_play": Changes(plays=True),
        "create_playlist": Changes(playlists=True),
        "rate": Changes(ratings=True),
        "import_history": Changes(plays=True, playlists=True),
        "forget_history": Changes(plays=True, ratings=True),
        "save_settings": Changes(settings=True),
        "delete_all_data": Changes.everything(),
        "rename_playlist": Changes(playlists=True),
        "delete_playlist": Changes(playlists=True),
        "add_to_playlist": Changes(playlists=True),
        "remove_from_playlist": Changes(playlists=True),
        "move_in_playlist": Changes(playlists=True),
        "create_smart_playlist": Changes(playlists=True),
        "set_smart_rules": Changes(playlists=True),
        "smart_playlist_from_search": Changes(playlists=True),
    }

    def changes_by(self, operation: str | Callable[..., Any], **arguments: Any) -> Changes:
        """What a finished call of one of this Library's methods changed (an empty Changes for a read).
        `arguments` are the call's keyword arguments: they name the played or rated item, a new profile."""
        import dataclasses

        name = operation if isinstance(operation, str) else operation.__name__
        if not callable(getattr(Library, name, None)):
            raise ValueError(f"{name!r} is not a Library method")
        changes = self.WRITES.get(name, Changes())
        if name == "save_settings" and "profile" in arguments:  # plays, likes and playlists are per profile
            changes |= Changes(plays=True, ratings=True, playlists=True)
        event = arguments.get("event")
        item = event.item_id if name == "record_play" and event is not None else \
            arguments.get("ref") if name == "rate" else None
        if isinstance(item, int):
            changes = dataclasses.replace(changes, item_ids=frozenset({item}))
        return changes

    def item(self, ref: int | str) -> MediaItem:
        """One item as the screens show it (the title is the file name when the file has no title tag)."""
        import dataclasses

        from core.text import display_path

        row = self.item_row(ref)
        item = q.media_item(row)
        return item if item.title else dataclasses.replace(item, title=display_path(q.from_db_path(row["filename"])))

    def file_path(self, ref: int | str) -> str:
        """The file-system path of an item, for opening it (MediaItem.path is made printable instead)."""
        return q.from_db_path(self.item_row(ref)["path"])

    def has_items(self, kind: str) -> bool:
        """Whether the library holds at least one present item of `kind` ("audio" / "video")."""
        from core.db.search import has_kind

        return has_kind(self.store.reader(), kind)

    def item_counts(self) -> dict[str, int]:
        """Present items per kind and the files that failed: {"audio": n, "video": m, "failed": k}
        (a clip too short to analyse, or a file with no sound, plays: it is no failure)."""
        from core.failure_words import describe

        conn = self.store.reader()
        failed = sum(1 for f in q.all_failures(conn) if not describe(f["stage"], f["error"]).quiet)
        return {**q.kind_counts(conn), "failed": failed}

    def item_ids(self, kind: str | None = None, filter_text: str = "", sort: str = "title",
                 descending: bool = False) -> list[int]:
        """Ids of the present items in list order: of one kind, with every word of `filter_text` matching
        (as a prefix) a title, name, album, genre, tag or lyric, sorted by a list column
        (title, artist, album, genre, year, duration, height, added_at, plays, last_played, rating):
        items without a value last, ties in album order. Runs on the caller's thread."""
        from core.db.search import fts_query

        if sort in HISTORY_SORTS:
            return self._ids_by_history(kind, fts_query(filter_text), sort, descending)
        return q.listed_ids(self.store.reader(), kind, fts_query(filter_text), sort, descending)

    def item_rows(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        """{id: its list columns} for a page of a list: id, path (a str), kind, title, artist, album,
        album_artist, genre, year, disc_no, track_no, duration, width, height, added_at, cover_path,
        poster_path, and of the current profile plays (not skips), last_played (a time or None) and
        rating (1 liked, -1 disliked, None)."""
        return self._with_history(q.listed_rows(self.store.reader(), ids))

    def recently_added(self, limit: int = 16) -> list[MediaItem]:
        """The present items added last, newest first."""
        return q.recent_items(self.store.reader(), limit)

    def history(self, limit: int = 500, profile: str | None = None) -> list[HistoryEntry]:
        """The latest plays of a profile (default: the current one), newest first."""
        from core.db import history

        rows = history.play_history(self.store.reader(), profile or self.settings.profile, limit)
        return [HistoryEntry(id=r["id"], item_id=r["item_id"], started_at=float(r["started_at"]),
                             seconds=float(r["seconds"]), completed=float(r["completed"]),
                             skipped=bool(r["skipped"]), source=r["source"], title=r["title"] or "",
                             artist=r["artist"] or "", kind=r["kind"]) for r in rows]

    def last_played(self, profile: str | None = None) -> tuple[int, str] | None:
        """(item id, title) of the latest play that was not a skip, or None."""
        from core.db import history

        return history.latest_play(self.store.reader(), profile or self.settings.profile)

    def because_seed(self, profile: str | None = None) -> tuple[int, str] | None:
        """(item id, title) of the X in "Because you played X": the one rule the For You shelf and
        `recommend --mode because` share (the latest real play with neighbours to offer), or None."""
        from core.recommend.engine import because_seed

        return because_seed(self, profile or self.settings.profile)

    def failure_groups(self) -> list[dict[str, Any]]:
        """The failures grouped by cause, in plain words (core/failure_words.py: the one place that reads
        stored error texts): real problems first, largest group first, then the quiet groups (an
        analysis that does not apply, e.g. a clip too short: the file plays). Each group: cause, title,
        what, todo, quiet, files [{path, name, folder, stage, step, detail, attempts, item_id}]."""
        from core.failure_words import grouped

        return grouped(self.failures())

    @staticmethod
    def failure_words(stage: str, error: str | None, path: str = "") -> dict[str, Any]:
        """One stored failure in plain words: cause, title, what, todo, quiet and detail (what the
        decoder said, without class names or version marks)."""
        import dataclasses

        from core.failure_words import describe, detail

        return {**dataclasses.asdict(describe(stage, error)), "detail": detail(error, path)}

    # ----- playlists -----
    # Lists of items in order (made here, imported from M3U) and smart playlists (a rule set, evaluated
    # each time it is read, so it follows the library and the history). SQL in core/db/playlists.py,
    # rules in core/playlists.py.
    def playlists(self, profile: str | None = None) -> list[PlaylistInfo]:
        """The playlists of a profile (made, imported, generated, smart), newest first."""
        from core.db import playlists as pdb

        return [self._playlist_info(r) for r in pdb.playlists_of(self.store.reader(), profile or self.settings.profile)]

    def playlist(self, ref: int | str, profile: str | None = None) -> PlaylistInfo:
        """One playlist by id, or by name among the profile's playlists; UserError when there is none
        (or when two share the name)."""
        return self._playlist_info(self._playlist_row(ref, profile))

    def playlist_item_ids(self, playlist_id: int) -> list[int]:
        """The item ids of a playlist in its order; a smart playlist's rules are evaluated now."""
        from core.db import playlists as pdb

        row = self._playlist_row(playlist_id)
        if row["rules"] is None:
            return pdb.playlist_item_ids(self.store.reader(), row["id"])
        return self.evaluate_rules(row["rules"], profile=row["profile"], seed=row["id"])

    def playlist_items(self, playlist_id: int) -> list[MediaItem]:
        """The items of one playlist, in its order (a smart playlist's rules are evaluated now)."""
        ids = self.playlist_item_ids(playlist_id)
        rows = q.items_by_ids(self.store.reader(), ids)
        return [q.media_item(rows[i]) for i in ids if i in rows]

    def create_playlist(self, playlist_name: str, item_ids: list[int] | tuple[int, ...] = (),
                        profile: str | None = None) -> int:
        """A new playlist of these items (in this order); returns its id."""
        from core.db import history as hdb
        from core.db import playlists as pdb

        name, prof = self._new_playlist_name(playlist_name, profile), profile or self.settings.profile
        ids = self._known_ids(item_ids)
        with self.store.write() as conn:
            hdb.ensure_profile(conn, prof)
            return pdb.add_playlist(conn, name, prof, "user", "", ids)

    def rename_playlist(self, playlist_id: int, new_name: str) -> None:
        """Give a playlist another name (not one another playlist of the profile has)."""
        from core.db import playlists as pdb

        row = self._playlist_row(playlist_id)
        name = self._new_playlist_name(new_name, row["profile"], keep=row["id"])
        with self.store.write() as conn:
            pdb.rename_playlist(conn, row["id"], name)

    def delete_playlist(self, playlist_id: int) -> None:
        """Delete a playlist (its items stay in the library)."""
        from core.db import playlists as pdb

        row = self._playlist_row(playlist_id)
        with self.store.write() as conn:
            pdb.delete_playlist(conn, row["id"])

    def playlist_duplicates(self, playlist_id: int, item_ids: list[int]) -> list[int]:
        """Which of `item_ids` the playlist holds already (asked before adding: add anyway or skip)."""
        from core.db import playlists as pdb

        held = pdb.contained(self.store.reader(), self._playlist_row(playlist_id)["id"], item_ids)
        return [i for i in dict.fromkeys(item_ids) if i in held]

    def add_to_playlist(self, playlist_id: int, item_ids: list[int], at: int | None = None,
                        skip_duplicates: bool = False) -> dict[str, int]:
        """Add items (at position `at`, default the end); with `skip_duplicates`, items the playlist
        holds already (or repeated in `item_ids`) are left out. Returns {"added", "skipped"}."""
        from core.db import playlists as pdb

        row = self._editable_playlist(playlist_id)
        ids = self._known_ids(item_ids)
        with self.store.write() as conn:
            current = pdb.playlist_item_ids(conn, row["id"])
            new = ids
            if skip_duplicates:
                held = set(current)
                new = [i for i in dict.fromkeys(ids) if i not in held]
            if at is None or at >= len(current):
                pdb.append_items(conn, row["id"], new)
            else:
                at = max(0, int(at))
                pdb.set_items(conn, row["id"], current[:at] + new + current[at:])
        return {"added": len(new), "skipped": len(ids) - len(new)}

    def remove_from_playlist(self, playlist_id: int, positions: list[int]) -> int:
        """Remove the entries at these positions (0 = first); returns how many went."""
        from core.db import playlists as pdb

        row = self._editable_playlist(playlist_id)
        with self.store.write() as conn:
            current = pdb.playlist_item_ids(conn, row["id"])
            gone = {p for p in positions if 0 <= p < len(current)}
            if gone:
                pdb.set_items(conn, row["id"], [item for n, item in enumerate(current) if n not in gone])
        return len(gone)

    def move_in_playlist(self, playlist_id: int, positions: list[int], to: int) -> list[int]:
        """Move the entries at `positions` (kept in their order) to before the entry now at `to`
        (len = the end), as a drop between rows does; returns their new positions."""
        from core.db import playlists as pdb

        row = self._editable_playlist(playlist_id)
        with self.store.write() as conn:
            current = pdb.playlist_item_ids(conn, row["id"])
            moving = sorted({p for p in positions if 0 <= p < len(current)})
            if not moving:
                return []
            to = min(max(int(to), 0), len(current))
            held = set(moving)
            rest = [item for n, item in enumerate(current) if n not in held]
            at = to - sum(1 for p in moving if p < to)
            order = rest[:at] + [current[p] for p in moving] + rest[at:]
            if order != current:
                pdb.set_items(conn, row["id"], order)
        return list(range(at, at + len(moving)))

    def create_smart_playlist(self, playlist_name: str, rules: Any, profile: str | None = None) -> int:
        """A new smart playlist (rules: a core.playlists.SmartRules, its dict or JSON); returns its id."""
        from core.db import history as hdb
        from core.db import playlists as pdb
        from core.playlists import validate

        checked = validate(rules)
        name, prof = self._new_playlist_name(playlist_name, profile), profile or self.settings.profile
        with self.store.write() as conn:
            hdb.ensure_profile(conn, prof)
            return pdb.add_playlist(conn, name, prof, "smart", checked.query, (), rules=checked.to_json())

    def set_smart_rules(self, playlist_id: int, rules: Any) -> None:
        """Replace a smart playlist's rules."""
        from core.db import playlists as pdb
        from core.playlists import validate

        row = self._playlist_row(playlist_id)
        if row["rules"] is None:
            raise UserError(f"“{row['name']}” is a list of items, not a smart playlist: it has no rules")
        checked = validate(rules)
        with self.store.write() as conn:
            pdb.set_rules(conn, row["id"], checked.to_json())

    def smart_rules_from_search(self, query: str) -> SmartRules:
        """The editable rules a search stands for (kind, genre, years, tempo, length, plays, words...)."""
        from core.db.search import doc_frequency
        from core.playlists import from_intent
        from core.search.intent import parse

        if not query or not query.strip():
            raise UserError("give a search to make a smart playlist from, like “calm piano from the 70s”")
        from core.db.playlists import terms_containing

        conn = self.store.reader()
        return from_intent(parse(query), known_words=lambda words: {
            w for w, n in doc_frequency(conn, words).items() if n},
            described=lambda words: terms_containing(conn, words))

    def smart_playlist_from_search(self, query: str, playlist_name: str | None = None,
                                   profile: str | None = None) -> int:
        """A smart playlist whose rules are what the search asks for (not a frozen list of its results)."""
        rules = self.smart_rules_from_search(query)
        return self.create_smart_playlist(playlist_name or rules.query or query, rules, profile=profile)

    def evaluate_rules(self, rules: Any, profile: str | None = None, seed: int = 0) -> list[int]:
        """The ids of the present items a rule set selects now, in its order (a preview: nothing stored)."""
        from core.db import playlists as pdb
        from core.playlists import validate

        return pdb.smart_ids(self.store.reader(), validate(rules), profile or self.settings.profile, seed=seed)

    def describe_rules(self, rules: Any) -> str:
        """A rule set in words: 'all of: kind is music, tempo at least 118 BPM; by artist, album, track'."""
        from core.playlists import describe, validate

        return describe(validate(rules))

    def export_playlist(self, playlist_id: int, path: str, relative: bool = False) -> dict[str, Any]:
        """Write the playlist as an extended M3U (UTF-8, .m3u8) with absolute paths, or paths relative
        to the file's folder; returns {"path", "entries", "left_out"}."""
        from core.playlists import Entry, write_m3u8

        ids = self.playlist_item_ids(playlist_id)
        rows = q.items_by_ids(self.store.reader(), ids)
        entries = [Entry(path=q.from_db_path(rows[i]["path"]), duration=rows[i]["duration"],
                         artist=rows[i]["artist"] or "", title=rows[i]["title"] or "") for i in ids if i in rows]
        return write_m3u8(entries, path, relative=relative)

    def _playlist_row(self, ref: int | str, profile: str | None = None):
        from core.db import playlists as pdb

        conn = self.store.reader()
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            row = pdb.playlist_row(conn, int(ref))
            if row is not None:
                return row
            if isinstance(ref, int):
                raise UserError(f"no playlist #{ref} (see `encore playlist list`)")
        ids = pdb.playlist_ids_named(conn, profile or self.settings.profile, str(ref).strip())
        if len(ids) > 1:
            raise UserError(f"{len(ids)} playlists are called “{ref}”: give its number ({', '.join(map(str, ids))})")
        if not ids:
            named = f"#{ref} or called “{ref}”" if str(ref).strip().isdigit() else f"called “{ref}”"
            raise UserError(f"no playlist {named} (see `encore playlist list`)")
        return pdb.playlist_row(conn, ids[0])

    def _editable_playlist(self, playlist_id: int):
        row = self._playlist_row(playlist_id)
        if row["rules"] is not None:
            raise UserError(f"“{row['name']}” is a smart playlist: its items follow its rules (edit the rules "
                            "instead, or make a playlist of its items)")
        return row

    def _playlist_info(self, row) -> PlaylistInfo:
        from core.playlists import describe, validate

        rules = summary = None
        if row["rules"] is not None:
            try:
                checked = validate(row["rules"])
                rules, summary = checked.to_dict(), describe(checked)
            except UserError as exc:  # stored by a newer Encore, or damaged: shown, never evaluated wrongly
                rules, summary = {}, f"rules Encore cannot read: {exc}"
        return PlaylistInfo(id=row["id"], name=row["name"], source=row["source"], note=row["note"],
                            size=row["n"], rules=rules, summary=summary or "")

    def _new_playlist_name(self, name: str, profile: str | None, keep: int | None = None) -> str:
        from core.db import playlists as pdb
        from core.playlists import check_name

        name = check_name(name)
        others = [i for i in pdb.playlist_ids_named(self.store.reader(), profile or self.settings.profile, name)
                  if i != keep]
        if others:
            taken = pdb.playlist_row(self.store.reader(), others[0])
            raise UserError(f"there is a playlist called “{taken['name'] if taken else name}” already: "
                            "choose another name")
        return name

    def _known_ids(self, item_ids: Any) -> list[int]:
        """`item_ids` as ints, every one an item of the library (ItemNotFound names the first that is not)."""
        try:
            ids = [int(i) for i in item_ids]
        except (TypeError, ValueError) as exc:
            raise UserError(f"item ids must be numbers ({exc})") from exc
        rows = q.items_by_ids(self.store.reader(), ids)
        missing = [i for i in ids if i not in rows]
        if missing:
            raise ItemNotFound(f"no item {missing[0]} in the library" + (f" (and {len(missing) - 1} more)"
                                                                        if len(missing) > 1 else ""))
        return ids

    def retry_failures(self, progress: ProgressFn = None, cancel: CancelToken | None = None):
        """Scan every root now, trying again every file that failed to be read (a plain scan retries only
        those whose cause may have passed, at most 5 times, hours apart). Returns a ScanReport ("retried")."""
        return self.scan(None, progress=progress, cancel=cancel, retry_failed=True)

    # ----- albums and artists -----
    # The Albums and Artists pages group the music by album artist (else artist) and album, case ignored
    # (SQL in core/db/items.py: albums, album_track_ids, artists); the lists' plays / last played / rating
    # columns come from the history readers (core/db/history.py: real plays only, skips not counted).
    def albums(self, artist: str | None = None) -> list[q.AlbumRow]:
        """The albums of the music (of one album artist when given), by artist, year and title; albums
        of no known artist after them and the tracks on no album last. Each: artist ('' unknown; None
        for the library's one "Unknown album"), album ('' = no album), year, tracks, duration,
        cover_path (of its first track with a cover), first_id."""
        return q.albums(self.store.reader(), artist)

    def album_item_ids(self, artist: str | None, album: str) -> list[int]:
        """The tracks of one album (the artist and album of an `albums()` row) in disc and track order."""
        return q.album_track_ids(self.store.reader(), artist, album)

    def artists(self) -> list[q.ArtistRow]:
        """The album artists (else artists) of the music by name, no artist last: artist ('' unknown),
        albums, tracks, duration, cover_path."""
        return q.artists(self.store.reader())

    def _with_history(self, rows: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
        """The list rows with plays, last_played and rating of the current profile added."""
        from core.db import history

        conn, profile = self.store.reader(), self.settings.profile
        ids = list(rows)
        plays = history.play_counts(conn, profile, ids) if ids else {}
        last = history.last_played(conn, profile, ids) if ids else {}
        ratings = history.ratings_of(conn, profile) if ids else {}
        for item_id, row in rows.items():
            row.update(plays=plays.get(item_id, 0), last_played=last.get(item_id), rating=ratings.get(item_id))
        return rows

    def _ids_by_history(self, kind: str | None, match: str | None, sort: str, descending: bool) -> list[int]:
        """List ids sorted by plays, last played or rating; items never played (or not rated) last, in
        album order, and ties in album order too (a stable sort of the album-ordered list)."""
        from core.db import history

        conn, profile = self.store.reader(), self.settings.profile
        ordered = q.listed_ids(conn, kind, match, "artist")
        if sort == "rating":
            value: dict[int, float] = dict(history.ratings_of(conn, profile))
        else:
            totals = history.play_totals(conn, profile)
            value = ({i: float(n) for i, n, _skips, _last in totals if n} if sort == "plays"
                     else {i: float(last) for i, _n, _skips, last in totals if last is not None})
        valued = [i for i in ordered if i in value]
        valued.sort(key=value.__getitem__, reverse=descending)  # reverse keeps equal keys in order
        return valued + [i for i in ordered if i not in value]


# ----- doors that work without opening a library (a damaged database is their reason to exist) ------
def doctor(data_dir: str | os.PathLike | None, gpu: bool = True) -> dict[str, Any]:
    """Check the database, models, GPU and caches of a data folder; says what to do about each problem."""
    from core.doctor import run_checks

    return run_checks(data_dir, gpu=gpu)


def backup_now(data_dir: str | os.PathLike | None) -> Path:
    """Take a manual backup of a healthy library; returns the backup file."""
    from core.doctor import backup_now

    return backup_now(data_dir)


def list_backups(data_dir: str | os.PathLike | None) -> list[Path]:
    """The automatic and manual backups of a data folder, newest first."""
    from core.db.backup import list_backups

    return list_backups(Paths(resolve_data_dir(data_dir)).backups)


def restore_backup(data_dir: str | os.PathLike | None, source: str | None = None,
                   force: bool = False) -> dict[str, Any]:
    """Put back a backup (the newest good one when `source` is None); the current file is kept aside."""
    from core.doctor import _restore

    return _restore(data_dir, source, force=force)
