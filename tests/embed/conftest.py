"""A small generated library, scanned and embedded once per module with the real MiniLM model."""

from __future__ import annotations

import pytest

from tests.media import make_library


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    from core.service import Library

    root = tmp_path_factory.mktemp("media")
    files = make_library(root)
    lib = Library(tmp_path_factory.mktemp("data"))
    lib.scan([str(root)])
    report = lib.embed()
    yield lib, files, report
    lib.close()
