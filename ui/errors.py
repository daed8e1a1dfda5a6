"""Turning exceptions into plain-word messages a user can act on (never a traceback)."""

from __future__ import annotations

import sqlite3


def stage_missing(exc: BaseException) -> bool:
    """True when a core stage is not built yet (its `core.*` module cannot be imported)."""
    if isinstance(exc, ModuleNotFoundError):
        return (exc.name or "").startswith("core.")
    return False


def plain_error(exc: BaseException, doing: str = "") -> str:
    """One or two sentences: what went wrong and what to do about it."""
    prefix = f"Could not {doing}: " if doing else ""
    if isinstance(exc, ModuleNotFoundError) and (exc.name or "").startswith("core."):
        return prefix + "this part of Encore is not installed in this build yet."
    if isinstance(exc, ModuleNotFoundError):
        return prefix + f"the Python package '{exc.name}' is missing. Run scripts/setup.sh to install it."
    if isinstance(exc, FileNotFoundError):
        return prefix + f"{_strip(exc)}. Check that the folder or drive is still there."
    if isinstance(exc, PermissionError):
        return prefix + f"Encore is not allowed to read {exc.filename or 'that file'}. Check its permissions."
    if isinstance(exc, LookupError):
        return prefix + f"{_strip(exc)}."
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return prefix + "the library is busy with another task. Try again in a moment."
    if isinstance(exc, sqlite3.DatabaseError):
        return prefix + f"the library database reported a problem ({exc}). A backup is in the data folder."
    if isinstance(exc, MemoryError):
        return prefix + "not enough memory. Close other programs or choose a smaller model in Settings."
    if isinstance(exc, OSError):
        return prefix + f"{exc.strerror or exc}" + (f" ({exc.filename})" if exc.filename else "") + "."
    text = str(exc).strip() or type(exc).__name__
    return prefix + text[0].lower() + text[1:] + ("" if text.endswith(".") else ".")


def _strip(exc: BaseException) -> str:
    text = str(exc.args[0]) if exc.args else str(exc)
    return text.strip().strip("'\"").rstrip(".")
