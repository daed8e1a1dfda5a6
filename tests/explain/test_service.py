"""Explanations as the CLI/UI see them: real bundled model, checker-gated, cached, template fallback."""

from __future__ import annotations

import json
import time

from core.cli import main
from core.explain.checker import check
from core.explain.reasons import evidence_for
from core.explain.service import explain, explain_recommendations
from core.models import PlayEvent, Reason, Recommendation
from tests.explain.conftest import soundtrack_reasons

DAY = 86400.0


def _play(lib, sessions: list[list[int]]) -> None:
    """Record real plays, one listening session a day, so the reasons a test gives are true: explanations
    say only what the stored history bears out (core/explain/truth.py)."""
    start = time.time() - 40 * DAY
    for n, items in enumerate(sessions):
        for m, item_id in enumerate(items):
            lib.record_play(PlayEvent(item_id=item_id, started_at=start + n * DAY + m * 300, seconds=200,
                                      completed=1.0))


def _reasons_about(item_id: int) -> list[Reason]:
    """soundtrack_reasons() about the library's own Siege of Laurelmor."""
    ref = {"item", "to"}
    return [Reason(r.kind, r.weight, {k: (item_id if k in ref else v) for k, v in r.detail.items()})
            for r in soundtrack_reasons()]


def test_explanation_from_the_real_model_is_checked_streamed_and_cached(small_library):
    lib, ids = small_library
    _play(lib, [[ids["wav"]]] * 12)  # "you played Siege of Laurelmor 12 times" is true
    pieces: list[str] = []
    first = explain(lib, ids["flac"], reasons=_reasons_about(ids["wav"]), on_token=pieces.append)
    assert first.source in ("llm", "template") and first.model.startswith("SmolLM2-135M")
    ev = evidence_for(lib, ids["flac"], reasons=_reasons_about(ids["wav"]))
    assert check(first.text, ev).ok  # whatever is shown passes the checker
    if first.source == "llm":
        assert "".join(pieces).strip() == first.text
    assert "Siege of Laurelmor" in first.text
    start = time.perf_counter()
    again = explain(lib, ids["flac"], reasons=_reasons_about(ids["wav"]))
    assert (again.text, again.source) == (first.text, first.source)
    assert time.perf_counter() - start < 0.5  # from the cache, no generation
    assert lib.store.query("SELECT COUNT(*) FROM explanations")[0][0] >= 1


def test_seed_reasons_include_what_the_library_can_prove_about_the_pair(small_library):
    lib, ids = small_library
    expl = lib.explain(ids["ogg"], seed=ids["flac"])
    kinds = [e["kind"] for e in expl.evidence]
    assert kinds[:2] == ["item", "seed"] and "same_artist" in kinds and "similar_text" in kinds
    assert "Aurora Band" in expl.text or "Dawn Chorus" in expl.text


def test_recommender_reasons_are_used_when_it_lists_the_item(small_library, monkeypatch):
    lib, ids = small_library
    item = next(i for i in lib.items() if i.id != ids["wav"])
    _play(lib, [[item.id, ids["wav"]]] * 4)  # "played together 4 times" is true
    rec = Recommendation(item=item, score=1.0, reasons=(Reason("co_played", 0.9, {"with": ids["wav"],
                                                                                 "with_title": "Siege of Laurelmor",
                                                                                 "count": 4}),))
    monkeypatch.setattr(type(lib), "recommend", lambda self, **kw: [rec])
    expl = lib.explain(item.id, seed=ids["wav"])
    assert [e["kind"] for e in expl.evidence][-1] == "co_played"
    [via_list] = explain_recommendations(lib, [rec])
    assert via_list.item_id == item.id and "Siege of Laurelmor" in via_list.text


def test_llm_disabled_or_unusable_model_falls_back_to_templates(small_library, tmp_path):
    lib, ids = small_library
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"GGUF" + b"\xff" * 100)
    lib.settings.llm_model = str(bad)
    try:
        expl = lib.explain(ids["wav"], seed=ids["flac"])
        assert expl.source == "template" and expl.text
        lib.settings.llm_enabled = False
        assert lib.explain(ids["wav"]).source == "template"
    finally:
        lib.settings.llm_model, lib.settings.llm_enabled = "", True


def test_cli_explain_json(small_library, capsys):
    lib, ids = small_library
    assert main(["--data-dir", str(lib.paths.data_dir), "explain", str(ids["video"]), "--no-llm", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"item", "text", "source", "evidence", "model", "seconds"}
    assert data["item"] == ids["video"] and data["source"] == "template" and data["text"].endswith(".")
    assert main(["--data-dir", str(lib.paths.data_dir), "explain", "99999", "--json"]) == 2


def test_status_loads_the_model_and_says_how_it_runs(small_library):
    from core.explain.service import llm_status

    lib, _ = small_library
    status = llm_status(lib)
    assert status["ok"] and status["mode"] == "constrained" and status["threads"] >= 1
