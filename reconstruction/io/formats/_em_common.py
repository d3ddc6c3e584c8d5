"""Helpers shared by the electron-microscopy format modules (``dm``, ``emd``, ``ser``).

:func:`decoding` turns what a decoder raises on a damaged file into :class:`CorruptFile`
with a short reason; :func:`bounded_metadata` makes a metadata tree JSON-safe and keeps it
under a size a database row can hold.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import CorruptFile, IngestError
from ..metadata import json_safe

#: Largest metadata kept per file [bytes of JSON]; the heaviest subtrees are dropped.
MAX_METADATA_BYTES = 100_000

#: What decoders raise on truncated or malformed input; callers add library-specific
#: exception types (rosettasciio's DM reader raises plain ``Exception`` subclasses).
DECODER_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    NotImplementedError,
    struct.error,
)


@contextmanager
def decoding(path: Path, what: str, extra: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Re-raise decoder failures inside the block as :class:`CorruptFile`.

    Parameters
    ----------
    path : Path
        The file being read (its name goes into the message).
    what : str
        The format as people call it (``"DM3/DM4"``, ``"Velox EMD"``...).
    extra : tuple of exception types
        Further exception types the decoder raises on bad input.
    """
    try:
        yield
    except IngestError:
        raise
    except (*DECODER_ERRORS, *extra) as exc:
        reason = str(exc).strip() or type(exc).__name__
        if len(reason) > 200:
            reason = reason[:200] + "..."
        raise CorruptFile(
            f"{path.name}: this {what} file could not be decoded (truncated or damaged?): {reason}"
        ) from exc


def bounded_metadata(tree: Any, *, max_bytes: int = MAX_METADATA_BYTES) -> dict[str, Any]:
    """Return ``tree`` as JSON-safe data no larger than ``max_bytes`` once serialised.

    The heaviest subtrees are replaced by ``"<dropped: N bytes>"``, one at a time,
    until the whole fits.
    """
    safe = json_safe(tree)
    if not isinstance(safe, dict):
        safe = {"value": safe}
    while _size(safe) > max_bytes:
        if not _drop_heaviest(safe):
            return {"dropped": f"<metadata too large: {_size(safe)} bytes>"}
    return safe


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def _drop_heaviest(tree: dict[str, Any]) -> bool:
    """Replace the heaviest subtree of ``tree`` by a marker; False when nothing is left.

    Descends while one child carries most of its parent's weight, so that a big array
    deep in a tag tree is dropped rather than the whole branch that holds it.
    """
    node: Any = tree
    while True:
        children = _children(node)
        if not children:
            return False
        key, child = max(children, key=lambda kv: _size(kv[1]))
        grandchildren = _children(child)
        if grandchildren and max(_size(v) for _, v in grandchildren) > 0.5 * _size(child):
            node = child
            continue
        if isinstance(child, str) and child.startswith("<dropped"):
            return False
        node[key] = f"<dropped: {_size(child)} bytes>"
        return True


def _children(node: Any) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        return list(node.items())
    if isinstance(node, list):
        return list(enumerate(node))
    return []


def unique_names(names: list[str]) -> list[str]:
    """Make repeated signal names distinct: ``["HAADF", "HAADF"]`` -> ``["HAADF", "HAADF #2"]``."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out


def no_image_message(file_name: str, held: list[str]) -> str:
    """The NotTwoDimensional message for a file whose signals are all left out."""
    if not held:
        return f"{file_name} holds no image (no signal found in it)"
    return f"{file_name} holds no 2D image or stack of images; it holds " + "; ".join(held)
