"""Writing a file whole or not at all: a temporary name of this process's own, then a rename over the target.

Two processes writing the same file at once (two `analyze` runs making one keyframe) each write their own
temporary file, so neither sees half of the other's; a crash leaves the old file (and no temporary one).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: str | os.PathLike, data: bytes | str, encoding: str = "utf-8") -> None:
    """Replace `path` with `data` (text is written with `encoding` and \\n line ends)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem[:40]}-", suffix=target.suffix + ".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode(encoding) if isinstance(data, str) else data)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
