"""StageContext: the small typed view of a Library that a stage receives (never the Library itself).

Stages (scan, analysis, embed, search, recommend, explain) import this Protocol, not core.library, so
the import graph runs one way: Library -> stages -> db. `core.library.Library` satisfies it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from core.config import Paths, Settings
    from core.db.connection import Store

T = TypeVar("T")


class StageContext(Protocol):
    """What a stage may use: the database, the settings, the data folders and shared lazy parts."""

    store: Store
    settings: Settings
    paths: Paths

    def component(self, name: str, factory: Callable[[], T]) -> T:
        """A lazily built helper shared by every caller of this library (encoder, index, LLM...)."""
        ...

    def peek_component(self, name: str) -> object | None:
        """The helper built under `name`, or None when nobody built it yet (never builds one)."""
        ...

    def drop_component(self, name: str) -> None:
        """Forget a helper so that the next caller builds it afresh."""
        ...

    def item_row(self, ref: int | str) -> sqlite3.Row:
        """The items row of an id or path; raises core.errors.ItemNotFound."""
        ...
