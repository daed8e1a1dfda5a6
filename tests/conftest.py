"""Shared fixtures: a fresh data dir per test, offscreen Qt, test hooks on, sockets off (pytest-socket)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["ENCORE_TEST_HOOKS"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest  # noqa: E402


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def library(data_dir):
    from core.library import Library

    lib = Library(data_dir)
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """A small generated library, scanned and embedded once per module with the real MiniLM model."""
    from core.library import Library
    from tests.media import make_library

    root = tmp_path_factory.mktemp("media")
    files = make_library(root)
    lib = Library(tmp_path_factory.mktemp("data"))
    lib.scan([str(root)])
    report = lib.embed()
    yield lib, files, report
    lib.close()
