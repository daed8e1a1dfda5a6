"""Grounded explanations: the LLM rephrases the Reasons, the checker decides, templates are the fallback.

`explain(ctx, ref, seed=, reasons=, recommended=, on_token=)` is what `Library.explain` calls, with the
caller's Reasons or the recommender's Reasons for the item (this stage never asks the recommender). Streaming:
`on_token` receives text pieces only after the words so far have passed the checker's prefix rules
(generation stops at the first unsupported word). If the finished answer still fails (too short,
misses the main reason), the returned Explanation carries the template instead and the caller
replaces what it streamed.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from core.context import StageContext
from core.db import explanations as cache
from core.explain.checker import Grounding, Verdict
from core.explain.evidence import Evidence
from core.explain.gguf import LLMError
from core.explain.grammar import explanation_grammar
from core.explain.prompts import PROMPT_VERSION, explain_messages
from core.explain.reasons import evidence_for
from core.explain.runtime import Generation, LLMRuntime, runtime_for
from core.explain.templates import template_explanation, variant
from core.models import Explanation, Reason

MAX_TOKENS = {"constrained": 90, "free": 80}
FREE_MIN_BILLIONS = 1.0  # models this size or larger get the free-text path by default
# Who writes explanations by default. The bundled SmolLM2-135M, judged blind against the template on the
# audit's explanations (bench/explain_audit.py --judge; docs/BENCHMARKS.md, "Explanation audit"), was not
# better: under the grammar it can only pick among the template's own phrasings, and it said less. So it
# steps back: the template speaks unless the setting says otherwise. A GGUF the user chose (1-8B, free
# path) speaks by default, under the same checker and the same audit.
BUNDLED_WRITER = "template"


def explanation_writer(ctx: StageContext) -> str:
    """"llm" or "template": the `llm_explain` setting (settings.json "extra"): "llm", "template", or "auto"
    (the default: BUNDLED_WRITER for the bundled model, the model for a GGUF the user chose)."""
    choice = str((ctx.settings.extra or {}).get("llm_explain", "auto"))
    if choice in ("llm", "template"):
        return choice
    return "llm" if ctx.settings.llm_model else BUNDLED_WRITER


def explain_mode(ctx: StageContext, runtime: LLMRuntime) -> str:
    """constrained (grammar slots; for tiny models) or free (checked rewrite; for 1B+ models)."""
    mode = str((ctx.settings.extra or {}).get("llm_explain_mode", "auto"))
    if mode in ("constrained", "free"):
        return mode
    billions = runtime.info.parameters
    if billions is None:
        billions = runtime.info.file_size / 0.6e9  # ~0.6 GB per billion parameters at 4-5 bits
    return "free" if billions >= FREE_MIN_BILLIONS else "constrained"


def llm_explanation(runtime: LLMRuntime, ev: Evidence, mode: str,
                    on_token: Callable[[str], None] | None = None) -> tuple[str, Verdict, Generation | None]:
    """Ask the model and check the answer. Returns (text, verdict, generation)."""
    grounding = Grounding(ev)
    grammar = explanation_grammar(ev) if mode == "constrained" else None
    if mode == "constrained" and grammar is None:
        return "", Verdict(False, ["nothing to explain"]), None
    shown = [0]
    failed: list[str] = []

    def should_stop(text: str) -> bool:
        verdict = grounding.check_prefix(text)
        if not verdict.ok:
            failed.extend(verdict.problems)
            return True
        if on_token:
            cut = max(text.rfind(" "), text.rfind("\n"))
            if cut > shown[0]:
                on_token(text[shown[0]:cut])
                shown[0] = cut
        return False

    gen = runtime.generate(explain_messages(ev, free=mode == "free"), max_tokens=MAX_TOKENS[mode],
                           temperature=0.8 if mode == "constrained" else 0.3, grammar=grammar,
                           seed=variant(ev, "llm") % 2**31, should_stop=should_stop)
    text = _tidy(gen.text)
    verdict = Verdict(False, failed) if failed else grounding.check(text)
    if verdict.ok and on_token and len(text) > shown[0]:
        on_token(text[shown[0]:])
    return text, verdict, gen


def _tidy(text: str) -> str:
    text = text.strip().strip('"').strip()
    return re.sub(r"\s+", " ", text)


def _cache_get(ctx: StageContext, item_id: int, key: str, model: str) -> sqlite3.Row | None:
    try:
        return cache.cached(ctx.store.reader(), item_id, key, model)
    except sqlite3.OperationalError:
        return None


def _cache_put(ctx: StageContext, item_id: int, key: str, model: str, text: str, source: str,
               problems: list[str]) -> None:
    try:
        with ctx.store.write() as conn:
            cache.store(conn, item_id, key, model, text, source, problems)
    except sqlite3.Error:
        pass  # a cache that cannot be written only costs time


def explain_evidence(ctx: StageContext, ev: Evidence, on_token: Callable[[str], None] | None = None) -> Explanation:
    """The explanation of prepared evidence (LLM when enabled and accepted, else the template)."""
    start = time.perf_counter()
    template = template_explanation(ev)
    evidence = tuple(ev.to_list())

    def done(text: str, source: str, model: str = "") -> Explanation:
        # no *markup* in what is shown: the same words in a terminal and in the window
        return Explanation(item_id=ev.item_id, text=text.replace("*", ""), source=source, evidence=evidence,
                           model=model, seconds=round(time.perf_counter() - start, 3))

    if not ctx.settings.llm_enabled or explanation_writer(ctx) == "template":
        return done(template, "template")
    if on_token is not None:
        shown = on_token
        on_token = lambda piece: shown(piece.replace("*", ""))  # noqa: E731
    try:
        runtime = runtime_for(ctx)
        mode = explain_mode(ctx, runtime)
        model = f"{runtime.name}|{mode}|p{PROMPT_VERSION}"
        key = ev.digest()
        cached = _cache_get(ctx, ev.item_id, key, model)
        if cached is not None:
            if on_token and cached["source"] == "llm":
                on_token(cached["text"])
            return done(cached["text"] if cached["source"] == "llm" else template, cached["source"], model)
        text, verdict, _ = llm_explanation(runtime, ev, mode, on_token)
    except LLMError:
        return done(template, "template")
    source = "llm" if verdict.ok else "template"
    _cache_put(ctx, ev.item_id, key, model, text, source, verdict.problems)
    return done(text if verdict.ok else template, source, model)


def explain(ctx: StageContext, ref: int | str, seed: int | str | None = None, reasons: list[Reason] | None = None,
            on_token: Callable[[str], None] | None = None, recommended: list[Reason] | None = None) -> Explanation:
    """A grounded explanation of why `ref` was picked (because of `seed`): from the caller's `reasons` when
    given, else from the recommender's `recommended` reasons for it, else from provable facts."""
    ev = evidence_for(ctx, ref, seed=seed, reasons=reasons, recommended=recommended)
    return explain_evidence(ctx, ev, on_token)


def explain_recommendations(ctx: StageContext, recs: list[Any], seed: int | str | None = None) -> list[Explanation]:
    """One explanation per Recommendation/Hit, from its own reasons (for `recommend --explain`)."""
    return [explain(ctx, rec.item.id, seed=seed, reasons=list(rec.reasons)) for rec in recs]


def llm_status(ctx: StageContext) -> dict[str, Any]:
    """Whether the LLM can be used, which model, and why not (for `doctor` and Settings)."""
    if not ctx.settings.llm_enabled:
        return {"enabled": False, "ok": False, "error": "disabled in settings"}
    try:
        runtime = runtime_for(ctx)
        runtime.load()
        return {"enabled": True, "ok": True, "model": runtime.name, "file": runtime.file_name,
                "mode": explain_mode(ctx, runtime),
                "writes": explanation_writer(ctx),
                "threads": runtime.n_threads, "gpu_layers": runtime.n_gpu_layers,
                "load_seconds": round(runtime.load_seconds, 3)}
    except LLMError as exc:
        return {"enabled": True, "ok": False, "error": str(exc)}
