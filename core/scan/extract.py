"""Per-file extraction, run inside an isolated worker: hash, tags, container facts, sidecars, cover."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any, BinaryIO

from core.atomic import write_atomically
from core.isolation import run_test_hooks
from core.scan import sidecars
from core.scan.formats import kind_of
from core.scan.guard import (
    SIDECAR_LIMITS,
    Refused,
    check_readable,
    open_regular,
    outside_reason,
    read_regular,
)
from core.scan.tags import canonical_fields, read_tags_counted
from core.text import MAX_TEXT_CHARS, clean_text, decode_bytes

EXTRACT_VERSION = 1  # a bump re-extracts every file, and so re-analyses it: keep it for real changes
HASH_BLOCK = 64 * 1024
COVER_SIZE = 320


def content_hash(path: str, size: int | None = None) -> str:
    """blake2b of size + first 64 KiB + last 64 KiB: cheap, and stable across renames and moves."""
    fd, st = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        return _hash_open_file(fh, st.st_size if size is None else size)


def _hash_open_file(fh: BinaryIO, size: int) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(str(size).encode())
    h.update(fh.read(HASH_BLOCK))
    if size > 2 * HASH_BLOCK:
        fh.seek(-HASH_BLOCK, os.SEEK_END)
        h.update(fh.read(HASH_BLOCK))
    return h.hexdigest()


def save_thumbnail(data: bytes, dest: str, size: int = COVER_SIZE) -> str | None:
    """Decode image bytes, shrink to `size` px and write a JPEG; None when the bytes are no image."""
    import cv2
    import numpy as np

    if not data or len(data) > 30 * 1024 * 1024:
        return None
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        return None
    h, w = image.shape[:2]
    scale = size / max(h, w)
    if scale < 1:
        image = cv2.resize(image, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        return None
    write_atomically(dest, jpeg.tobytes())  # two scans at once never share a temporary name
    return dest


def video_facts(path: str) -> dict[str, Any]:
    """Duration, size, fps and codec of a video via OpenCV (raises when it cannot be opened)."""
    import cv2

    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            raise ValueError("OpenCV cannot open this video")
        fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        frames = cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC) or 0)
        if width <= 0 or height <= 0:
            ok, frame = cap.read()
            if not ok or frame is None:
                raise ValueError("the video has no decodable frames")
            height, width = frame.shape[:2]
    finally:
        cap.release()
    codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ") if fourcc else ""
    duration = frames / fps if fps > 0 and frames > 0 else None
    return {
        "duration": duration if duration and duration < 1e7 else None,
        "width": width,
        "height": height,
        "fps": round(fps, 3) if 0 < fps < 1000 else None,
        "codec": clean_text(codec, 10) or None,
    }


_FOLDER_CACHE: dict[str, tuple[int, dict[str, str]]] = {}


def _folder_index(folder: str) -> dict[str, str] | None:
    """The folder's sidecar index, cached for the folder this worker is in (tasks arrive folder by
    folder), so a folder of n files is listed once, not n times. Revalidated by the folder's mtime."""
    try:
        mtime = os.stat(folder).st_mtime_ns
    except OSError:
        return None
    cached = _FOLDER_CACHE.get(folder)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    try:
        index = sidecars.folder_index(os.listdir(folder))
    except OSError:
        return None
    _FOLDER_CACHE.clear()  # one folder at a time: memory stays flat
    _FOLDER_CACHE[folder] = (mtime, index)
    return index


