"""`history import` of malformed files (issue 16, items 6 and 12): every malformed row is counted and
reported with why, the rest is imported; a file that holds no history at all is a plain UserError;
memory stays bounded whatever the file's size."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.cli import main
from core.errors import UserError
from tests.recommend.helpers import add_item

GOOD_AT = 1704103800  # 2024-01-01


def listen(title: str = "So What", artist: str = "Miles Davis", at=GOOD_AT, **info) -> dict:
    return {"listened_at": at, "track_metadata": {"artist_name": artist, "track_name": title,
                                                  "additional_info": info}}


@pytest.fixture
def lib(library):
    add_item(library, "So What", "Miles Davis", duration=545)
    add_item(library, "Blue in Green", "Miles Davis", duration=337)
    return library


def _plays(library) -> int:
    return library.store.query("SELECT COUNT(*) FROM play_events")[0][0]


@pytest.mark.parametrize(("name", "content", "words"), [
    ("junk.bin", b"\x00\xffGARBAGE\x1b[31m" * 200, "binary"),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
    ("ints.json", b"[1,2,3]", "not a listen"),
    ("payload.json", b'{"payload":[]}', "no list of listens"),
    ("scalars.jsonl", b'1\n"x"\nnull\n', "not a listen"),
    ("readme.txt", b"This is not a history.\nJust words.\n", "fewer than 3 columns"),
])
def test_a_file_that_is_not_a_history_is_a_plain_user_error(lib, tmp_path, name, content, words):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(UserError) as err:
        lib.import_history(str(f), "default")
    message = str(err.value)
    assert name in message and words in message and "ListenBrainz" in message
    assert _plays(lib) == 0


def test_malformed_listens_are_counted_with_why_and_the_rest_is_imported(lib, tmp_path):
    rows = [listen(), 5, "x", None, [1, 2], {"no": "metadata"},
            listen("Blue in Green", duration_ms="abc"), listen("Blue in Green", at="nan"),
            listen("Blue in Green", at="inf"), listen("Blue in Green", at="3000-01-01"),
            listen("Blue in Green", at=-5), listen("Blue in Green", at=1e300), listen(title=""),
            listen("Blue in Green", at=GOOD_AT + 600, duration="337")]  # a duration as text is still one
    f = tmp_path / "listens.json"
    f.write_text(json.dumps(rows), encoding="utf-8")
    report = lib.import_history(str(f), "default")
    assert (report["matched"], report["events_added"], report["skipped"]) == (2, 2, 12)
    assert report["rows"] == len(rows)
    assert report["skipped_reasons"] == {
        "not a listen (expected a JSON object)": 4, "time in the future": 2, "no track_metadata": 1,
        "duration is not a number": 1, "time is not a finite number": 2, "time before 1970": 1,
        "no track name": 1}
    stored = lib.store.query("SELECT started_at, seconds, completed FROM play_events ORDER BY started_at")
    assert [tuple(r) for r in stored] == [(GOOD_AT, 0.0, 1.0), (GOOD_AT + 600, 337.0, 1.0)]


def test_json_lines_go_on_after_a_broken_or_deep_line(lib, tmp_path):
    f = tmp_path / "listens.jsonl"
    f.write_text("\n".join([json.dumps(listen()), "{broken", "[" * 50_000 + "]" * 50_000, "[1, 2",
                            json.dumps(listen("Blue in Green", at=GOOD_AT + 900))]) + "\n", encoding="utf-8")
    report = lib.import_history(str(f), "default")
    assert report["events_added"] == 2 and report["skipped"] == 3
    assert report["skipped_reasons"] == {"not valid JSON": 2, "nested too deep": 1}


def test_a_deep_entry_inside_an_array_keeps_what_came_before(lib, tmp_path):
    f = tmp_path / "listens.json"
    f.write_text("[" + json.dumps(listen()) + "," + "[" * 100_000 + "]" * 100_000 + "]", encoding="utf-8")
    report = lib.import_history(str(f), "default")
    assert report["events_added"] == 1 and report["skipped"] == 1
    assert list(report["skipped_reasons"]) == ["nested too deep (the rest of the file was not read)"]


def test_a_big_payload_object_is_streamed(lib, tmp_path):
    listens = [listen("So What" if n % 2 else "Nothing Here", at=GOOD_AT + 60 * n, recording_msid="x" * 200)
               for n in range(4000)]
    f = tmp_path / "payload.json"
    f.write_text(json.dumps({"payload": {"count": len(listens), "user_id": "me", "listens": listens}}),
                 encoding="utf-8")
    assert f.stat().st_size > 1 << 20  # more than one entry may hold: read as a stream
    report = lib.import_history(str(f), "default")
    assert (report["matched"], report["unmatched"], report["skipped"]) == (2000, 2000, 0)


def test_malformed_csv_rows_are_counted_with_why(lib, tmp_path, capsys):
    f = tmp_path / "scrobbles.csv"
    f.write_text("Miles Davis,Kind of Blue,So What,01 Jan 2024 10:00\n"
                 "Miles Davis,Kind of Blue," + "x" * 200_000 + ",01 Jan 2024 10:05\n"
                 "Miles Davis," + "y" * 2_000_000 + "\n"
                 "Miles Davis,Kind of Blue,Blue in Green,nan\n"
                 "Miles Davis,Kind of Blue,Blue in Green,3100-01-01\n"
                 "Miles Davis,Kind of Blue,Blue in Green,not a date\n"
                 "Miles Davis,Kind of Blue\n"
                 "Miles Davis,Kind of Blue,,01 Jan 2024 10:10\n"
                 "Miles Davis,Kind of Blue,Blue in Green,01 Jan 2024 10:20\n", encoding="utf-8")
    report = lib.import_history(str(f), "default")
    assert (report["matched"], report["events_added"], report["skipped"]) == (2, 2, 7)
    assert report["skipped_reasons"] == {
        "field over 128 KB": 1, "line over 1 MB": 1, "time is not a finite number": 1, "time in the future": 1,
        "timestamp is not a time": 1, "fewer than 3 columns": 1, "no title": 1}
    data = tmp_path / "cli-data"
    assert main(["--data-dir", str(data), "history", "import", str(f)]) == 0
    out = capsys.readouterr().out
    assert "7 rows skipped: " in out and "field over 128 KB (1)" in out


def test_a_folder_is_refused_and_a_missing_file_is_not_found(lib, tmp_path):
    with pytest.raises(UserError, match="not a file"):
        lib.import_history(str(tmp_path), "default")
    with pytest.raises(FileNotFoundError):
        lib.import_history(str(tmp_path / "nope.json"), "default")


MEASURE = textwrap.dedent("""
    import json, resource, sys, tempfile
    from pathlib import Path
    kind, size = sys.argv[1], int(sys.argv[2])
    from core.library import Library
    import scipy.sparse  # imported by the neighbour rebuild: not the import's own memory
    from tests.recommend.helpers import add_item
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / ("big.csv" if kind == "csv" else "big.jsonl")
        with open(f, "w", encoding="utf-8") as out:
            n = 0
            while out.tell() < size:
                k = n % 5000
                if kind == "csv":
                    out.write(f"Artist {k},Album {k // 10},Title {k},{1600000000 + n * 5}\\n")
                else:
                    out.write(json.dumps({"listened_at": 1600000000 + n * 5, "track_metadata": {
                        "artist_name": f"Artist {k}", "track_name": f"Title {k}",
                        "additional_info": {"duration": "200", "recording_msid": "%036d" % n}}}) + "\\n")
                n += 1
        lib = Library(Path(tmp) / "data")
        for k in range(0, 200, 10):
            add_item(lib, f"Title {k}", f"Artist {k}", duration=200)
        lib.stats()
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # a guard, so that an importer that reads whole files fails here instead of exhausting the machine
        vm = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (vm + (1 << 30), vm + (1 << 30)))
        try:
            report = lib.import_history(str(f), "default")
            result = {"matched": report["matched"], "added": report["events_added"]}
        except MemoryError:
            result = {"error": "MemoryError"}
        result["growth_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
        print(json.dumps(result))
        lib.close()
""")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc and uses RLIMIT_AS")
@pytest.mark.parametrize(("kind", "mb"), [("csv", 20), ("listenbrainz", 20)])
def test_import_memory_does_not_grow_with_the_file(kind, mb):
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", MEASURE, kind, str(mb << 20)], cwd=root, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "error" not in result
    assert result["matched"] > 100 and result["added"] == result["matched"]
    assert result["growth_mb"] < 150, result
