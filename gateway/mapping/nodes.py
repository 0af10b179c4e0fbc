"""The document tree that mapping paths walk.

Every source format (X12, CSV, fixed-width, JSON, XML) is presented as a tree
of ``Node``s. A node has a ``name`` (loop ID, segment ID, record type, element
or key name), ordered ``children``, and leaf ``value``s by key (element
reference such as ``BEG03``, field name, XML attribute ``@id`` or ``.`` for
text). Structure that only groups (X12 heading/detail/summary tables) is
transparent: its children appear as the parent's.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Node(Protocol):
    """Contract: ``children(name)`` returns direct children in document order,
    all of them when ``name`` is None; ``value(key)`` returns a leaf string or
    None when absent (never raises for an unknown key); ``where`` says where the
    node is in its source (for issues), e.g. ``segment 12 (byte 345)``."""

    name: str

    def children(self, name: str | None = None) -> list[Node]: ...

    def value(self, key: str) -> str | None: ...

    @property
    def where(self) -> str: ...


class DataNode:
    """A node over plain data (dicts, lists, scalars): JSON documents and records.

    ``children(name)`` of a dict: the value under ``name`` as node(s) (a list
    gives one node per item); ``value(key)``: a scalar under ``key`` as text.
    """

    __slots__ = ("_where", "data", "name")

    def __init__(self, name: str, data: object, where: str = "") -> None:
        self.name = name
        self.data = data
        self._where = where

    @property
    def where(self) -> str:
        return self._where

    def children(self, name: str | None = None) -> list[DataNode]:
        d = self.data
        if not isinstance(d, dict):
            return []
        keys = [name] if name is not None else list(d)
        out: list[DataNode] = []
        for k in keys:
            v = d.get(k)
            if isinstance(v, list):
                out += [DataNode(k, item, f"{self._where}/{k}[{i}]") for i, item in enumerate(v) if isinstance(item, dict)]
            elif isinstance(v, dict):
                out.append(DataNode(k, v, f"{self._where}/{k}"))
        return out

    def value(self, key: str) -> str | None:
        d = self.data
        if key == "." and not isinstance(d, (dict, list)):
            return None if d is None else _text(d)
        if not isinstance(d, dict):
            return None
        v = d.get(key)
        if v is None or isinstance(v, (dict, list)):
            return None
        return _text(v)


def _text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
