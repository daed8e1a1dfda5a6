"""Playlists and smart playlists through the Library and the CLI: what a user makes, changes, exports and
imports; rules that stay live as plays and likes come in; a search that becomes editable rules."""

from __future__ import annotations

import json
import time

import pytest

from core.cli import main
from core.errors import ItemNotFound, UserError
from core.library import Library, Rule, SmartRules
from core.models import PlayEvent
from tests.media import make_library, write_audio

# Features as core.analysis.audio stores them (the part smart rules read).
FEATURES = {
    "Dawn Chorus": {"tempo_bpm": 96.0, "key": "C#", "mode": "major", "rms_db": -30.0, "silent": False},
    "Noon Heat": {"tempo_bpm": 132.0, "key": "C", "mode": "minor", "rms_db": -14.0, "silent": False},
    "Siege of Laurelmor": {"tempo_bpm": 150.0, "key": "A", "mode": "minor", "rms_db": -12.0, "silent": False},
    "Paper Boats": {"tempo_bpm": 60.0, "key": "C", "mode": "major", "rms_db": -80.0, "silent": True},
}


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    root = tmp_path_factory.mktemp("media")
    make_library(root)
    library = Library(tmp_path_factory.mktemp("data"))
    library.scan([str(root)])
    with library.store.write() as conn:
        for item_id in library.item_ids():
            title = library.item(item_id).title
            if title in FEATURES:
                conn.execute("INSERT OR REPLACE INTO audio_features (item_id, version, features, analyzed_at) "
                             "VALUES (?, 1, ?, ?)", (item_id, json.dumps(FEATURES[title]), time.time()))
    library.root = root
    yield library
    library.close()


def ids_of(lib: Library, *titles: str) -> list[int]:
    by_title = {lib.item(i).title: i for i in lib.item_ids()}
    return [by_title[t] for t in titles]


def titles(lib: Library, ids: list[int]) -> list[str]:
    return [lib.item(i).title for i in ids]


# ----- playlists of items ------------------------------------------------------------------------
def test_a_playlist_made_by_hand_keeps_its_order_through_add_move_and_remove(lib):
    dawn, noon, siege, paper = ids_of(lib, "Dawn Chorus", "Noon Heat", "Siege of Laurelmor", "Paper Boats")
    pid = lib.create_playlist("Road trip", [dawn, noon])
    assert lib.add_to_playlist(pid, [siege, paper]) == {"added": 2, "skipped": 0}
    assert lib.playlist_item_ids(pid) == [dawn, noon, siege, paper]
    assert lib.add_to_playlist(pid, [paper], at=0)["added"] == 1  # insert at the top
    assert lib.playlist_item_ids(pid) == [paper, dawn, noon, siege, paper]
    # drag rows 1 and 2 (dawn, noon) below the last row
    assert lib.move_in_playlist(pid, [1, 2], 5) == [3, 4]
    assert lib.playlist_item_ids(pid) == [paper, siege, paper, dawn, noon]
    assert lib.move_in_playlist(pid, [4], 0) == [0]
    assert lib.playlist_item_ids(pid) == [noon, paper, siege, paper, dawn]
    assert lib.remove_from_playlist(pid, [1, 3, 99]) == 2  # a position that is not there is ignored
    assert titles(lib, lib.playlist_item_ids(pid)) == ["Noon Heat", "Siege of Laurelmor", "Dawn Chorus"]
    info = lib.playlist("Road trip")
    assert (info.id, info.size, info.smart) == (pid, 3, False)
    lib.rename_playlist(pid, "  Long   road ")
    assert lib.playlist(pid).name == "Long road"
    lib.delete_playlist(pid)
    assert pid not in [p.id for p in lib.playlists()]
    assert len(lib.item_ids()) == 5  # the items stay


def test_adding_what_is_there_already_is_found_and_can_be_skipped_or_added_anyway(lib):
    dawn, noon, siege = ids_of(lib, "Dawn Chorus", "Noon Heat", "Siege of Laurelmor")
    pid = lib.create_playlist("Dupes", [dawn, noon])
    assert lib.playlist_duplicates(pid, [siege, noon, dawn, noon]) == [noon, dawn]
    assert lib.add_to_playlist(pid, [siege, noon, siege], skip_duplicates=True) == {"added": 1, "skipped": 2}
    assert lib.playlist_item_ids(pid) == [dawn, noon, siege]
    assert lib.add_to_playlist(pid, [noon])["added"] == 1  # "add anyway"
    assert lib.playlist_item_ids(pid) == [dawn, noon, siege, noon]


