"""GBNF grammars for constrained decoding: the model may only choose among grounded phrasings."""

from __future__ import annotations

import itertools
import json

from core.explain.evidence import Evidence
from core.explain.templates import OPENERS, reason_clauses


def literal(text: str) -> str:
    """A GBNF string literal (JSON escaping is a subset of what GBNF accepts)."""
    return json.dumps(text, ensure_ascii=False)


def _alts(options: list[str]) -> str:
    return " | ".join(literal(o) for o in dict.fromkeys(options))


def explanation_grammar(ev: Evidence) -> str | None:
    """root = opener + strongest reason, then a second sentence with one or more of the other reasons
    in any order (the model picks which, in what order, and the phrasings). None when there is
    nothing to say (the template handles that case)."""
    groups = reason_clauses(ev)
    if not groups:
        return None
    rules = [f"opener ::= {_alts(list(OPENERS))}", f"r0 ::= {_alts(groups[0])}",
             f"R0 ::= {_alts([g[0].upper() + g[1:] for g in groups[0]])}"]
    for i, group in enumerate(groups[1:], 1):
        rules.append(f"r{i} ::= {_alts(group)}")
        rules.append(f"R{i} ::= {_alts([g[0].upper() + g[1:] for g in group])}")
    tails = [] if len(groups) > 1 else ['""']  # say at least two reasons when there are two
    others = list(range(1, len(groups)))
    for size in range(1, len(others) + 1):
        for order in itertools.permutations(others, size):
            parts = [f"R{order[0]}"] + [f'("; " | ", and ") r{j}' for j in order[1:]]
            tails.append('" " ' + " ".join(parts) + ' "."')
    rules.append("tail ::= " + " | ".join(tails))
    return "\n".join(['root ::= (opener r0 | R0) "." tail', *rules]) + "\n"


INTENT_SCHEMA = {
    "type": "object",
    "properties": {
        "kind": {"enum": ["audio", "video", None]},
        "genres": {"type": "array", "items": {"type": "string", "maxLength": 24}, "maxItems": 3},
        "year_min": {"type": ["integer", "null"]},
        "year_max": {"type": ["integer", "null"]},
        "tempo": {"enum": ["slow", "fast", None]},
        "mood": {"enum": ["happy", "sad", "calm", "energetic", None]},
        "unplayed": {"type": "boolean"},
        "favourites": {"type": "boolean"},
        "artist": {"type": ["string", "null"], "maxLength": 60},
        "free_text": {"type": "string", "maxLength": 120},
    },
    "required": ["kind", "genres", "year_min", "year_max", "tempo", "mood", "unplayed", "favourites",
                 "artist", "free_text"],
}


def intent_grammar() -> str:
    """GBNF for the search-intent JSON object (from INTENT_SCHEMA)."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return json_schema_to_gbnf(json.dumps(INTENT_SCHEMA))


def choice_grammar(options: list[str]) -> str:
    """Exactly one of `options` (used for playlist titles)."""
    return f"root ::= {_alts(options)}\n"
