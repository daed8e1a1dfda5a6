"""GBNF grammars for constrained decoding: the model may only choose among grounded phrasings."""

from __future__ import annotations

import itertools
import json

from core.explain.evidence import Evidence
from core.explain.templates import reason_clauses, template_choice


def literal(text: str) -> str:
    """A GBNF string literal (JSON escaping is a subset of what GBNF accepts)."""
    return json.dumps(text, ensure_ascii=False)


def _alts(options: list[str]) -> str:
    return " | ".join(literal(o) for o in dict.fromkeys(options))


def explanation_grammar(ev: Evidence) -> str | None:
    """root = the template's opener + strongest reason, then a second sentence with one or more of the
    other reasons in any order (the model picks which, in what order, and the phrasings; never just
    another opener). None when there is nothing to say (the template handles that case)."""
    groups = reason_clauses(ev)
    if not groups:
        return None
    # the template's own opener: the model chooses which reasons and phrasings, never just another opener
    rules = [f"opener ::= {literal(template_choice(ev)[0])}", f"r0 ::= {_alts(groups[0])}"]
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
    return "\n".join(['root ::= opener r0 "." tail', *rules]) + "\n"
