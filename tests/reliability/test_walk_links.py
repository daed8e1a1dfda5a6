"""The walk meets every file once however it is linked, and remembers only linked files (flat memory)."""

from __future__ import annotations

import os

from core.scan.walk import WalkState, walk_media


def test_links_are_followed_once(tmp_path):
    root, outside = tmp_path / "r", tmp_path / "outside"
    for d in (root / "a", root / "b", root / ".hidden", outside):
        d.mkdir(parents=True)
    (root / "a" / "x.flac").write_bytes(b"1")
    (outside / "o.flac").write_bytes(b"2")
    (root / ".hidden" / "h.flac").write_bytes(b"3")
    os.symlink(root / "a" / "x.flac", root / "b" / "link-to-x.flac")  # the file itself is walked
    os.symlink(outside / "o.flac", root / "b" / "link-out.flac")  # only reachable through links
    os.symlink(outside / "o.flac", root / "b" / "link-out-2.flac")  # ... once
    os.symlink(root / ".hidden" / "h.flac", root / "b" / "link-hidden.flac")  # hidden folders are skipped
    os.link(root / "a" / "x.flac", root / "b" / "hard.flac")  # a hard link: one file
    os.symlink(root / "a", root / "b" / "dirlink")  # a folder link: walked once
    os.symlink(root, root / "a" / "loop")  # a loop
    found = sorted(os.path.relpath(f.path, tmp_path) for listing in walk_media(str(root), WalkState())
                   for f in listing.files)
    assert len(found) == 3
    assert "r/a/x.flac" in found or "r/b/hard.flac" in found
    assert "r/b/link-hidden.flac" in found
    assert len([f for f in found if "link-out" in f]) == 1
