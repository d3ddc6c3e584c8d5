"""Chemical elements as users type them."""

from __future__ import annotations

import re

from ase.data import chemical_symbols

from reconstruction.errors import ScienceError

_KNOWN = frozenset(chemical_symbols[1:])


class UnknownElement(ScienceError, ValueError):
    """An element symbol that is not in the periodic table."""


def parse_elements(text: str | list[str] | tuple[str, ...]) -> list[str]:
    """Parse ``"Mo, S"`` / ``"Mo S"`` / ``["Mo", "S"]`` into unique symbols, order kept.

    Symbols are case-normalised (``"mo"`` -> ``"Mo"``). Raises UnknownElement naming every
    symbol that is not an element.
    """
    items = re.split(r"[\s,;]+", text) if isinstance(text, str) else list(text)
    symbols: list[str] = []
    unknown: list[str] = []
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        symbol = item[:1].upper() + item[1:].lower()
        if symbol not in _KNOWN:
            unknown.append(item)
        elif symbol not in symbols:
            symbols.append(symbol)
    if unknown:
        raise UnknownElement(
            "unknown element" + ("s " if len(unknown) > 1 else " ") + ", ".join(map(repr, unknown))
        )
    return symbols
