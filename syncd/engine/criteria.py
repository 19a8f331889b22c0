"""Bulk read criteria written on the command line, parsed into the client's criteria builders.

One criterion per argument, ``FIELD OPERATOR VALUE``; several arguments all have to hold::

    "Lead_Source in Web,Trade Show"
    "Modified_Time >= 2025-01-01T00:00:00+00:00"
    "Created_Time between 2025-01-01T00:00:00+00:00,2025-02-01T00:00:00+00:00"
    "Email ends_with @example.com"

Operators: ``= != < <= > >=``, ``in``, ``not in``, ``between``, ``not between``, and Zoho's own
comparator names (``equal``, ``contains``, ``starts_with``, ...). ``in`` and ``between`` take
comma-separated values. A value is text as written; Zoho's field types give it meaning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from syncd.errors import ConfigError
from syncd.zoho import Criterion, all_of, where
from syncd.zoho.query import ALL_COMPARATORS, Node

SYMBOLS = {
    "=": "equal",
    "==": "equal",
    "!=": "not_equal",
    "<": "less_than",
    "<=": "less_equal",
    ">": "greater_than",
    ">=": "greater_equal",
    "in": "in",
    "not in": "not_in",
    "between": "between",
    "not between": "not_between",
}
LISTS = frozenset({"in", "not_in", "between", "not_between"})
_WORDS = sorted({*SYMBOLS, *ALL_COMPARATORS}, key=len, reverse=True)
_OPERATOR = "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in _WORDS)
_CRITERION = re.compile(
    rf"^\s*(?P<field>[A-Za-z$][\w.$]*)\s*(?P<op>{_OPERATOR})(?:\s+|(?<=[=<>])\s*)(?P<value>.*?)\s*$",
    re.IGNORECASE,
)
SYNTAX = "write FIELD OPERATOR VALUE, e.g. 'Lead_Source in Web,Trade Show' or 'Modified_Time >= 2025-01-01'"


def parse_criterion(text: str) -> Criterion:
    """One ``FIELD OPERATOR VALUE`` argument; :class:`ConfigError` naming what is wrong with it."""
    match = _CRITERION.match(text)
    if match is None:
        raise ConfigError(f"--criteria {text!r}: {SYNTAX}; operators: {', '.join(sorted(SYMBOLS))}")
    op = " ".join(match["op"].lower().split())
    comparator = SYMBOLS.get(op, op)
    value = match["value"]
    if value == "":
        raise ConfigError(f"--criteria {text!r}: no value after {match['op']!r}")
    if comparator not in LISTS:
        return where(match["field"], comparator, value)
    values = [item.strip() for item in value.split(",")]
    if any(not item for item in values):
        raise ConfigError(f"--criteria {text!r}: an empty value in the comma-separated list")
    if comparator.endswith("between") and len(values) != 2:
        raise ConfigError(f"--criteria {text!r}: {op} takes two values, FROM,TO")
    return where(match["field"], comparator, values)


def parse_criteria(texts: Sequence[str]) -> Node | None:
    """All the arguments joined with ``and``; ``None`` when there are none."""
    if not texts:
        return None
    return all_of(*(parse_criterion(text) for text in texts))
