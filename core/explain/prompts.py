"""Prompts for the local LLM: only item facts and typed reasons, tag text fenced as data and capped.

System prompts live in resources/prompts/*.txt. Every value placed in a prompt went through
`evidence.display_name`/`short_word` (no control or invisible characters, no fence characters,
length-capped) and the whole data block is capped again here.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from core.explain.evidence import Evidence
from core.explain.templates import reason_clauses, template_explanation
from core.text import clean_text

PROMPT_DIR = Path(__file__).resolve().parents[2] / "resources" / "prompts"
PROMPT_VERSION = 7  # bump when a prompt, grammar, template or checker rule changes: the cache is keyed by it
MAX_DATA_CHARS = 1200
FENCE_OPEN, FENCE_CLOSE = "<<<DATA", "DATA>>>"

_DEFAULT_SYSTEM = {
    "explain_constrained": "Explain in one or two short sentences why this item was picked, using only the reasons.",
    "explain_free": "Rewrite the draft explanation in at most 30 words, using only its facts.",
}


@functools.cache
def system_prompt(name: str) -> str:
    """A system prompt from resources/prompts (built-in default when the file is missing)."""
    try:
        return (PROMPT_DIR / f"{name}.txt").read_text(encoding="utf-8").strip()
    except OSError:
        return _DEFAULT_SYSTEM[name]


def fence(lines: list[str], max_chars: int = MAX_DATA_CHARS) -> str:
    """Data lines inside fences; fence look-alikes inside the data are removed, the block is capped."""
    body = "\n".join(_defuse(clean_text(line, max_chars=300)) for line in lines if line)
    if len(body) > max_chars:
        body = body[:max_chars].rsplit("\n", 1)[0]
    return f"{FENCE_OPEN}\n{body}\n{FENCE_CLOSE}"


def _defuse(text: str) -> str:
    text = re.sub(r"<+|>+|\|", " ", text)
    text = re.sub(r"(?i)\bDATA\b", "data", text)
    return text.replace("im_start", "").replace("im_end", "")


def fact_lines(ev: Evidence) -> list[str]:
    """The item's facts, one "key: value" per line."""
    f = ev.facts
    lines = [f"{key}: {f[key]}" for key in ("kind", "title", "artist", "album", "composer", "genre", "year")
             if f.get(key)]
    if ev.descriptors:
        lines.append("sounds/looks: " + ", ".join(ev.descriptors))
    return lines


def reason_lines(ev: Evidence) -> list[str]:
    """The reasons as numbered plain phrases (the first phrasing of each)."""
    return [f"reason {i}: {group[0]}" for i, group in enumerate(reason_clauses(ev), 1)]


def explain_messages(ev: Evidence, free: bool) -> list[dict[str, str]]:
    """Chat messages for an explanation: constrained (slots) or free (rewrite the template draft)."""
    if free:
        data = fence(fact_lines(ev) + reason_lines(ev))
        user = (f"{data}\nDraft: {template_explanation(ev)}\n"
                "Rewrite the draft as one or two short natural sentences with the same facts.")
        return [{"role": "system", "content": system_prompt("explain_free")}, {"role": "user", "content": user}]
    # The grammar fixes every word the model may write: the prompt only has to guide its choices,
    # so it is kept short (prompt tokens dominate the time to first token on a small CPU).
    names = [f"{k}: {ev.facts[k]}" for k in ("title", "artist") if ev.facts.get(k)]
    user = f"{fence(names + reason_lines(ev))}\nWhy was this {'film' if ev.kind == 'video' else 'track'} picked?"
    return [{"role": "system", "content": system_prompt("explain_constrained")},
            {"role": "user", "content": user}]
