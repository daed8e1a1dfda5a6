"""History importers on small generated files: matching, reports, playlists as evidence."""

from __future__ import annotations

import json

from tests.recommend.helpers import add_item


def _lib(library):
    ids = {
        "so": add_item(library, "So What", "Miles Davis", duration=545),
        "blue": add_item(library, "Blue in Green (Remastered)", "Miles Davis", duration=337),
        "one": add_item(library, "One", "Metallica", duration=446),
        "one_u2": add_item(library, "One", "U2", duration=276),
    }
    return ids


def test_lastfm_csv(library, tmp_path):
    ids = _lib(library)
    f = tmp_path / "scrobbles.csv"
    f.write_text("Miles Davis,Kind of Blue,So What,01 Jan 2024 10:00\n"
                 "MILES DAVIS,Kind of Blue,Blue in Green,01 Jan 2024 10:10\n"
                 "Nobody,Nothing,Not In Library,01 Jan 2024 10:20\n"
                 "U2,Achtung Baby,One,1704103800\n", encoding="utf-8")
    report = library.import_history(str(f), "default")
    assert report["format"] == "lastfm"
    assert (report["rows"], report["matched"], report["unmatched"]) == (4, 3, 1)
    assert report["unmatched_rows"] == [{"artist": "Nobody", "title": "Not In Library"}]
    items = {r[0] for r in library.store.query("SELECT item_id FROM play_events")}
    assert items == {ids["so"], ids["blue"], ids["one_u2"]}
    again = library.import_history(str(f), "default")  # re-import adds no duplicate plays
    assert again["events_added"] == 0
    # So What and Blue in Green were in one session: they are now neighbours
    assert library.store.query("SELECT COUNT(*) FROM item_neighbours WHERE item_id = ? AND neighbour_id = ?",
                               (ids["so"], ids["blue"]))[0][0] == 1


def test_lastfm_csv_with_header(library, tmp_path):
    _lib(library)
    f = tmp_path / "export.csv"
    f.write_text("uts,utc_time,artist,album,title\n1704103800,x,Metallica,Metallica,One\n", encoding="utf-8")
    report = library.import_history(str(f), "default")
    assert report["matched"] == 1


def test_listenbrainz_json_uses_duration(library, tmp_path):
    ids = _lib(library)
    listens = [
        {"listened_at": 1704103800, "track_metadata": {"artist_name": "Metallica", "track_name": "One",
                                                       "additional_info": {"duration_ms": 446000}}},
        {"listened_at": 1704104300, "track_metadata": {"artist_name": "Miles Davis", "track_name": "So What",
                                                       "additional_info": {"duration_ms": 100000}}},
        {"listened_at": 1704104900, "track_metadata": {"artist_name": "Miles Davis", "track_name": "Blue in green"}},
    ]
    f = tmp_path / "listens.json"
    f.write_text(json.dumps(listens), encoding="utf-8")
    report = library.import_history(str(f), "ana")
    assert report["format"] == "listenbrainz"
    assert (report["matched"], report["unmatched"]) == (2, 1)  # So What: duration far off
    rows = library.store.query("SELECT item_id, profile, source FROM play_events ORDER BY started_at")
    assert [r[0] for r in rows] == [ids["one"], ids["blue"]]
    assert {r[1] for r in rows} == {"ana"} and rows[0][2] == "import:listenbrainz"


def test_m3u_by_path_and_extinf(library, tmp_path):
    ids = _lib(library)
    f = tmp_path / "mix.m3u8"
    f.write_text("#EXTM3U\n#EXTINF:545,Miles Davis - So What\n/elsewhere/so_what.mp3\n"
                 "/music/Metallica/One.flac\n#EXTINF:-1,Unknown - Track\nmissing.mp3\n", encoding="utf-8")
    report = library.import_history(str(f), "default")
    assert report["format"] == "m3u"
    assert (report["rows"], report["matched"], report["unmatched"]) == (3, 2, 1)
    pl = library.store.query("SELECT id, source FROM playlists")
    assert len(pl) == 1 and pl[0][1] == "import"
    members = [r[0] for r in library.store.query("SELECT item_id FROM playlist_items ORDER BY position")]
    assert members == [ids["so"], ids["one"]]
    # a playlist is co-occurrence evidence
    assert library.store.query("SELECT COUNT(*) FROM item_neighbours WHERE item_id = ? AND neighbour_id = ?",
                               (ids["so"], ids["one"]))[0][0] == 1


def test_missing_file(library, tmp_path):
    import pytest

    with pytest.raises(FileNotFoundError):
        library.import_history(str(tmp_path / "nope.csv"), "default")