def test_names_and_unknown_items_are_refused_in_plain_words(lib):
    pid = lib.create_playlist("Taken")
    with pytest.raises(UserError, match="called “Taken” already"):
        lib.create_playlist("taken")
    with pytest.raises(UserError, match="needs a name"):
        lib.create_playlist("   ")
    with pytest.raises(ItemNotFound, match="no item 999999"):
        lib.add_to_playlist(pid, [999999])
    with pytest.raises(UserError, match="no playlist #424242"):
        lib.playlist(424242)
    assert lib.playlist_item_ids(pid) == []


# ----- smart playlists ---------------------------------------------------------------------------
def evaluate(lib: Library, *rules: dict, **options) -> list[str]:
    return titles(lib, lib.evaluate_rules({"rules": list(rules), **options}))


def test_rules_read_tempo_key_mode_energy_genre_year_length_and_kind(lib):
    assert evaluate(lib, {"field": "tempo", "op": "between", "value": [120, 140]}) == ["Noon Heat"]
    # Silence is not slow music: Paper Boats (silent) has a tempo of 60 yet is not "at most 100 BPM".
    assert evaluate(lib, {"field": "tempo", "op": "at_most", "value": 100}) == ["Dawn Chorus"]
    assert evaluate(lib, {"field": "key", "op": "is", "value": "C"}, sort="title") == ["Noon Heat", "Paper Boats"]
    assert evaluate(lib, {"field": "key", "op": "is", "value": "c#"}) == ["Dawn Chorus"]  # C# is not C
    assert evaluate(lib, {"field": "key", "op": "is", "value": "D♭"}) == ["Dawn Chorus"]  # the same pitch
    assert evaluate(lib, {"field": "mode", "op": "is", "value": "minor"}, sort="title") == \
        ["Noon Heat", "Siege of Laurelmor"]
    assert evaluate(lib, {"field": "energy", "op": "at_least", "value": 0.8}, sort="tempo") == \
        ["Noon Heat", "Siege of Laurelmor"]
    assert evaluate(lib, {"field": "genre", "op": "is", "value": "ambient"}, sort="title") == \
        ["Dawn Chorus", "Noon Heat"]
    assert evaluate(lib, {"field": "year", "op": "between", "value": [1980, 1989]},
                    {"field": "kind", "op": "is", "value": "audio"}, sort="title", descending=True) == \
        ["Noon Heat", "Dawn Chorus"]
    assert evaluate(lib, {"field": "kind", "op": "is", "value": "video"}) == ["Mountain Bike Ride"]
    assert evaluate(lib, {"field": "length", "op": "at_least", "value": 2.5}) == ["Mountain Bike Ride"]
    assert evaluate(lib, {"field": "text", "op": "matches", "value": "wall"}) == ["Siege of Laurelmor"]  # lyrics
    anyof = evaluate(lib, {"field": "genre", "op": "is", "value": "soundtrack"},
                     {"field": "kind", "op": "is", "value": "video"}, match="any", sort="title")
    assert anyof == ["Mountain Bike Ride", "Siege of Laurelmor"]
    assert len(evaluate(lib, {"field": "kind", "op": "is", "value": "audio"}, sort="random", limit=2)) == 2


def test_values_are_parameters_never_sql(lib):
    hostile = "x'); DROP TABLE items; --"
    assert evaluate(lib, {"field": "title", "op": "contains", "value": hostile}) == []
    assert evaluate(lib, {"field": "title", "op": "contains", "value": "%"}) == []  # a literal %, not "anything"
    assert evaluate(lib, {"field": "text", "op": "matches", "value": 'NEAR("a" "b") OR *'}) == []
    assert len(lib.item_ids()) == 5
    with pytest.raises(UserError, match="no field"):
        lib.evaluate_rules({"rules": [{"field": "id; DROP TABLE items", "op": "is", "value": 1}]})
    with pytest.raises(UserError, match="cannot sort by"):
        lib.evaluate_rules({"rules": [], "sort": "title; DROP TABLE items"})


@pytest.mark.parametrize("rule, words", [
    ({"field": "tempo", "op": "fast", "value": 1}, "tempo can be between, at least, at most"),
    ({"field": "tempo", "op": "between", "value": [90]}, "needs two numbers"),
    ({"field": "year", "op": "is", "value": "nineteen"}, "needs a number"),
    ({"field": "energy", "op": "at_least", "value": 7}, "outside 0..1"),
    ({"field": "kind", "op": "is", "value": "podcast"}, "must be one of audio, video"),
    ({"field": "genre", "op": "contains", "value": "  "}, "needs some text"),
    ({"field": "tempo", "op": "at_least", "value": float("nan")}, "needs a number"),
])
def test_a_bad_rule_says_what_is_wrong(lib, rule, words):
    with pytest.raises(UserError, match=words):
        lib.evaluate_rules({"rules": [rule]})


