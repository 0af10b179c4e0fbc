"""``read``: a partner flat file's bytes into one root ``Node`` per document, by the layout's format."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ...mapping.nodes import Node
from .delimited import read_csv
from .fixed import read_fixed
from .jsondoc import read_json
from .layout import FlatLayout
from .xmldoc import read_xml

Reader = Callable[[FlatLayout, bytes, str], Sequence[Node]]

READERS: dict[str, Reader] = {"csv": read_csv, "fixed": read_fixed, "json": read_json, "xml": read_xml}


def read(layout: FlatLayout, data: bytes, name: str) -> list[Node]:
    """One root node per document in ``data`` (possibly none: an empty file has no documents).

    ``name`` is how messages and ``Node.where`` name the file (``orders.csv line 4``).
    Input that does not fit the layout raises ``gateway.errors.FlatFileError``.
    """
    return list(READERS[layout.format](layout, data, name))
