"""XML into node trees, parsed safely: no entities, no DTD loading, no network, no huge trees.

A DOCTYPE that declares entities (the XXE and "billion laughs" attacks) is
refused before parsing; the parser never resolves entities or loads DTDs
either way. Names are namespace-less local names, so ``po:Order`` and
``Order`` are both ``Order`` to mapping paths.

An ``XmlNode`` answers ``children(tag)`` with its child elements of that tag,
``value("@attr")`` with an attribute, ``value(".")`` with its text and
``value(tag)`` with the text of its first child element of that tag.
"""

from __future__ import annotations

from lxml import etree

from .layout import FlatLayout
from .text import fail

_ENTITY = "<!ENTITY"
_DOCTYPE = "<!DOCTYPE"
_SCAN_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _text(el: etree._Element) -> str:
    return "".join(el.itertext()).strip()


class XmlNode:
    """One element; ``where`` gives the file, source line and element path."""

    __slots__ = ("el", "file", "name")

    def __init__(self, el: etree._Element, file: str) -> None:
        self.name = _local(el)
        self.el = el
        self.file = file

    @property
    def where(self) -> str:
        return f"{self.file} line {self.el.sourceline} ({_path(self.el)})"

    def children(self, name: str | None = None) -> list[XmlNode]:
        kids = self.el.iterchildren(etree.Element) if name is None else self.el.iterchildren(f"{{*}}{name}")
        return [XmlNode(k, self.file) for k in kids]

    def value(self, key: str) -> str | None:
        if key == ".":
            return _text(self.el)
        if key.startswith("@"):
            attr = key[1:]
            v = self.el.get(attr)
            if v is None:
                v = next((val for k, val in self.el.attrib.items() if etree.QName(k).localname == attr), None)
            return v
        child = next(self.el.iterchildren(f"{{*}}{key}"), None)
        return None if child is None else _text(child)

    def __repr__(self) -> str:
        return f"<xml {self.where}>"


def _path(el: etree._Element) -> str:
    parts = []
    while el is not None:
        parent = el.getparent()
        name = _local(el)
        if parent is None:
            parts.append(name)
        else:
            same = list(parent.iterchildren(f"{{*}}{name}"))
            parts.append(f"{name}[{same.index(el) + 1}]")
        el = parent
    return "/" + "/".join(reversed(parts))


def _declares_entities(data: bytes) -> bool:
    for enc in _SCAN_ENCODINGS:
        if _DOCTYPE.encode(enc) in data and _ENTITY.encode(enc) in data:
            return True
    return False


def _refused(name: str):
    return fail(name, None, "XML with a DOCTYPE declaring entities is refused (external entities and entity "
                            "expansion are attack vectors: XXE, billion laughs); ask the partner to send plain XML")


def parser(encoding: str | None = None) -> etree.XMLParser:
    """The only parser used on partner XML."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        encoding=encoding,
    )


def read_xml(layout: FlatLayout, data: bytes, name: str) -> list[XmlNode]:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"flat file readers take bytes, got {type(data).__name__}")
    data = bytes(data)
    if _declares_entities(data):
        raise _refused(name)
    try:
        root = etree.fromstring(data, parser(layout.encoding))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise fail(name, line, f"not well-formed XML: {exc.msg}") from None
    except (ValueError, LookupError) as exc:
        raise fail(name, None, f"not readable XML: {exc}") from None
    if root is None:
        raise fail(name, None, "not well-formed XML: no root element")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise _refused(name)  # an encoding the byte scan does not know
    return [XmlNode(el, name) for el in _select(root, layout.document or ".", name)]


def _select(root: etree._Element, document: str, name: str) -> list[etree._Element]:
    if document == ".":
        return [root]
    steps = document.strip("/").split("/")
    if len(steps) == 1 and not document.startswith("/"):
        tag = steps[0]
        found = [el for el in root.iter(f"{{*}}{tag}")]
        return [el for el in found if not any(_local(a) == tag for a in el.iterancestors())]  # outermost only
    if _local(root) != steps[0]:
        raise fail(name, root.sourceline, f"document path {document!r}: the root element is {_local(root)!r}, "
                                          f"not {steps[0]!r}")
    current = [root]
    for step in steps[1:]:
        current = [k for el in current for k in el.iterchildren(f"{{*}}{step}")]
    return current
