"""No broken layouts: every view, at 1024x700 and at 1440x900, with long titles, a 500-character query,
a video with many keyframes, untagged files and technical tags. The window never grows, no widget
leaves it (or leaves the scroll area it sits in, sideways), the grid starts at the top with
placeholders for items without art, and the detail pane shows the selected item and nothing else."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt, QUrl
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QPushButton, QWidget

from tests.media import jpeg_bytes, tag_vorbis, write_audio, write_video
from tests.ui.conftest import wait_jobs

SIZES = [(1024, 700), (1440, 900)]
LONG_TITLE = " ".join(["The Extraordinarily Long and Winding Title of a Song That Never Ends"] * 5)
LONG_ARTIST = " ".join(["An Orchestra With a Name That Goes On and On"] * 4)
NO_SPACES = "a_file_name_without_any_spaces_" * 6  # untagged: the file name is the title
LONG_QUERY = ("calm piano music for a long rainy evening with friends " * 10)[:500]
KEYFRAME_COLOURS = [((i * 40) % 256, (i * 90) % 256, (i * 150) % 256) for i in range(12)]


@pytest.fixture
def long_media(tmp_path):
    root = tmp_path / "media"
    long_track = write_audio(root / "Music" / "Long" / "01 - long.flac", 1.0, 440)
    tag_vorbis(long_track, title=LONG_TITLE, artist=LONG_ARTIST, album=LONG_TITLE, genre="Ambient " * 20,
               date="1999", tracknumber="1", totaltracks="11", album_artist="Various Artists",
               comment="x" * 400, website="http://example.com/" + "a" * 300, encoder="Lavf53.24.2",
               discid="AA0B360B", replaygain_track_gain="-8.08 dB", bpm="96")
    (root / "Music" / "Long" / "cover.jpg").write_bytes(jpeg_bytes((0, 128, 255)))
    write_audio(root / "Music" / "Untagged" / f"{NO_SPACES}.flac", 1.0, 550)  # no tags, no art
    short = write_audio(root / "Music" / "Untagged" / "02 - plain.ogg", 1.0, 660)
    tag_vorbis(short, title="Plain Song", artist="Someone")
    write_audio(root / "Music" / "Clips" / "click.wav", seconds=0.05)  # plays, too short to analyse
    (root / "Music" / "Broken").mkdir(parents=True)
    (root / "Music" / "Broken" / "broken.mp3").write_bytes(os.urandom(4096))
    (root / "Music" / "Broken" / "empty.mp3").write_bytes(b"")
    video = write_video(root / "Videos" / "Many" / "many_scenes.avi", colors=KEYFRAME_COLOURS, seconds_each=0.6,
                        size=(96, 54))
    (video.parent / "many_scenes.nfo").write_text(
        f"<movie><title>{LONG_TITLE}</title><plot>{'A long plot. ' * 40}</plot><genre>Documentary</genre>"
        "<year>2019</year></movie>", encoding="utf-8")
    return root


def _settle(qtbot, win) -> None:
    wait_jobs(qtbot, win)
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def _viewport_of(widget: QWidget) -> tuple[QWidget, QAbstractScrollArea] | None:
    """The nearest scroll-area viewport `widget` sits in (not counting its own)."""
    parent = widget.parentWidget()
    while parent is not None:
        area = parent.parentWidget()
        if isinstance(area, QAbstractScrollArea) and area.viewport() is parent:
            return parent, area
        parent = area
    return None


def offenders(win: QWidget) -> list[str]:
    """Visible widgets outside the window, or sticking out sideways from the scroll area they sit in
    (only rows that scroll sideways on purpose, like the shelves, may)."""
    window_rect = QRect(QPoint(0, 0), win.size())
    bad = []
    for w in win.findChildren(QWidget):
        if not w.isVisible() or w.isWindow() or w.width() <= 0 or w.height() <= 0:
            continue
        rect = QRect(w.mapTo(win, QPoint(0, 0)), w.size())
        inside = _viewport_of(w)
        name = f"{type(w).__name__}({w.objectName() or getattr(w, 'text', lambda: '')()[:30]!r})"
        if inside is None:
            if not window_rect.adjusted(-1, -1, 1, 1).contains(rect):
                bad.append(f"{name} at {rect.getRect()} leaves the window {window_rect.getRect()}")
            continue
        viewport, area = inside
        sideways = area.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        if sideways:
            continue
        port = QRect(viewport.mapTo(win, QPoint(0, 0)), viewport.size())
        if rect.left() < port.left() - 1 or rect.right() > port.right() + 1:
            bad.append(f"{name} at {rect.getRect()} sticks out of {type(area).__name__} {port.getRect()}")
    return bad


def assert_fits(win, size: tuple[int, int], view: str) -> None:
    QApplication.processEvents()
    assert win.size() == QSize(*size), f"{view}: the window grew to {win.width()}x{win.height()}"
    hint = win.minimumSizeHint()
    assert hint.width() <= size[0] and hint.height() <= size[1], f"{view}: asks for at least {hint}"
    assert offenders(win) == [], view


def _visible_button(win, button: QPushButton) -> bool:
    viewport, _area = _viewport_of(button)
    port = QRect(viewport.mapTo(win, QPoint(0, 0)), viewport.size())
    return button.isVisible() and port.contains(QRect(button.mapTo(win, QPoint(0, 0)), button.size()))


def test_every_view_fits_at_both_sizes_and_the_window_never_grows(qtbot, window, long_media):
    window.resize(*SIZES[0])
    _settle(qtbot, window)
    assert_fits(window, SIZES[0], "welcome")
    window.upkeep_stages = ("scan", "analyze")  # analysis gives the video its keyframes
    with qtbot.waitSignal(window.work.finished, timeout=180_000):
        window.add_folders([str(long_media)])
    _settle(qtbot, window)
    lib = window.library
    long_id = next(i.id for i in lib.items(kind="audio") if i.title == LONG_TITLE)
    video_id = next(i.id for i in lib.items(kind="video"))
    assert len(lib.show(video_id)["video"]["keyframes"]) >= 6  # "many keyframes" is real here

    for size in SIZES:
        window.resize(*size)
        _settle(qtbot, window)
        window.sidebar.setCurrentRow(0)
        qtbot.waitUntil(lambda: window.music.model.rowCount() >= 3 and not window.music.model.loading,
                        timeout=10_000)
        window.music.set_mode("table")
        window.music.select_item(long_id)
        _settle(qtbot, window)
        assert window.detail.title.text() == LONG_TITLE
        assert_fits(window, size, "music list, long title selected")
        table = window.music.table
        assert table.columnWidth(0) >= 110, "the title column is squeezed"
        assert not table.horizontalScrollBar().isVisible(), "the list is wider than its room"

        window.music.set_mode("grid")
        window.music.grid.setCurrentIndex(window.music.model.index(-1, 0))
        window.music.grid.scrollToTop()
        _settle(qtbot, window)
        first = window.music.grid.visualRect(window.music.model.index(0, 0))
        assert first.top() >= 0, f"the first row of covers is cut off: {first}"
        assert_fits(window, size, "music covers")
        window.music.set_mode("table")

        window.sidebar.setCurrentRow(1)
        qtbot.waitUntil(lambda: window.videos.model.rowCount() == 1 and not window.videos.model.loading,
                        timeout=10_000)
        window.videos.select_item(video_id)
        _settle(qtbot, window)
        assert not window.videos.table.horizontalScrollBar().isVisible(), "the video list is wider than its room"
        assert window.detail.keyframes.count() >= 6
        for button in (window.detail.radio_button, window.detail.why_button, window.detail.more_button):
            assert _visible_button(window, button), f"{button.text()} is hidden by the keyframes at {size}"
        assert_fits(window, size, "videos, many keyframes")
        window.videos.set_mode("grid")
        _settle(qtbot, window)
        assert_fits(window, size, "video posters")
        window.videos.set_mode("table")

        for row, view in ((2, "For You"), (3, "History"), (4, "Playlists"), (5, "Failures")):
            window.sidebar.setCurrentRow(row)
            _settle(qtbot, window)
            assert_fits(window, size, view)

        window.search_box.setText(LONG_QUERY)
        window.search(LONG_QUERY)
        _settle(qtbot, window)
        assert window.search_view.heading.text().startswith("Results for")
        assert_fits(window, size, "search, 500-character query")
        if window.search_view.hits:
            window.search_view.results.setCurrentRow(0)
            _settle(qtbot, window)
            assert_fits(window, size, "search, a hit selected")
        window.search("zzqx " * 100)
        _settle(qtbot, window)
        assert_fits(window, size, "search, nothing found for a long query")

    window.resize(*SIZES[0])  # and it shrinks back
    _settle(qtbot, window)
    assert_fits(window, SIZES[0], "back to the small size")
    for row, view in ((0, window.music), (1, window.videos)):  # lists resized while hidden fit when shown
        window.sidebar.setCurrentRow(row)
        _settle(qtbot, window)
        assert not view.table.horizontalScrollBar().isVisible(), f"{view.kind} list wider than its room"
        assert_fits(window, SIZES[0], f"{view.kind} list after shrinking")


def test_covers_have_placeholders_and_tags_read_as_words(qtbot, window, long_media):
    window.resize(*SIZES[0])
    window.upkeep_stages = ("scan",)
    with qtbot.waitSignal(window.work.finished, timeout=180_000):
        window.add_folders([str(long_media)])
    window.sidebar.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.music.model.rowCount() >= 3 and not window.music.model.loading, timeout=10_000)
    lib = window.library
    untagged = next(i.id for i in lib.items(kind="audio") if i.title.startswith("a_file_name"))

    # An item without art is drawn as a coloured square with its initials, not a blank one.
    window.music.set_mode("grid")
    _settle(qtbot, window)
    index = window.music.model.index(window.music.model.row_of(untagged), 0)
    window.music.grid.scrollTo(index)
    _settle(qtbot, window)
    cell = window.music.grid.visualRect(index)
    image = window.music.grid.viewport().grab(cell).toImage()
    centre = image.pixelColor(image.width() // 2, 6 + 70)
    background = window.music.grid.viewport().palette().color(window.music.grid.viewport().backgroundRole())
    assert centre != background, "an item without art is a blank square"
    window.music.set_mode("table")

    # Tags under human labels; the encoder, disc id and gains folded away until asked for.
    long_id = next(i.id for i in lib.items(kind="audio") if i.title == LONG_TITLE)
    window.music.select_item(long_id)
    _settle(qtbot, window)
    text = window.detail.tags.toPlainText()
    assert "Album artist" in text and "Track" in text and "1 of 11" in text, text
    for raw in ("album_artist", "albumartist", "discid", "encoder", "replaygain"):
        assert raw not in text.lower(), (raw, text)
    assert "Technical tags (3)" in text
    window.detail._anchor(QUrl("#technical"))  # the user clicks "Technical tags"
    text = window.detail.tags.toPlainText()
    assert "discid" in text.lower() and "AA0B360B" in text


def test_the_detail_pane_always_shows_the_selected_item(qtbot, window, long_media):
    window.upkeep_stages = ("scan",)
    with qtbot.waitSignal(window.work.finished, timeout=180_000):
        window.add_folders([str(long_media)])
    window.sidebar.setCurrentRow(0)
    qtbot.waitUntil(lambda: window.music.model.rowCount() >= 3 and not window.music.model.loading, timeout=10_000)
    lib = window.library
    plain = next(i.id for i in lib.items(kind="audio") if i.title == "Plain Song")
    window.music.select_item(plain)
    assert window.detail.title.text() == "Plain Song"  # at once, before the rest has loaded
    _settle(qtbot, window)
    assert window.detail.title.text() == "Plain Song"

    window.sidebar.setCurrentRow(1)  # nothing is selected among the videos
    _settle(qtbot, window)
    assert window.detail.scroll.isHidden() and window.detail.empty.isVisible()
    assert window.detail.item_id is None

    window.sidebar.setCurrentRow(0)  # back: the music page's selection again
    _settle(qtbot, window)
    assert window.detail.item_id == plain and window.detail.title.text() == "Plain Song"

    window.sidebar.setCurrentRow(5)  # Failures: choosing a file shows that file
    _settle(qtbot, window)
    tree = window.failures_view.tree
    group = tree.topLevelItem(0)
    tree.setCurrentItem(group.child(0))
    _settle(qtbot, window)
    chosen = group.child(0).data(0, Qt.ItemDataRole.UserRole + 2)[1]
    assert window.detail.item_id == chosen["item_id"]
    assert window.detail.title.text() == lib.item(chosen["item_id"]).title
