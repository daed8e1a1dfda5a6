"""Settings and the data directory (platformdirs default; --data-dir or ENCORE_DATA_DIR override)."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from core.atomic import write_atomically

APP_NAME = "Encore"
DB_FILENAME = "library.sqlite3"
SETTINGS_FILENAME = "settings.json"


def default_data_dir() -> Path:
    """The platform's per-user data directory for Encore."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """--data-dir wins, then ENCORE_DATA_DIR, then the platform default."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get("ENCORE_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


# Bounds of every number a user (or a hand-edited settings.json) can set. Unbounded values crashed or
# exhausted the machine: llm_threads 100000 segfaulted llama.cpp, llm_context 1e9 peaked at 19.7 GB,
# scan_workers 100000 forked ~45 processes/s. Numbers outside are clamped; wrong types get the default.
_CORES = os.cpu_count() or 1
NUMBER_BOUNDS: dict[str, tuple[float, float]] = {
    "llm_context": (256, 32768),
    "llm_threads": (0, _CORES),
    "llm_gpu_layers": (-1, 1000),
    "scan_workers": (0, max(1, 2 * _CORES)),
    "file_timeout_s": (1.0, 600.0),
    "analysis_timeout_s": (5.0, 3600.0),
    "session_gap_minutes": (1, 24 * 60),
}
CHOICES: dict[str, tuple[str, ...]] = {"device": ("auto", "cpu", "cuda", "mps"), "theme": ("system", "light", "dark")}
MAX_TEXT = 4096  # paths and names
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


@dataclass
class Settings:
    """User settings, persisted as JSON in the data directory. `problems` says what `load` had to fix."""

    embedding_model: str = ""  # a sentence-transformers folder; "" = bundled all-MiniLM-L6-v2
    llm_model: str = ""  # a GGUF file; "" = bundled SmolLM2-135M-Instruct
    llm_enabled: bool = True
    llm_context: int = 2048
    llm_threads: int = 0  # 0 = auto
    llm_gpu_layers: int = -1  # -1 = auto (all layers when a GPU is present), 0 = CPU only
    device: str = "auto"  # auto | cpu | cuda | mps
    profile: str = "default"
    scan_workers: int = 0  # 0 = auto
    file_timeout_s: float = 20.0
    analysis_timeout_s: float = 120.0
    session_gap_minutes: int = 30
    theme: str = "system"  # system | light | dark
    include_short_clips: bool = False  # sound effects / short clips in music shelves, Radio and "more like this"
    extra: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read settings; a missing or unreadable file gives defaults, a bad value its default (never raises).
        Each value that had to be changed is described in `problems`."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, RecursionError) as exc:
            return cls(problems=[f"{path.name} could not be read ({type(exc).__name__}); using the defaults"])
        if not isinstance(raw, dict):
            return cls(problems=[f"{path.name} is not a JSON object; using the defaults"])
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Settings:
        """Settings from a dict, every value checked against its type and bounds."""
        defaults = cls()
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in fields(cls):
            if f.name == "problems" or f.name not in raw:
                continue
            value, problem = check_setting(f.name, raw[f.name], getattr(defaults, f.name))
            values[f.name] = value
            if problem:
                problems.append(problem)
        return cls(**values, problems=problems)

    def save(self, path: Path) -> None:
        """Write atomically (temp file + rename) so a crash never leaves half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {k: v for k, v in asdict(self).items() if k != "problems"}
        write_atomically(path, json.dumps(data, indent=2, sort_keys=True))


def check_setting(name: str, value: Any, default: Any) -> tuple[Any, str]:
    """(the value to use, a problem sentence or "") for one setting, checked against its default's type."""
    def bad(why: str) -> tuple[Any, str]:
        return default, f"setting {name!r}: {why}; using the default {default!r}"

    if isinstance(default, bool):
        if isinstance(value, bool):
            return value, ""
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            flag = value.strip().lower() in _TRUE
            return flag, f"setting {name!r}: {value!r} is text, read as {str(flag).lower()}"
        return bad(f"{value!r} is not true or false")
    if isinstance(default, int | float):
        number = value
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return bad(f"{value!r} is not a number")
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            return bad(f"{value!r} is not a number")
        if isinstance(default, int) and number != int(number):
            return bad(f"{value!r} is not a whole number")
        low, high = NUMBER_BOUNDS.get(name, (-math.inf, math.inf))
        used = min(max(number, low), high)
        used = int(used) if isinstance(default, int) else float(used)
        if used != number:
            return used, f"setting {name!r}: {value!r} is outside {low:g}..{high:g}; using {used!r}"
        if isinstance(value, str):
            return used, f"setting {name!r}: {value!r} is text, read as {used!r}"
        return used, ""
    if isinstance(default, str):
        if not isinstance(value, str):
            return bad(f"{value!r} is not text")
        if name in CHOICES and value not in CHOICES[name]:
            return bad(f"{value!r} is not one of {', '.join(CHOICES[name])}")
        if len(value) > MAX_TEXT or (name == "profile" and not value.strip()):
            return bad("the text is empty or too long" if name == "profile" else "the text is too long")
        return value, ""
    if isinstance(default, dict):
        return (value, "") if isinstance(value, dict) else bad("is not a JSON object")
    return bad("has an unknown type")


@dataclass(frozen=True)
class Paths:
    """Every location Encore writes to, derived from one data directory."""

    data_dir: Path

    @property
    def db(self) -> Path:
        return self.data_dir / DB_FILENAME

    @property
    def settings(self) -> Path:
        return self.data_dir / SETTINGS_FILENAME

    @property
    def cache(self) -> Path:
        return self.data_dir / "cache"

    @property
    def covers(self) -> Path:
        return self.cache / "covers"

    @property
    def keyframes(self) -> Path:
        return self.cache / "keyframes"

    @property
    def numba_cache(self) -> Path:
        return self.cache / "numba"

    @property
    def backups(self) -> Path:
        return self.data_dir / "backups"

    def ensure(self) -> None:
        """Create the folders Encore writes to; raises DataDirError (a plain message) when it cannot."""
        from core.errors import DataDirError

        for p in (self.data_dir, self.cache, self.covers, self.keyframes, self.numba_cache):
            try:
                p.mkdir(parents=True, exist_ok=True)
            except FileExistsError as exc:
                raise DataDirError(f"the data folder {self.data_dir} cannot be used: {exc.filename} is a file, "
                                   "not a folder. Choose another folder with --data-dir") from exc
            except OSError as exc:
                raise DataDirError(f"the data folder {self.data_dir} cannot be used: "
                                   f"{exc.strerror or exc} ({exc.filename or p}). "
                                   "Choose another folder with --data-dir") from exc
