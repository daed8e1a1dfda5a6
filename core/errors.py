"""The EncoreError family and plain-language messages, shared by the CLI and the UI."""

from __future__ import annotations

import sqlite3


class EncoreError(Exception):
    """An error a user can act on: its message says what happened, to which file, and what to do."""


class UserError(EncoreError):
    """A bad argument or request (the CLI prints it as one line and exits with code 2)."""


class ItemNotFound(EncoreError, LookupError):
    """An item id or path that is not in the library."""


class DatabaseError(EncoreError, RuntimeError):
    """The library database cannot be used (damaged, locked, or from a newer Encore)."""


class UpdateBusyError(DatabaseError):
    """Another process (or another thread or Library of this one) is already running a long job on the library."""


class DamagedDatabaseError(DatabaseError):
    """The database file failed its integrity check; Encore will not write to it."""


class DataDirError(EncoreError, OSError):
    """The data folder cannot be used (it is a file, under a file, read-only, or full)."""


class ModelError(EncoreError, RuntimeError):
    """The embedding model folder is missing or not a sentence-transformers model."""


class LLMError(EncoreError, RuntimeError):
    """The LLM cannot be used (bad file, too large, crashed): Encore falls back to templates."""


def plain_error(exc: BaseException, doing: str = "") -> str:
    """One or two sentences: what went wrong and what to do about it (never a traceback)."""
    prefix = f"Could not {doing}: " if doing else ""
    if isinstance(exc, EncoreError):
        return prefix + _sentence(_strip(exc))
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
    return prefix + _sentence(str(exc).strip() or type(exc).__name__)


def _sentence(text: str) -> str:
    text = text or "unknown error"
    return text[0].lower() + text[1:] + ("" if text.endswith(".") else ".")


def _strip(exc: BaseException) -> str:
    text = str(exc.args[0]) if exc.args else str(exc)
    return text.strip().strip("'\"").rstrip(".")