def test_a_smart_playlist_follows_plays_and_likes_as_they_happen(lib):
    dawn, noon = ids_of(lib, "Dawn Chorus", "Noon Heat")
    pid = lib.create_smart_playlist("Heavy rotation", SmartRules(sort="play_count", descending=True, limit=1))
    lib.set_smart_rules(pid, {"rules": [{"field": "play_count", "op": "at_least", "value": 2}], "sort": "title"})
    assert lib.playlist_item_ids(pid) == []
    now = time.time()
    for n in range(2):
        lib.record_play(PlayEvent(item_id=noon, started_at=now - 100 + n * 10, seconds=1.0, completed=1.0))
    assert lib.playlist_item_ids(pid) == [noon]
    liked = lib.create_smart_playlist("Liked lately", {"match": "all", "rules": [
        {"field": "rating", "op": "is", "value": "liked"}, {"field": "last_played", "op": "not_within_days",
                                                             "value": 7}]})
    lib.rate(dawn, "like")
    lib.rate(noon, "like")
    assert lib.playlist_item_ids(liked) == [dawn]  # noon was played today
    lib.rate(dawn, "none")
    assert lib.playlist_item_ids(liked) == []
    info = lib.playlist(liked)
    assert info.smart and info.summary.startswith("all of: liked, not played in the last 7 days")
    with pytest.raises(UserError, match="smart playlist"):
        lib.add_to_playlist(liked, [dawn])


def test_a_search_becomes_editable_rules_not_a_frozen_list(lib, tmp_path):
    rules = lib.smart_rules_from_search("upbeat songs from the 80s by aurora band I haven't played")
    assert [(r.field, r.op) for r in rules.rules] == [
        ("kind", "is"), ("year", "between"), ("tempo", "at_least"), ("energy", "at_least"), ("play_count", "is"),
        ("artist", "contains")]
    assert rules.rules[1].value == [1980, 1989] and rules.rules[-1].value == "aurora band"
    calm = lib.smart_rules_from_search("calm relaxing music")
    assert {r.field: r.value for r in calm.rules} == {"kind": "audio", "tempo": 105, "energy": 0.45}
    # Once Encore's analysis describes something as calm, the library's own word is the rule.
    paper, = ids_of(lib, "Paper Boats")
    with lib.store.write() as conn:
        conn.execute("INSERT INTO item_terms (item_id, source, position, term) VALUES (?, 1, 0, 'calm, mellow')",
                     (paper,))
    calm = lib.smart_rules_from_search("calm relaxing music")
    assert calm.rules == (Rule("kind", "is", "audio"), Rule("tag", "contains", "calm"))
    assert titles(lib, lib.evaluate_rules(calm)) == ["Paper Boats"]
    # Words no item has ("zebra") would only empty the playlist: they are left out, and said.
    keyed = lib.smart_rules_from_search("fast songs in C minor zebra")
    assert keyed.extra == {"ignored_words": ["zebra"]}
    pid = lib.smart_playlist_from_search("fast songs in C minor zebra", playlist_name="C minor, fast")
    pl = lib.playlist(pid)
    assert pl.name == "C minor, fast" and pl.rules["query"] == "fast songs in C minor zebra"
    assert [(r["field"], r["value"]) for r in pl.rules["rules"]] == [
        ("kind", "audio"), ("key", "C"), ("mode", "minor"), ("tempo", 118), ("energy", 0.55)]
    assert titles(lib, lib.playlist_item_ids(pid)) == ["Noon Heat"]
    # The rules are the playlist: editing them changes what it holds, and so does the library.
    edited = {**pl.rules, "rules": [r if r["field"] != "key" else {**r, "value": "A"} for r in pl.rules["rules"]]}
    lib.set_smart_rules(pid, edited)
    assert titles(lib, lib.playlist_item_ids(pid)) == ["Siege of Laurelmor"]
    assert lib.smart_rules_from_search("sad songs in e flat minor").rules[1:3] == (
        Rule("key", "is", "Eb"), Rule("mode", "is", "minor"))
    lib.set_smart_rules(pid, {"rules": [{"field": "added", "op": "within_days", "value": 1}], "sort": "added"})
    new = write_audio(lib.root / "Music" / "new.wav", seconds=1.0)
    lib.scan([str(lib.root)])
    assert lib.playlist_item_ids(pid)[-1] == lib.item(str(new)).id  # the newest item joined without a word
    with pytest.raises(UserError, match="give a search"):
        lib.smart_rules_from_search("   ")


