"""Frozen dataclasses passed between layers (core <-> ui/cli)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

AUDIO = "audio"
VIDEO = "video"


@dataclass(frozen=True)
class Progress:
    """A progress report: `done` of `total` units of `stage`, currently at `current`."""

    stage: str
    done: int
    total: int
    current: str = ""
    eta_s: float | None = None


@dataclass(frozen=True)
class MediaItem:
    """One file in the library as the UI and CLI see it."""

    id: int
    path: str
    kind: str
    status: str
    title: str
    artist: str = ""
    album: str = ""
    genre: str = ""
    year: int | None = None
    duration: float | None = None
    cover_path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Reason:
    """One typed piece of evidence behind a search hit or a recommendation."""

    kind: str  # co_played | similar_sound | similar_look | similar_text | matches_query | ...
    weight: float
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "weight": round(float(self.weight), 4), **self.detail}


@dataclass(frozen=True)
class Moment:
    """The point of a video a search hit is about: a keyframe that matches the query clearly better than the
    rest of the video ("close-up of a face" at 0:42). `picture`: that keyframe's stored JPEG (None if gone)."""

    ms: int
    phrase: str
    picture: str | None = None

    @property
    def seconds(self) -> float:
        return self.ms / 1000.0

    @property
    def at(self) -> str:
        """The time as people write it: "0:42", "12:05", "1:02:03"."""
        h, rem = divmod(int(self.ms // 1000), 3600)
        m, s = divmod(rem, 60)
        return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"

    def to_dict(self) -> dict[str, Any]:
        return {"ms": self.ms, "at": self.at, "phrase": self.phrase, "picture": self.picture}


@dataclass(frozen=True)
class Hit:
    """A search result with why it matched; `moment`: where in a video it matched (None: the whole item)."""

    item: MediaItem
    score: float
    reasons: tuple[Reason, ...] = ()
    moment: Moment | None = None


@dataclass(frozen=True)
class Recommendation:
    """A recommended item, its score and the reasons that make up the score."""

    item: MediaItem
    score: float
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """A readable explanation of a pick and where it came from."""

    item_id: int
    text: str
    source: str  # "llm" | "template"
    evidence: tuple[dict, ...] = ()
    model: str = ""
    seconds: float = 0.0


# What counts as a play (docs/ARCHITECTURE.md, "What counts as a play"): leaving an item for another one
# within its first SKIP_WITHIN_S seconds or SKIP_WITHIN_SHARE of its length, whichever is shorter, is a
# skip; a longer listen that stops early is a partial play weighted by the share heard.
SKIP_WITHIN_S = 30.0
SKIP_WITHIN_SHARE = 0.2
PLAYED, FAILED, DUPLICATE = "played", "failed", "duplicate"  # play_events.outcome; recommenders read PLAYED


def skip_window(duration: float | None) -> float:
    """How many seconds heard still make leaving an item of `duration` seconds a skip."""
    length = float(duration or 0.0)
    return min(SKIP_WITHIN_S, SKIP_WITHIN_SHARE * length) if length > 0 else SKIP_WITHIN_S


@dataclass(frozen=True)
class PlayEvent:
    """One play of an item (outcome FAILED: the item could not be played; stored, never read as a play)."""

    item_id: int
    started_at: float
    seconds: float
    completed: float = 0.0  # fraction 0..1: the share heard
    skipped: bool = False
    source: str = "player"
    profile: str = "default"
    outcome: str = PLAYED


@dataclass(frozen=True)
class Changes:
    """What a Library operation changed, so that each screen redraws only what it shows (the idea of
    Anki's OpChanges). `Library.changes_by(operation)` says it for every Library method; the UI emits
    one "library changed" signal carrying it."""

    items: bool = False  # which items exist, or the columns of the lists (scan, a removed folder)
    details: bool = False  # what is known about items: tags, features, descriptors, vectors, failures
    plays: bool = False  # play events (the History page, "Because you played", play counts)
    ratings: bool = False  # likes and dislikes
    playlists: bool = False
    settings: bool = False
    item_ids: frozenset[int] = frozenset()  # the items concerned when known; empty: any of them

    def __or__(self, other: Changes) -> Changes:
        """Both sets of changes (fields or-ed, item ids joined; an unknown set of ids stays unknown)."""
        ids = frozenset() if (self.any() and not self.item_ids) or (other.any() and not other.item_ids) \
            else self.item_ids | other.item_ids
        return Changes(items=self.items or other.items, details=self.details or other.details,
                       plays=self.plays or other.plays, ratings=self.ratings or other.ratings,
                       playlists=self.playlists or other.playlists, settings=self.settings or other.settings,
                       item_ids=ids)

    def any(self) -> bool:
        """Whether anything changed at all."""
        return self.items or self.details or self.plays or self.ratings or self.playlists or self.settings

    def touches(self, item_id: int | None) -> bool:
        """Whether the changes may concern this item (True when the ids are not known)."""
        return item_id is not None and (not self.item_ids or item_id in self.item_ids)

    @classmethod
    def everything(cls) -> Changes:
        """All of it (a new library, deleted data): every screen redraws."""
        return cls(items=True, details=True, plays=True, ratings=True, playlists=True, settings=True)


@dataclass(frozen=True)
class HistoryEntry:
    """One row of the History page: a play event and the item it played."""

    id: int
    item_id: int
    started_at: float
    seconds: float
    completed: float
    skipped: bool
    source: str
    title: str  # the file name when the item has no title tag
    artist: str
    kind: str


@dataclass(frozen=True)
class PlaylistInfo:
    """A playlist (made, imported or generated) and how many items it holds. A smart playlist has
    `rules` (its rule set as a dict, see core.playlists) and `size` 0: its items are evaluated when read."""

    id: int
    name: str
    source: str
    note: str
    size: int
    rules: dict[str, Any] | None = None
    summary: str = ""  # a smart playlist's rules in words

    @property
    def smart(self) -> bool:
        return self.rules is not None


class CancelToken:
    """Set by the caller to ask a long-running core function to stop at the next safe point."""

    def __init__(self) -> None:
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled
