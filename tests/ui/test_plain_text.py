"""Tags, titles, file names and lyrics are file data: every label, list row and tooltip that shows them
shows the literal characters, never rendered HTML (a `<b>` in a title is not bold, an `<img src=...>`
in an artist loads nothing, a `<script>` is text). Also: the Failures page in plain words, grouped by
cause, with clips that are only too short to analyse apart and not counted as failures; and Cancel
says what was kept."""

from __future__ import annotations

import os
import re
import time

from PySide6 import QtGui
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QTextEdit, QWidget

from core.models import PlayEvent
from tests.media import tag_vorbis, write_audio
from tests.ui.conftest import wait_jobs

TITLE = "<b>x</b><script>alert(1)</script>"
ARTIST = "<img src=file:///etc/passwd>"
ALBUM = "<i>album</i> &amp; co"
COMMENT = "<a href='http://example.com/'>click me</a>"
LYRICS = "<script>lyrics()</script> line"
BROKEN_NAME = "<img src=x onerror=y><b>broken.mp3"  # (no "/": it is a file name)
# (payload, a word that only it contains): wherever the word shows, the whole payload must show.
PAYLOADS = [(TITLE, "alert(1)"), (ARTIST, "passwd"), (ALBUM, "album</i>"), (COMMENT, "click me"),
            (LYRICS, "lyrics()"), (BROKEN_NAME, "onerror")]


might_be_rich = QtGui.Qt.mightBeRichText  # how Qt decides whether AutoText (and any tooltip) is HTML


def rendered(text: str, rich: bool) -> str:
    """What Qt draws for `text`: rich text is laid out as HTML, plain text as it is."""
    if rich:
        doc = QTextDocument()
        doc.setHtml(text)
        text = doc.toPlainText()
    return text


def _squash(text: str) -> str:
    return "".join(text.replace("\u200b", "").split())


def _columns(model, parent) -> int:
    try:
        return model.columnCount(parent)
    except TypeError:  # a list widget's model keeps columnCount private: one column
        return 1


def shown_texts(win: QWidget) -> list[tuple[str, str, str]]:
    """(where, source, what is drawn) for every visible label, text box, list row and tooltip."""
    from PySide6.QtCore import QModelIndex, Qt

    out = []
    for w in win.findChildren(QWidget):
        if not w.isVisible():
            continue
        where = f"{type(w).__name__}({w.objectName()})"
        tip = w.toolTip()
        if tip:
            out.append((where + ".toolTip", tip, rendered(tip, might_be_rich(tip))))
        if isinstance(w, QLabel):
            text = QLabel.text(w)  # what the label draws (an ElidedLabel's elided text)
            fmt = w.textFormat()
            rich = fmt == Qt.TextFormat.RichText or (fmt == Qt.TextFormat.AutoText and might_be_rich(text))
            if fmt == Qt.TextFormat.MarkdownText:
                doc = QTextDocument()
                doc.setMarkdown(text)
                out.append((where, text, doc.toPlainText()))
            else:
                out.append((where, text, rendered(text, rich)))
        elif isinstance(w, QTextEdit):
            out.append((where, w.toHtml(), w.toPlainText()))
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            model, delegate = w.model(), w.itemDelegate()
            tip_for = getattr(delegate, "tooltip_for", None)
            parents = [QModelIndex()]
            for _ in range(2):  # top-level rows and their children (the failures tree)
                children = []
                for parent in parents:
                    for r in range(min(model.rowCount(parent), 60)):
                        for c in range(_columns(model, parent)):
                            idx = model.index(r, c, parent)
                            text = str(idx.data(Qt.ItemDataRole.DisplayRole) or "")
                            out.append((f"{where} row {r}", text, text))  # item views draw plain text
                            tip = tip_for(idx) if tip_for else str(idx.data(Qt.ItemDataRole.ToolTipRole) or "")
                            if tip:
                                out.append((f"{where} row {r} tooltip", tip, rendered(tip, might_be_rich(tip))))
                            if c == 0:
                                children.append(idx)
                parents = children
    return out


def interpreted(win: QWidget) -> list[str]:
    """Places where a payload from a file was read as markup: where its word shows, the payload up to
    that word must show literally (text after it may be elided); where its word is in the source but
    does not show (an <img> became a picture), nothing may have been elided instead."""
    bad = []
    for where, source, shown in shown_texts(win):
        flat_source, flat_shown = _squash(source), _squash(shown)
        for payload, word in PAYLOADS:
            flat_payload, flat_word = _squash(payload), _squash(word)
            upto = flat_payload[:flat_payload.index(flat_word) + len(flat_word)]
            if flat_word in flat_shown:
                if upto not in flat_shown:
                    bad.append(f"{where}: shows {shown[:120]!r} for {payload!r}")
            elif flat_word in flat_source and "…" not in shown:
                bad.append(f"{where}: {payload!r} vanished (shows {shown[:120]!r})")
    return bad


def _library_with_hostile_tags(tmp_path):
    root = tmp_path / "media"
    track = write_audio(root / "Music" / "hostile.flac", 1.0, 440)
    tag_vorbis(track, title=TITLE, artist=ARTIST, album=ALBUM, genre="<u>genre</u>", comment=COMMENT,
               lyrics=LYRICS, date="2001")
    plain = write_audio(root / "Music" / "plain.flac", 1.0, 550)
    tag_vorbis(plain, title="Plain Song", artist="Someone")
    (root / "Music" / BROKEN_NAME).write_bytes(os.urandom(4096))
    return root


def _scan(qtbot, win, root, stages=("scan",)):
    win.upkeep_stages = stages
    with qtbot.waitSignal(win.work.finished, timeout=180_000):
        win.add_folders([str(root)])
    win.sidebar.setCurrentRow(0)
    qtbot.waitUntil(lambda: win.music.model.rowCount() >= 2 and not win.music.model.loading, timeout=10_000)


def _settle(qtbot, win):
    wait_jobs(qtbot, win)
    QApplication.processEvents()
    qtbot.wait(30)


def test_markup_in_tags_and_names_is_shown_literally_everywhere(qtbot, window, tmp_path):
    window.resize(1440, 900)
    root = _library_with_hostile_tags(tmp_path)
    _scan(qtbot, window, root)
    lib = window.library
    hostile = next(i.id for i in lib.items(kind="audio") if i.title == TITLE)

    window.music.select_item(hostile)  # the list, and the detail pane (title, subtitle, tags, words)
    _settle(qtbot, window)
    shown = _squash(window.detail.title.shown_text()).rstrip("…")
    assert shown.startswith("<b>x</b>") and _squash(TITLE).startswith(shown)  # elided, never rendered
    assert window.detail.title.text() == TITLE
    assert ARTIST in window.detail.subtitle.shown_text()
    tags = window.detail.tags.toPlainText()
    assert COMMENT in tags and "<script>lyrics()</script>" in tags, tags
    assert interpreted(window) == []

    window.detail._explained(window.detail._generation, type("E", (), {"text": f"Picked because *{TITLE}* fits."})())
    assert TITLE in rendered(window.detail.explanation.text(), True).replace("\u200b", "")
    assert interpreted(window) == []

    window.music.set_mode("grid")
    _settle(qtbot, window)
    assert interpreted(window) == []
    window.music.set_mode("table")

    lib.record_play(PlayEvent(item_id=hostile, started_at=time.time() - 60, seconds=1.0, completed=1.0))
    window.ops.report(lib.changes_by("record_play"))
    for row in (2, 3, 5):  # For You ("Because you played <title>", cards), History, Failures
        window.sidebar.setCurrentRow(row)
        _settle(qtbot, window)
        assert interpreted(window) == [], row
    failures = window.failures_view
    failures.tree.setCurrentItem(failures.tree.topLevelItem(0).child(0))
    _settle(qtbot, window)
    assert BROKEN_NAME in failures.details.toPlainText()
    assert interpreted(window) == []

    window.search_box.setText("alert")
    window.search("alert")
    _settle(qtbot, window)
    assert any(h.item.id == hostile for h in window.search_view.hits)
    window.search_view.results.setCurrentRow(0)
    _settle(qtbot, window)
    assert interpreted(window) == []


def test_the_checker_sees_markup_that_a_label_renders(qtbot):
    """The check above is not vacuous: a rich-text label with a title in it is caught."""
    from PySide6.QtCore import Qt

    box = QWidget()
    qtbot.addWidget(box)
    label = QLabel(TITLE, box)
    label.setTextFormat(Qt.TextFormat.AutoText)
    box.show()
    assert interpreted(box) != []
    label.setTextFormat(Qt.TextFormat.PlainText)
    assert interpreted(box) == []


# ----- the Failures page and `encore failures`: plain words, grouped by cause ------------------------
RAW_WORDS = re.compile(r"\[analyser|NoAudio|[A-Z][a-z]+Error\b|Exception\b|Errno")


def _failing_library(root):
    write_audio(root / "Music" / "good.flac", 1.0, 440)
    (root / "Music" / "broken.mp3").write_bytes(os.urandom(4096))  # unreadable
    (root / "Music" / "empty.mp3").write_bytes(b"")
    write_audio(root / "Music" / "click.wav", seconds=0.05)  # plays; too short to analyse
    return root


def test_failures_read_as_plain_words_grouped_by_cause_and_short_clips_are_no_failure(qtbot, window, tmp_path,
                                                                                      capsys):
    root = _failing_library(tmp_path / "media")
    _scan(qtbot, window, root, stages=("scan", "analyze"))
    qtbot.waitUntil(lambda: "Failures   2" in window.sidebar.item(5).text(), timeout=10_000)  # not 3
    window.sidebar.setCurrentRow(5)
    _settle(qtbot, window)
    tree = window.failures_view.tree
    groups = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    titles = [g.text(0) for g in groups]
    assert any(t.startswith("Empty files — 1 file") for t in titles), titles
    assert titles[-1].startswith("Not analysed: too short — 1 file"), titles  # apart, last, folded
    assert not groups[-1].isExpanded() and groups[0].isExpanded()
    files = {groups[i].child(j).text(0): groups[i].text(0) for i in range(len(groups))
             for j in range(groups[i].childCount())}
    assert set(files) == {"broken.mp3", "empty.mp3", "click.wav"}, files
    assert [h for h in range(tree.columnCount()) if not tree.headerItem().text(h)] == []  # every column named
    assert "What to do:" in window.failures_view.details.toPlainText()  # the first group, at a glance
    texts = titles + [g.child(j).text(c) for g in groups for j in range(g.childCount()) for c in range(3)]
    texts.append(window.failures_view.summary.text())
    for g in groups:
        for j in range(g.childCount()):
            tree.setCurrentItem(g.child(j))
            texts.append(window.failures_view.details.toPlainText())
    assert [t for t in texts if RAW_WORDS.search(t)] == []
    assert "2 files could not be read" in window.failures_view.summary.text()

    from core.cli.main import main

    capsys.readouterr()
    assert main(["--data-dir", str(window.library.paths.data_dir), "failures"]) == 0
    out = capsys.readouterr().out
    for title in titles:  # the CLI says what the page says
        assert title.split(" — ")[0] in out, (title, out)
    assert "What to do:" in out and not RAW_WORDS.search(out), out


def test_cancel_says_it_cancelled_and_what_was_kept(qtbot, window, tmp_path):
    from ui.background import cancelled_text

    summary = {"cancelled": True, "errors": {}, "stages": {"scan": {"added": 3, "updated": 1, "unchanged": 10,
                                                                   "failed": 1}, "analyze": {"analyzed": 4}}}
    assert cancelled_text(summary, ("scan", "analyze", "embed")) == \
        "Cancelled: scanned 15, analysed 4; the rest continues next time."
    root = _failing_library(tmp_path / "media")
    window.upkeep_stages = ("scan", "analyze")
    with qtbot.waitSignal(window.work.finished, timeout=120_000) as blocker:
        window.add_folders([str(root)])
        window.progress_panel.cancel_button.click()
    assert blocker.args[0]["cancelled"]
    note = window.status_note.text()
    assert re.fullmatch(r"Cancelled: scanned \d+, analysed \d+; the rest continues next time\.", note), note


def test_stored_failures_map_to_causes_in_one_place():
    """Texts as the stages store them (taken from the real broken-file corpus) and the cause they read as."""
    from core.library import Library

    cases = {
        "[analyser a1/v1] NoAudio: the audio is shorter than one analysis frame (93 ms)": ("too_short", True),
        "[analyser a1/v1] NoAudio: no decodable audio (ffmpeg: no audio samples; soundfile: no audio samples)":
            ("no_sound", True),
        "[analyser a1/v1] NoAudio: no decodable audio (ffmpeg: the audio data is damaged or cut off: only 0.0 s "
        "of 0.0 s decode)": ("too_short", True),
        "[analyser a1/v1] NoAudio: no decodable audio (ffmpeg: the audio data is damaged or cut off: only 0.0 s "
        "of 236.6 s decode; soundfile: LibsndfileError: Internal psf_fseek() failed.)": ("damaged", False),
        "[analyser a1/v1] NoAudio: no decodable audio (ffmpeg: InvalidDataError: [Errno 1094995529] Invalid data "
        "found when processing input: '/m/a.mp3'; soundfile: LibsndfileError: Error opening '/m/a.mp3': File "
        "does not exist or is not a regular file (possibly a p)": ("damaged", False),
        "ValueError: cannot read this audio file (HeaderNotFoundError: can't sync to MPEG frame)": ("damaged", False),
        "ValueError: the file is empty (0 bytes)": ("empty", False),
        "ValueError: no decodable video stream found": ("unsupported", False),
        "timed out after 20 s (the file may hang the decoder)": ("timeout", False),
        "the decoder crashed (signal 11)": ("crashed", False),
        "ran out of memory (limit 2048 MB)": ("memory", False),
        "FileNotFoundError: the file is gone: /m/a.mp3": ("gone", False),
        "PermissionError: [Errno 13] Permission denied: '/m/a.mp3'": ("denied", False),
        "not read: it is a named pipe (FIFO), not a file": ("not_regular", True),
        "not read: it links to /etc, outside your library folders (add that folder to the library to read it)":
            ("outside", True),
    }
    for error, (cause, quiet) in cases.items():
        words = Library.failure_words("analyze", error, "/m/a.mp3")
        assert (words["cause"], words["quiet"]) == (cause, quiet), error
        assert not RAW_WORDS.search(words["detail"] + words["what"] + words["todo"]), words
        assert words["quiet"] or words["todo"], words  # every real problem says what to do
