"""Every subcommand, given bad input, answers with exit code 0/1/2 and a message: never a traceback."""

from __future__ import annotations

import json
import os
import sys

import pytest

from core.cli import main
from tests.media import write_audio

JUNK = b"\x00\xffGARBAGE\x1b[31m" * 200


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """A data dir with one scanned item (#1) and some hostile files beside it."""
    root = tmp_path_factory.mktemp("media")
    write_audio(root / "song.wav", seconds=1.0)
    data = tmp_path_factory.mktemp("data")
    assert main(["--data-dir", str(data), "scan", str(root)]) == 0
    junk = root.parent / "junk.bin"
    junk.write_bytes(JUNK)
    deep = root.parent / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    return data, root, junk, deep


def _cases(data, root, junk, deep):
    d = ["--data-dir", str(data)]
    nowhere = str(root / "no-such-thing")
    return [
        d + ["show", "999999"], d + ["show", ""], d + ["show", "-1"], d + ["show", nowhere],
        d + ["show", "\x1b]0;pwned\x07"], d + ["show", "x" * 5000],
        d + ["play", "999999"], d + ["play", "1", "--at", "nan"], d + ["play", "1", "--at", "1e300"],
        d + ["play", "1", "--at", "3100-01-01"], d + ["play", "1", "--at", "inf"], d + ["play", "1", "--at", "-5"],
        d + ["play", "1", "--at", "not a date"], d + ["play", "1", "--seconds", "nan"],
        d + ["play", "1", "--seconds", "-100"], d + ["play", "1", "--seconds", "inf"],
        d + ["rate", "999999", "like"], d + ["rate", "1", "love"],
        d + ["history", "import", nowhere], d + ["history", "import", str(root)],
        d + ["history", "import", str(junk)], d + ["history", "import", str(deep)],
        d + ["recommend", "--seed", "999999", "--mode", "more-like"], d + ["recommend", "--limit", "0"],
        d + ["recommend", "--limit", "-1"], d + ["recommend", "--mode", "nonsense"],
        d + ["search", "--limit", "-1", "x"], d + ["search", "--limit", "0", "x"],
        d + ["explain", "999999", "--no-llm"], d + ["explain", "1", "--seed", "999999", "--no-llm"],
        d + ["scan", nowhere], d + ["scan", "/dev/null"], d + ["scan", str(junk)], d + ["scan", "/proc/x"],
        d + ["restore", "--from", nowhere], d + ["restore", "--from", str(junk)],
        ["--data-dir", str(junk), "stats"], ["--data-dir", str(junk / "under"), "stats"],
        ["--data-dir", "/proc/x", "stats"], ["--data-dir", "/proc/x", "doctor", "--no-gpu"],
        ["--data-dir", str(root.parent / "empty-dir"), "backup"],
        ["nonsense-command"], d + ["show"],
    ]


def test_no_subcommand_answers_bad_input_with_a_traceback(scanned, capsys):
    data, root, junk, deep = scanned
    (root.parent / "empty-dir").mkdir(exist_ok=True)
    failures = []
    for argv in _cases(data, root, junk, deep):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: usage error
            code = exc.code
        except Exception as exc:  # noqa: BLE001 - this is what the test looks for
            failures.append(f"{argv[2:] if argv[0] == '--data-dir' else argv}: {type(exc).__name__}: {exc}"[:300])
            continue
        out = capsys.readouterr()
        if code not in (0, 1, 2):
            failures.append(f"{argv}: exit code {code}")
        elif code == 2 and not out.err.strip():
            failures.append(f"{argv}: exit 2 without a message")
        if "Traceback" in out.err + out.out:
            failures.append(f"{argv}: traceback printed")
    assert failures == [], "\n".join(failures)


def test_nonsense_plays_are_refused_and_json_stays_valid(scanned, capsys):
    data, *_ = scanned
    d = ["--data-dir", str(data)]
    for bad in (["--at", "3000-01-01"], ["--at", "inf"], ["--seconds", "-100"], ["--seconds", "nan"]):
        assert main(d + ["play", "1", *bad]) == 2
        assert "encore:" in capsys.readouterr().err
    assert main(d + ["show", "1", "--json"]) == 0
    json.loads(capsys.readouterr().out)  # no NaN / Infinity in what --json prints


@pytest.mark.skipif(sys.platform != "linux", reason="uses /bin/sh and head")
def test_output_piped_to_head_ends_quietly(scanned, tmp_path):
    import subprocess

    data, *_ = scanned
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cmd = f"{sys.executable} main.py --data-dir {data} --help | head -c 1 >/dev/null; " \
          f"{sys.executable} main.py --data-dir {data} stats | head -n 1 >/dev/null"
    out = subprocess.run(["/bin/sh", "-c", cmd], cwd=root, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in out.stderr and "BrokenPipe" not in out.stderr


def test_a_file_given_as_a_root_is_refused_and_never_becomes_an_offline_root(scanned, capsys):
    data, root, junk, _ = scanned
    d = ["--data-dir", str(data)]
    for target in ("/dev/null", str(junk)):
        assert main(d + ["scan", target]) == 2
        assert "not a folder" in capsys.readouterr().err
    assert main(d + ["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["roots"] == 1
    for limit in ("0", "-1"):
        assert main(d + ["search", "--limit", limit, "song"]) == 2
        assert main(d + ["recommend", "--limit", limit]) == 2


def test_escape_sequences_in_file_names_reach_the_terminal_escaped(tmp_path, capsys):
    root = tmp_path / "media"
    root.mkdir()
    evil = root / "\x1b]0;pwned\x07\x1b[2J.wav"
    write_audio(evil, seconds=0.5)
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "scan", str(root)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data), "show", "1"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;pwned\\x07" in out  # still readable: the user sees what the name holds
