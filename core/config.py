"""Settings and the data directory (platformdirs default; --data-dir or ENCORE_DATA_DIR override)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

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


@dataclass
class Settings:
    """User settings, persisted as JSON in the data directory."""

    embedding_model: str = ""  # a sentence-transformers folder; "" = bundled all-MiniLM-L6-v2
    llm_model: str = ""  # a GGUF file; "" = bundled SmolLM2-135M-Instruct
    llm_enabled: bool = True
    llm_context: int = 2048
    llm_threads: int = 0  # 0 = auto
    llm_gpu_layers: int = -1  # -1 = auto (all layers when a GPU is present), 0 = CPU only
    llm_query_parsing: bool = False
    device: str = "auto"  # auto | cpu | cuda | mps
    profile: str = "default"
    scan_workers: int = 0  # 0 = auto
    file_timeout_s: float = 20.0
    analysis_timeout_s: float = 120.0
    session_gap_minutes: int = 30
    theme: str = "system"  # system | light | dark
    extra: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read settings; a missing or unreadable file gives defaults (never raises)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known} if isinstance(raw, dict) else {}
        try:
            return cls(**values)
        except TypeError:
            return cls()

    def save(self, path: Path) -> None:
        """Write atomically (temp file + rename) so a crash never leaves half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh, indent=2, sort_keys=True)
        os.replace(tmp, path)


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
        for p in (self.data_dir, self.cache, self.covers, self.keyframes, self.numba_cache):
            p.mkdir(parents=True, exist_ok=True)