# ----- export and import -----------------------------------------------------------------------------
def test_export_writes_m3u8_with_relative_or_absolute_paths(lib, tmp_path):
    dawn, siege = ids_of(lib, "Dawn Chorus", "Siege of Laurelmor")
    pid = lib.create_playlist("Export me", [dawn, siege])
    out = tmp_path / "lists" / "mine.m3u8"
    out.parent.mkdir()
    report = lib.export_playlist(pid, str(out), relative=True)
    assert report["entries"] == 2 and report["left_out"] == []
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U"
    assert lines[1] == "#EXTINF:1,Aurora Band - Dawn Chorus"
    assert not lines[2].startswith("/") and (out.parent / lines[2]).resolve() == \
        (lib.root / "Music" / "Aurora Band" / "First Light" / "01 - Dawn.flac").resolve()
    lib.export_playlist(pid, str(out), relative=False)
    absolute = out.read_text(encoding="utf-8").splitlines()
    assert absolute[4] == str(lib.root / "Music" / "Loose" / "track.wav")
    assert sorted(p.name for p in out.parent.iterdir()) == ["mine.m3u8"]  # no temporary file left behind
    # what was exported imports again as the same list
    again = lib.import_history(str(out))
    assert (again["matched"], again["unmatched"]) == (2, 0)


def test_an_m3u_import_names_each_entry_it_could_not_match_and_why(lib, tmp_path):
    outside = tmp_path / "elsewhere.wav"
    write_audio(outside, seconds=0.5)
    playlist = tmp_path / "mixed.m3u"
    playlist.write_text("#EXTM3U\n"
                        f"{lib.root / 'Music' / 'Loose' / 'track.wav'}\n"
                        "/nowhere/gone.mp3\n"
                        "http://radio.example/stream.mp3\n"
                        f"{outside}\n", encoding="utf-8")
    report = lib.import_history(str(playlist))
    assert (report["matched"], report["unmatched"]) == (1, 3)
    why = [r["why"] for r in report["unmatched_rows"]]
    assert why[0] == "not found in your library: /nowhere/gone.mp3 (no file with that path or title)"
    assert why[1] == "not found in your library: http://radio.example/stream.mp3 (a web address: Encore plays " \
                     "files on this computer)"
    assert why[2] == f"not found in your library: {outside} (the file is there, but its folder is not in your " \
                     "library: add the folder)"
    imported = next(p for p in lib.playlists() if p.name == "mixed")
    assert titles(lib, lib.playlist_item_ids(imported.id)) == ["Siege of Laurelmor"]


# ----- the command line ---------------------------------------------------------------------------
def test_the_playlist_commands_do_what_they_say(lib, tmp_path, capsys):
    d = ["--data-dir", str(lib.paths.data_dir)]
    dawn, noon = ids_of(lib, "Dawn Chorus", "Noon Heat")

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(d + list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    assert run("playlist", "create", "CLI list", str(dawn))[0] == 0
    code, _, err = run("playlist", "add", "CLI list", str(dawn), str(noon))
    assert code == 2 and "already" in err and "--skip-duplicates" in err
    code, out, _ = run("playlist", "add", "CLI list", str(dawn), str(noon), "--skip-duplicates")
    assert code == 0 and "Added 1" in out
    code, out, _ = run("playlist", "move", "CLI list", "2", "--to", "1")
    assert code == 0
    code, out, _ = run("playlist", "show", "CLI list", "--json")
    assert [i["id"] for i in json.loads(out)["items"]] == [noon, dawn]
    code, out, _ = run("playlist", "remove", "CLI list", "1")
    assert code == 0 and "Removed 1" in out
    target = tmp_path / "cli.m3u8"
    code, out, _ = run("playlist", "export", "CLI list", "--m3u8", str(target), "--relative")
    assert code == 0 and target.read_text(encoding="utf-8").startswith("#EXTM3U\n#EXTINF:1,Aurora Band - Dawn")
    code, out, _ = run("playlist", "smart", "create", "CLI fast", "--rule", "tempo at_least 120", "--rule",
                       "kind is audio", "--sort", "tempo", "--json")
    assert code == 0 and json.loads(out)["matches"] == 2
    code, out, _ = run("playlist", "smart", "from-search", "fast songs", "--dry-run")
    assert code == 0 and "tempo at least 118 BPM" in out and "(2 items now)" in out and "Nothing was saved" in out
    code, out, _ = run("playlist", "list", "--json")
    names = [p["name"] for p in json.loads(out)]
    assert "CLI fast" in names and "fast songs" not in names
    for bad in (["show", "no such list"], ["add", "CLI fast", str(dawn)], ["remove", "CLI list", "0"],
                ["smart", "create", "Bad", "--rule", "colour is red"], ["smart", "create", "Bad", "--rule", "tempo"],
                ["smart", "create", "Bad", "--limit", "-1"], ["export", "CLI list", "--m3u8", str(tmp_path / "x" / "y")],
                ["export", "CLI list", "--m3u8", str(tmp_path)], ["add", "CLI list", "999999"],
                ["rename", "CLI list", "CLI fast"], ["move", "CLI list", "1", "--to", "0"]):
        code, out, err = run("playlist", *bad)
        assert code == 2 and err.startswith("encore: ") and "Traceback" not in err + out, bad
