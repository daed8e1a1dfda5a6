"""The search page's filter chips, empty-query feedback, typo and CJK search in the window (issue 15 item 5)."""

from __future__ import annotations

import pytest

from tests.media import tag_vorbis, write_audio
from tests.ui.conftest import wait_jobs


@pytest.fixture
def scanned(library, media_root):
    root, files = media_root
    for name, title, genre, date, seconds in (("battle", "Battle Hymn", "Rock", "1995", 2.0),
                                              ("sad", "悲伤的音乐", "Pop", "1998", 1.0)):
        path = write_audio(root / "Music" / "More" / f"{name}.flac", seconds, 300 + 50 * len(name))
        tag_vorbis(path, title=title, artist="Iron Choir", genre=genre, date=date)
    library.scan([str(root)])
    return library


def _rows(view) -> list[str]:
    return [view.results.item(i).text() for i in range(view.results.count())]


def test_chips_say_what_was_chosen(qtbot):
    from ui.search_filters import SearchFilters

    chips = SearchFilters()
    qtbot.addWidget(chips)
    assert chips.values() == {} and not chips.active and chips.clear_button.isHidden()
    with qtbot.waitSignal(chips.changed):
        chips.set_kind("audio")
    chips._genres = lambda: ["jazz", "rock"]
    chips.set_genre("jazz")
    chips.set_years(1999, 1990)  # typed backwards: swapped, not refused
    chips.set_length(2)
    assert chips.values() == {"kind": "audio", "genre": "jazz", "year_min": 1990, "year_max": 1999,
                              "length_min": 120.0, "length_max": 300.0}
    assert chips.describe() == "music · jazz · 1990–1999 · 2–5 min"
    assert not chips.clear_button.isHidden()
    with qtbot.waitSignal(chips.changed):
        chips.clear()
    assert chips.values() == {}


@pytest.mark.parametrize("query", ["", "   ", "!!!", "???", "..."])
def test_an_empty_query_says_what_to_type_and_lists_nothing(qtbot, window, scanned, query):
    window.search(query)
    view = window.search_view
    assert window.pages.currentWidget() is view and not window.ops.jobs
    assert view.hits == [] and view.stack.currentWidget() is view.empty
    assert view.empty.title.text() == "Type what you are looking for"
    assert "calm piano" in view.empty.body.text()


def test_a_typo_and_a_cjk_title_are_found_in_the_window(qtbot, window, scanned):
    view = window.search_view
    window.search_box.setText("batle")
    window.search(window.search_box.text())
    wait_jobs(qtbot, window)
    assert view.hits[0].item.title == "Battle Hymn"
    assert "(you typed “batle”)" in _rows(view)[0]
    window.search("悲伤")
    wait_jobs(qtbot, window)
    assert [h.item.title for h in view.hits] == ["悲伤的音乐"]
    assert not view.note.isHidden() and "English" in view.note.text()


def test_a_chip_searches_again_with_its_filter(qtbot, window, scanned):
    view = window.search_view
    window.search_box.setText("")
    view.filters.set_kind("video")  # a chip alone is a search: the videos
    wait_jobs(qtbot, window)
    assert [h.item.kind for h in view.hits] == ["video"]
    window.search_box.setText("hymn")
    view.filters.set_kind(None)
    view.filters.set_genre("rock")
    wait_jobs(qtbot, window)
    assert [h.item.title for h in view.hits] == ["Battle Hymn"]
    assert "rock" in view.filters.genre_names()
    view.filters.set_years(2000, 2010)
    wait_jobs(qtbot, window)
    assert view.hits == [] and "hymn" in view.empty.title.text()
