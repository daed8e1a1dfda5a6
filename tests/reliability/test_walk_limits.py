"""Issue 16, case 20: what the scan's limits leave out (folders over 64 deep, tags past the first
2,000 or over the 200 kept) is counted in the report and said by `encore scan`, never dropped silently."""

from __future__ import annotations

import json
import os

from core.cli import main
from core.scan.tags import MAX_EXTRA_TAGS, MAX_TAGS_READ
from core.scan.walk import MAX_DEPTH, WalkState, walk_media
from tests.media import tag_vorbis, write_audio


def _deep_tree(root):
    """root/v1/.../v70 with a file at the bottom; v64 (the deepest walked) also links back to the root."""
    write_audio(root / "top.wav", 0.2)
    folder = root
    for i in range(1, 71):
        folder = folder / f"v{i}"
        if i == MAX_DEPTH:
            folder.mkdir(parents=True)
            os.symlink(root, folder / "loop")  # a loop at the limit: walked already, no loss to report
    write_audio(folder / "bottom.wav", 0.2)
    return folder


def test_folders_too_deep_are_counted_and_named(tmp_path):
    root = tmp_path / "media"
    _deep_tree(root)
    state = WalkState()
    found = [f.name for listing in walk_media(str(root), state) for f in listing.files]
    assert found == ["top.wav"]
    assert state.too_deep == 1
    assert state.too_deep_dirs == [os.path.join(str(root), *[f"v{i}" for i in range(1, MAX_DEPTH + 2)])]


def test_scan_reports_deep_folders_and_cut_tags(tmp_path, capsys):
    root = tmp_path / "media"
    _deep_tree(root)
    many = write_audio(root / "many-tags.ogg", 0.2)
    import mutagen

    f = mutagen.File(str(many))
    for i in range(3000):
        f.tags[f"custom{i}"] = f"value {i}"
    f.save()
    few = write_audio(root / "few-tags.flac", 0.2)
    tag_vorbis(few, title="Few", **{f"extra{i}": "x" for i in range(MAX_EXTRA_TAGS - 10)})
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "scan", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == 3 and report["failed"] == 0
    assert report["too_deep"] == 1 and report["too_deep_dirs"][0].endswith(f"v{MAX_DEPTH + 1}")
    assert report["tags_truncated"] == 1  # many-tags.ogg; few-tags.flac keeps all of its tags
    assert len(report["notes"]) == 2
    # The human output says it too, and a rescan (nothing read again) is quiet about tags.
    assert main(["--data-dir", data, "scan"]) == 0
    out = capsys.readouterr().out
    assert f"more than {MAX_DEPTH} levels deep" in out and "v65" in out
    assert "more tags than Encore keeps" not in out
    os.utime(many)  # changed: read again, cut again, said again
    assert main(["--data-dir", data, "scan"]) == 0
    out = capsys.readouterr().out
    assert f"1 file had more tags than Encore keeps ({MAX_TAGS_READ} read" in out
