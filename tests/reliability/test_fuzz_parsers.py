"""Promise 1, fuzzed: the tag and sidecar readers never crash, hang or return unbounded text.

Bounded for CI: a few hundred examples per reader (a few seconds), derandomized so a failure
reproduces; HYPOTHESIS_PROFILE=long runs 50x more examples locally.
"""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.scan import sidecars
from core.scan.extract import content_hash
from core.scan.tags import CANONICAL, canonical_fields, read_tags
from core.text import MAX_TEXT_CHARS, clean_text, decode_bytes
from tests.media import tag_id3, tag_vorbis, write_audio, write_video

SCALE = 50 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 1
FAST = settings(max_examples=150 * SCALE, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CONTROL = [chr(c) for c in range(0, 32) if c not in (9, 10)] + ["\u202e", "\u200b", "\ufeff", "\U000e0041"]

TOKENS = st.sampled_from([
    "[00:01.00]", "[99:99.99]", "[ti:Title]", "[offset:+500]", "[", "]", "-->", "00:00:01,000 --> 00:00:02,000",
    "1", "\n", "\r\n", "<i>", "</i>", "{\\an8}", "<", ">", "&amp;", "<movie>", "</movie>", "<title>", "</title>",
    "<genre>", "</genre>", "<year>2019</year>", "<!DOCTYPE x>", "<!ENTITY a 'b'>", "\x00", "\ufeff", "é", "\u202e",
])
SIDECAR_TEXT = st.one_of(st.text(max_size=2000), st.lists(st.one_of(TOKENS, st.text(max_size=20)), max_size=300)
                         .map("".join), st.binary(max_size=3000).map(decode_bytes))


@contextmanager
def time_limit(seconds: float, what: str):
    """Fail (not hang) when a reader runs longer than `seconds`."""
    def on_alarm(signum, frame):
        raise TimeoutError(f"{what} ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _clean(text: str, limit: int) -> None:
    assert isinstance(text, str) and len(text) <= limit
    assert not any(c in text for c in CONTROL), repr(text[:200])


@FAST
@given(SIDECAR_TEXT)
def test_lrc_and_srt_readers(text):
    with time_limit(2, "parse_lrc/parse_srt"):
        _clean(sidecars.parse_lrc(text), MAX_TEXT_CHARS)
        out = sidecars.parse_srt(text)
    _clean(out, MAX_TEXT_CHARS)


@FAST
@given(SIDECAR_TEXT)
def test_nfo_reader_never_raises_or_expands_entities(text):
    with time_limit(2, "parse_nfo"):
        out = sidecars.parse_nfo(text)
    assert isinstance(out, dict)
    for key, value in out.items():
        assert isinstance(key, str)
        _clean(value, 5000)


@FAST
@given(st.one_of(st.text(max_size=5000), st.binary(max_size=5000), st.integers(), st.none()),
       st.integers(min_value=0, max_value=3000), st.booleans())
def test_clean_text_is_bounded_and_visible(value, limit, keep_newlines):
    out = clean_text(value, limit, keep_newlines=keep_newlines)
    _clean(out, limit)


@FAST
@given(st.dictionaries(st.sampled_from(sorted(CANONICAL)), st.text(max_size=600), max_size=20),
       st.binary(min_size=1, max_size=300).map(lambda b: os.fsdecode(b.replace(b"/", b"_").replace(b"\0", b"_"))))
def test_canonical_fields_from_any_tags_and_name(tags, name):
    fields = canonical_fields(tags, "/music/" + name + ".flac")
    assert all(len(fields[k]) <= 500 for k in ("title", "artist", "album", "genre", "composer"))
    assert fields["year"] is None or 1500 <= fields["year"] <= 2099
    assert fields["bpm"] is None or 20 <= fields["bpm"] <= 400
    fields["title"].encode("utf-8")  # storable: no lone surrogates from odd file names


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("seeds")
    flac = write_audio(d / "a.flac", 0.3)
    tag_vorbis(flac, title="Seed", artist="Fuzz", date="1999", tracknumber="3/9")
    wav = write_audio(d / "b.wav", 0.2)
    tag_id3(wav, title="Seed", artist="Fuzz", lyrics="la la", comment="c")
    ogg = write_audio(d / "c.ogg", 0.3)
    mp4 = write_video(d / "d.mp4", colors=((0, 0, 255),), seconds_each=0.3)
    return {p.suffix: p.read_bytes() for p in (flac, wav, ogg, mp4)}


MUTATION = st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert", "zero"]),
                              st.floats(0, 1), st.binary(min_size=1, max_size=64)), min_size=1, max_size=8)


def _mutate(data: bytes, ops) -> bytes:
    out = bytearray(data)
    for op, where, blob in ops:
        i = int(where * max(0, len(out) - 1))
        if op == "flip" and out:
            out[i] ^= blob[0] or 1
        elif op == "cut":
            del out[i:]
        elif op == "insert":
            out[i:i] = blob
        elif op == "zero":
            out[i:i + len(blob) * 8] = b"\0" * len(out[i:i + len(blob) * 8])
    return bytes(out)


@settings(max_examples=120 * SCALE, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from([".flac", ".wav", ".ogg", ".mp4"]), MUTATION)
def test_tag_reader_on_mutated_files(seeds, tmp_path, ext, ops):
    path = Path(tmp_path) / f"fuzz{ext}"
    path.write_bytes(_mutate(seeds[ext], ops))
    with time_limit(5, f"read_tags on a mutated {ext}"):
        content_hash(str(path))
        try:
            meta = read_tags(str(path))
        except Exception:  # noqa: BLE001 - a clean failure is fine: the worker records it
            return
    assert set(meta) == {"tags", "extra", "facts", "picture", "mime"}
    for value in meta["tags"].values():
        assert isinstance(value, str) and len(value) <= MAX_TEXT_CHARS
    assert len(meta["extra"]) <= 200
    fields = canonical_fields(meta["tags"], str(path))
    assert len(fields["title"]) <= 500
