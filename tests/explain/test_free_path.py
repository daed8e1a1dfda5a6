"""The free-text path (meant for a 1-3B model chosen in Settings), driven by a scripted model so the
streaming hold-back, early stop and fallback are tested without a large GGUF."""

from __future__ import annotations

from core.explain.evidence import build_evidence
from core.explain.gguf import GGUFInfo
from core.explain.runtime import Generation
from core.explain.service import explain_mode, llm_explanation
from tests.explain.conftest import soundtrack_reasons


class ScriptedModel:
    """Answers with fixed text, piece by piece, honouring should_stop like LLMRuntime.generate."""

    def __init__(self, text: str, billions: float = 1.5) -> None:
        self.pieces = [w + " " for w in text.split(" ")]
        self.info = GGUFInfo("x.gguf", 3, 1, 10**9, {"general.size_label": f"{billions}B"})
        self.generated = 0

    def generate(self, messages, max_tokens=64, temperature=0.0, grammar=None, on_token=None, seed=0,
                 should_stop=None) -> Generation:
        assert grammar is None and "DATA>>>" in messages[1]["content"] and "Draft:" in messages[1]["content"]
        text = ""
        for piece in self.pieces:
            text += piece
            self.generated += 1
            if should_stop and should_stop(text):
                return Generation(text, self.generated, 0.01, 0.1, stopped_early=True)
        return Generation(text, self.generated, 0.01, 0.1)


EV = build_evidence(5, {"kind": "audio", "title": "Battle of Kings", "artist": "Kara Voss", "genre": "soundtrack"},
                    soundtrack_reasons())


def test_a_faithful_rewrite_is_accepted_and_streamed_whole():
    model = ScriptedModel("You played *Siege of Laurelmor* 12 times, and this one by *Kara Voss* sounds like it, "
                          "with a similar tempo (128 and 130 BPM).")
    pieces: list[str] = []
    text, verdict, _ = llm_explanation(model, EV, "free", on_token=pieces.append)
    assert verdict.ok, verdict.problems
    assert "".join(pieces).strip() == text


def test_a_hallucination_stops_generation_and_nothing_unsupported_is_streamed():
    model = ScriptedModel("You played *Siege of Laurelmor* 12 times, and this epic battle anthem will make you "
                          "feel like a king riding into war against the armies of the north forever and ever.")
    pieces: list[str] = []
    text, verdict, gen = llm_explanation(model, EV, "free", on_token=pieces.append)
    assert not verdict.ok and gen.stopped_early
    assert model.generated < 15  # stopped at the first unsupported word, not at the token limit
    shown = "".join(pieces)
    assert "epic" not in shown and "battle" not in shown.lower().replace("battle of kings", "")


def test_mode_follows_model_size():
    class Settings:
        extra: dict = {}

    class Lib:
        settings = Settings()

    assert explain_mode(Lib(), ScriptedModel("", billions=1.5)) == "free"
    assert explain_mode(Lib(), ScriptedModel("", billions=0.135)) == "constrained"
    Lib.settings.extra = {"llm_explain_mode": "constrained"}
    assert explain_mode(Lib(), ScriptedModel("", billions=3)) == "constrained"