def extract_file(task: tuple[str, str] | tuple[str, str, Sequence[str]]) -> dict[str, Any]:
    """Everything Encore reads from one media file. `task` = (path, covers_dir[, real roots]).

    With the library's real root folders given, a file (media, sidecar or cover) whose real path lies
    outside all of them is never read; skipped sidecars are listed in result["skipped"] with the reason.
    """
    path, covers_dir = task[0], task[1]
    real_roots = tuple(task[2]) if len(task) > 2 else None
    run_test_hooks(path)
    if real_roots is not None:
        reason = outside_reason(path, real_roots)
        if reason:
            raise Refused(reason)
    fd, st = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        digest = _hash_open_file(fh, st.st_size)
    kind = kind_of(path) or "audio"
    result: dict[str, Any] = {
        "kind": kind,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "inode": st.st_ino,
        "content_hash": digest,
        "extract_version": EXTRACT_VERSION,
    }
    if st.st_size == 0:
        raise ValueError("the file is empty (0 bytes)")
    meta: dict[str, Any] = {"tags": {}, "extra": {}, "facts": {}, "picture": None, "mime": ""}
    tag_error, dropped = None, 0
    try:
        meta, dropped = read_tags_counted(path)
    except Exception as exc:  # noqa: BLE001 - a video without tags is fine; audio is checked below
        tag_error = f"{type(exc).__name__}: {exc}"[:300]
    facts = dict(meta["facts"])
    if kind == "video":
        try:
            video = video_facts(path)
        except ValueError:
            video = {}
        if not video.get("width"):
            if path.lower().endswith((".mp4", ".m4v")) and tag_error is None and facts.get("duration"):
                result["kind"] = kind = "audio"  # an audio-only MP4 (e.g. an .m4a renamed)
            else:
                raise ValueError("no decodable video stream found")
        facts.update({k: v for k, v in video.items() if v is not None})
    elif tag_error is not None:
        raise ValueError(f"cannot read this audio file ({tag_error})")
    result["facts"] = facts
    result["fields"] = canonical_fields(meta["tags"], path)
    result["tags"] = meta["tags"]
    result["extra"] = meta["extra"]
    result["tags_dropped"] = dropped

    skipped: list[tuple[str, str]] = []

    def read_sidecar(kind_name: str, whole: bool = False) -> bytes | None:
        """The bytes of a found sidecar, or None (not there, unreadable, or skipped with a reason)."""
        side_path = found.get(kind_name)
        if side_path is None:
            return None
        reason = check_readable(side_path, real_roots)
        try:
            if reason is None:
                return read_regular(side_path, SIDECAR_LIMITS[kind_name], whole=whole)
        except Refused as exc:
            reason = str(exc)
        except OSError:
            return None
        skipped.append((side_path, reason))
        return None

    found = sidecars.find_sidecars(path, _folder_index(os.path.dirname(path)))
    side: list[tuple[str, str, str]] = []
    for kind_name, parser in (("lrc", sidecars.parse_lrc), ("srt", sidecars.parse_srt)):
        data = read_sidecar(kind_name)
        if data is not None:
            try:
                side.append((kind_name, found[kind_name], parser(decode_bytes(data))))
            except ValueError:
                pass
    data = read_sidecar("nfo")
    nfo = {}
    if data is not None:
        try:
            nfo = sidecars.parse_nfo(decode_bytes(data))
        except ValueError:
            nfo = {}
    if nfo:
        side.append(("nfo", found["nfo"], clean_text(
            "\n".join(f"{k}: {v}" for k, v in nfo.items()), MAX_TEXT_CHARS, keep_newlines=True)))
        fields = result["fields"]
        if nfo.get("title") and not meta["tags"].get("title"):
            fields["title"] = nfo["title"][:500]
        if nfo.get("genre") and not fields["genre"]:
            fields["genre"] = nfo["genre"][:500]
        year = (nfo.get("year") or nfo.get("premiered") or "")[:4]
        if year.isdigit() and not fields["year"]:
            fields["year"] = int(year)
    result["sidecars"] = side

    cover_path = None
    dest = os.path.join(covers_dir, result["content_hash"] + ".jpg")
    # A broken cover image never fails the file itself.
    try:
        if meta.get("picture"):
            cover_path = save_thumbnail(meta["picture"], dest)
        if cover_path is None and "cover" in found:
            data = read_sidecar("cover", whole=True)
            cover_path = save_thumbnail(data, dest) if data else None
    except Exception:  # noqa: BLE001
        cover_path = None
    result["cover_path"] = cover_path
    result["skipped"] = skipped
    return result
