"""JSON into node trees: one ``JsonNode`` per document object the layout's ``document`` path selects.

Numbers keep the text the partner wrote (``10.50`` stays ``10.50``); ``NaN``
and ``Infinity`` are refused. ``document`` is ``.`` (the whole file) or keys
separated by ``/``; a list on the way gives one document per item.
"""

from __future__ import annotations

import json
from typing import Any

from ...mapping.nodes import DataNode
from .layout import FlatLayout
from .text import decode, fail


class JsonNode(DataNode):
    """A ``DataNode`` whose ``where`` names the file, and whose lists of scalars are children too.

    ``children("notes")`` of ``{"notes": ["a", "b"]}`` gives two nodes whose
    ``value(".")`` is the text, so ``collect: notes/.`` reads them all.
    """

    __slots__ = ("file",)

    def __init__(self, name: str, data: object, file: str, pointer: str = "") -> None:
        super().__init__(name, data, pointer)
        self.file = file

    @property
    def where(self) -> str:
        return f"{self.file} {self._where or '/'}"

    def children(self, name: str | None = None) -> list[JsonNode]:  # type: ignore[override]
        d = self.data
        if not isinstance(d, dict):
            return []
        out: list[JsonNode] = []
        for k in [name] if name is not None else list(d):
            v = d.get(k)
            if isinstance(v, list):
                out += [JsonNode(k, item, self.file, f"{self._where}/{k}[{i}]") for i, item in enumerate(v)
                        if item is not None and not isinstance(item, list)]
            elif isinstance(v, dict):
                out.append(JsonNode(k, v, self.file, f"{self._where}/{k}"))
        return out

    def __repr__(self) -> str:
        return f"<json {self.where}>"


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def read_json(layout: FlatLayout, data: bytes, name: str) -> list[JsonNode]:
    text = decode(data, layout.encoding, name)
    try:
        doc = json.loads(text, parse_float=str, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise fail(name, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except ValueError as exc:
        raise fail(name, None, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise fail(name, None, "not valid JSON: nested too deeply") from None
    path = (layout.document or ".").strip("/") or "."
    keys = [] if path == "." else path.split("/")
    found: list[tuple[str, Any]] = [("", doc)]
    for key in keys:
        nxt: list[tuple[str, Any]] = []
        for pointer, value in _items(found):
            if not isinstance(value, dict):
                raise fail(name, None, f"document path {path!r}: expected an object with key {key!r}, found "
                                       f"{_kind(value)}", at=pointer or "/")
            if key not in value:
                raise fail(name, None, f"document path {path!r}: no key {key!r}", at=pointer or "/")
            nxt.append((f"{pointer}/{key}", value[key]))
        found = nxt
    node_name = keys[-1] if keys else "document"
    out = []
    for pointer, value in _items(found):
        if not isinstance(value, dict):
            raise fail(name, None, f"a document must be a JSON object, found {_kind(value)}", at=pointer or "/")
        out.append(JsonNode(node_name, value, name, pointer))
    return out


def _items(found: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Lists expanded into their items (``/orders[0]``, ...)."""
    out = []
    for pointer, value in found:
        if isinstance(value, list):
            out += [(f"{pointer}[{i}]" if pointer else f"[{i}]", item) for i, item in enumerate(value)]
        else:
            out.append((pointer, value))
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(type(value), "a number")
