"""Explain-test fixtures: one real bundled-model runtime shared by every test (loading it is ~1 s)."""

from __future__ import annotations

import pytest

from core.models import Reason


@pytest.fixture(scope="session")
def runtime(tmp_path_factory):
    from core.explain.runtime import LLMRuntime

    rt = LLMRuntime(n_ctx=1024, cache_dir=tmp_path_factory.mktemp("llm-cache"))
    rt.load()
    yield rt
    rt.close()


def use_runtime(library, rt) -> None:
    """Make `library` use the shared runtime instead of loading its own."""
    s = library.settings
    key = f"llm:{s.llm_model}|{s.llm_context}|{s.llm_threads}|{s.llm_gpu_layers}"
    library.component(key, lambda: rt)
    library.settings.extra["llm_explain"] = "llm"  # these tests are about the model's path (not the default)


def soundtrack_reasons() -> list[Reason]:
    return [Reason("because_you_played", 0.6, {"item": 3, "title": "Siege of Laurelmor", "plays": 12}),
            Reason("similar_sound", 0.3, {"to": 3, "to_title": "Siege of Laurelmor",
                                          "features": {"tempo": [128.4, 130.2], "key": ["A minor", "A minor"]},
                                          "similarity": 0.83}),
            Reason("same_artist", 0.2, {"artist": "Kara Voss"})]


def open_library(path):
    from core.library import Library

    return Library(path)


@pytest.fixture(scope="module")
def small_library(tmp_path_factory, runtime):
    """The shared test media (tests/media.py) scanned once per module, using the shared runtime."""
    from tests.media import make_library

    root = tmp_path_factory.mktemp("media")
    files = make_library(root)
    lib = open_library(tmp_path_factory.mktemp("data"))
    lib.scan([str(root)])
    use_runtime(lib, runtime)
    ids = {name: lib.item_row(str(path))["id"] for name, path in files.items() if name != "corrupt"}
    yield lib, ids
    lib.close()
