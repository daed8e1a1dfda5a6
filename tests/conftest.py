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
    from core.service import Library

    lib = Library(data_dir)
    yield lib
    lib.close()
