"""Incremental JSON reading for history imports: top-level values, the elements of a big array, or
the "listens" inside a big {"payload": {...}} object, decoded one at a time from text chunks.

Memory is bounded by one entry (`MAX_ENTRY_CHARS`) plus one chunk, whatever the file's size. Input
that cannot be decoded (not JSON, an entry over the bound, nesting deep enough to exhaust the
decoder's recursion) becomes an `Unreadable` with a short reason, never an exception for the user.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

MAX_ENTRY_CHARS = 1 << 20  # one listen is about 1 KB
CHUNK_CHARS = 1 << 16
_DECODER = json.JSONDecoder()
_NON_SPACE = re.compile(r"[^\s\ufeff]")


class Unreadable(Exception):  # noqa: N818 - a value the reader hands on as often as it raises it
    """A JSON entry that could not be decoded; `reason` says why in a few words."""

    def __init__(self, reason: str, too_big: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_big = too_big


class JsonStream:
    """A cursor over the JSON text of a stream, filled chunk by chunk."""

    def __init__(self, f: IO[str]) -> None:
        self.f = f
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.stopped = False

    def _more(self) -> bool:
        """Read one more chunk (dropping what was consumed); False at the end of the file."""
        if self.eof:
            return False
        chunk = self.f.read(CHUNK_CHARS)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def stop(self) -> None:
        """Give up on the rest of the file (it cannot be read past this point)."""
        self.stopped = True
        self.buf, self.pos = "", 0

    def peek(self) -> str:
        """The next character that is not white space ("" at the end), without taking it."""
        if self.stopped:
            return ""
        while True:
            m = _NON_SPACE.search(self.buf, self.pos)
            if m:
                self.pos = m.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self._more():
                return ""

    def take(self) -> None:
        """Step over the character `peek` returned."""
        self.pos += 1

    def value(self) -> Any:
        """Decode the value at the cursor (after white space) and step past it; raises Unreadable (the
        cursor stays at the value's start)."""
        if not self.peek():
            raise Unreadable("not valid JSON")
        while True:
            try:
                obj, end = _DECODER.raw_decode(self.buf, self.pos)
            except RecursionError as exc:
                raise Unreadable("nested too deep") from exc
            except json.JSONDecodeError as exc:
                held = len(self.buf) - self.pos
                if held < MAX_ENTRY_CHARS and self._more():
                    continue  # the entry may go on in the next chunk
                if held >= MAX_ENTRY_CHARS and exc.pos - self.pos >= MAX_ENTRY_CHARS - CHUNK_CHARS:
                    raise Unreadable(f"entry over {MAX_ENTRY_CHARS >> 20} MB", too_big=True) from exc
                raise Unreadable("not valid JSON") from exc
            if end == len(self.buf) and self._more():
                continue  # a number at the end of a chunk may have more digits in the next one
            self.pos = end
            return obj

    def skip_line(self) -> None:
        """Drop the rest of the current line (JSON lines go on after a bad line)."""
        while True:
            nl = self.buf.find("\n", self.pos)
            if nl >= 0:
                self.pos = nl + 1
                return
            self.pos = len(self.buf)
            if not self._more():
                return

    def _expect(self, chars: str) -> str:
        c = self.peek()
        if not c or c not in chars:
            raise Unreadable("not valid JSON")
        self.take()
        return c

    def _elements(self) -> Iterator[Any]:
        """The elements of the array whose "[" was just taken (raises Unreadable on a broken one)."""
        if self.peek() == "]":
            self.take()
            return
        while True:
            yield self.value()
            if self._expect(",]") == "]":
                return

    def _guarded(self, values: Iterator[Any]) -> Iterator[Any]:
        """`values`, ending with an Unreadable (and the stream stopped) at the first broken entry:
        inside an array or object there is no safe place to go on from."""
        try:
            yield from values
        except Unreadable as exc:
            self.stop()
            yield Unreadable(f"{exc.reason} (the rest of the file was not read)")

    def array(self) -> Iterator[Any]:
        """The elements of the array whose "[" was just taken, then an Unreadable if one is broken."""
        return self._guarded(self._elements())

    def listens_of_object(self) -> Iterator[Any]:
        """The elements of "listens" (at the top or under "payload") of the object at the cursor,
        streamed; every other member is decoded and dropped."""
        return self._guarded(self._members(depth=0))

    def _members(self, depth: int) -> Iterator[Any]:
        self._expect("{")
        if self.peek() == "}":
            self.take()
            return
        while True:
            if self.peek() != '"':
                raise Unreadable("not valid JSON")
            key = self.value()
            self._expect(":")
            c = self.peek()
            if key == "payload" and c == "{" and depth == 0:
                yield from self._members(depth + 1)
            elif key == "listens" and c == "[":
                self.take()
                yield from self._elements()
            else:
                self.value()
            if self._expect(",}") == "}":
                return
