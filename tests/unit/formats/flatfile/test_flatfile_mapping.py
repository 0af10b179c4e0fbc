"""End to end: partner flat files through the mapping engine to canonical purchase orders that pass the schema."""

from __future__ import annotations

import json
import textwrap

import pytest

from gateway.canonical import validate_document
from gateway.config.yamlio import load_yaml
from gateway.errors import ConfigError
from gateway.formats.flatfile import FlatLayout, load_layout, read
from gateway.mapping.engine import InboundMapper
from gateway.mapping.spec import FlatSource, MappingSpec, SpecLibrary

ACME_CSV_SPEC = """\
# ACME header/detail CSV orders -> canonical purchase_order
description: ACME orders CSV (H header, D detail) to the canonical PurchaseOrder
document: purchase_order
direction: inbound
source:
  format: csv
  layout:
    records:
      - name: header
        match: {column: 1, equals: H}
        fields:
          - {name: po_number, column: 2}
          - {name: order_date, column: 3}
          - {name: currency, column: 4}
          - {name: ship_to, column: 5}
      - name: line
        match: {column: 1, equals: D}
        parent: header
        fields:
          - {name: line_number, column: 2}
          - {name: id_qualifier, column: 3}
          - {name: item_id, column: 4}
          - {name: quantity, column: 5}
          - {name: unit, column: 6}
          - {name: price, column: 7}
          - {name: description, column: 8}
fields:
  po_number: {path: po_number, required: true}
  order_date: {path: order_date, type: date, format: CCYYMMDD, required: true}
  currency: currency
  parties:
    each: header
    fields:
      role: {const: ship_to}
      name: ship_to
  lines:
    each: header/line
    required: true
    fields:
      line_number: {path: line_number, required: true}
      quantity:
        fields:
          value: {path: quantity, type: decimal, required: true}
          unit: {path: unit, default: EA}
      unit_price:
        fields:
          amount: {path: price, type: decimal}
      identifiers:
        pairs: [[id_qualifier, item_id]]
        table: product_id_type
      description: description
  line_count: {count: header/line}
tables:
  product_id_type: {VN: vendor_part, UP: upc, BP: buyer_part, "*": other}
"""

ACME_ORDERS_CSV = """\
H,PO-1001,20240105,USD,ACME DC RENO
D,1,VN,SKU-A,10,EA,2.50,Blue widget
D,2,UP,012345678905,5,CA,11.00,"Widgets, case of 12"
H,PO-1002,20240106,USD,ACME STORE 7
D,1,VN,SKU-C,1,,99.99,Gadget
"""

EXPECTED_PO_1001 = {
    "schema_version": "1.0",
    "document_type": "purchase_order",
    "po_number": "PO-1001",
    "order_date": "2024-01-05",
    "currency": "USD",
    "parties": [{"role": "ship_to", "name": "ACME DC RENO"}],
    "lines": [
        {"line_number": "1", "quantity": {"value": "10", "unit": "EA"}, "unit_price": {"amount": "2.5"},
         "identifiers": [{"type": "vendor_part", "value": "SKU-A", "qualifier": "VN"}], "description": "Blue widget"},
        {"line_number": "2", "quantity": {"value": "5", "unit": "CA"}, "unit_price": {"amount": "11"},
         "identifiers": [{"type": "upc", "value": "012345678905", "qualifier": "UP"}], "description": "Widgets, case of 12"},
    ],
    "line_count": 2,
}


@pytest.fixture
def library(tmp_path) -> SpecLibrary:
    spec = tmp_path / "mappings" / "acme" / "orders-csv-in.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(ACME_CSV_SPEC, encoding="utf-8")
    return SpecLibrary([tmp_path / "mappings"])


def layout_of(library: SpecLibrary, name: str) -> FlatLayout:
    """The spec's flat layout, with any problem at the spec's file:line (read from the YAML, which keeps lines)."""
    source = load_yaml(library.path_of(name))
    return load_layout(source.data["source"]["layout"], source, format=source.data["source"]["format"], at=("source", "layout"))


def test_csv_orders_map_to_valid_canonical_purchase_orders(library, write):
    spec = library.get("acme/orders-csv-in")
    path = write("acme_orders_two_pos.csv", ACME_ORDERS_CSV)
    layout = load_layout(spec.source, str(library.path_of(spec.name)))  # source: {format: csv, layout: ...}
    roots = read(layout, path.read_bytes(), path.name)
    mapper = InboundMapper(spec)
    results = [mapper.map(root) for root in roots]
    assert [issues for _, issues in results] == [[], []]
    docs = [doc for doc, _ in results]
    assert docs[0] == EXPECTED_PO_1001
    assert docs[1]["lines"][0]["quantity"] == {"value": "1", "unit": "EA"}  # the default unit
    for doc in docs:
        assert validate_document(doc) == []


def test_mapping_issues_point_at_the_file_line(library, write):
    bad = "H,PO-1003,2024-13-45,USD,X\nD,1,VN,SKU-A,10,EA,2.50,ok\nD,2,VN,SKU-B,,EA,1.00,no quantity\n"
    path = write("bad_date_and_missing_quantity.csv", bad)
    (root,) = read(layout_of(library, "acme/orders-csv-in"), path.read_bytes(), path.name)
    doc, issues = InboundMapper(library.get("acme/orders-csv-in")).map(root)
    assert [(i.code, i.field, i.source) for i in issues] == [
        ("mapping.bad_value", "/order_date", "bad_date_and_missing_quantity.csv line 1"),
        ("mapping.required_missing", "/lines/1/quantity/value", "bad_date_and_missing_quantity.csv line 3"),
    ]
    assert validate_document(doc) != []  # the gateway would quarantine this one


def test_a_spec_layout_problem_names_the_spec_file_and_line(tmp_path):
    spec = tmp_path / "mappings" / "acme" / "orders-csv-in.yaml"
    spec.parent.mkdir(parents=True)
    spec.write_text(ACME_CSV_SPEC.replace("parent: header", "parent: heder"), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        layout_of(SpecLibrary([tmp_path / "mappings"]), "acme/orders-csv-in")
    assert err.value.problems == [f"{spec}:18: records/1/parent: no record type 'heder' (known: header, line)"]


def test_a_loaded_spec_keeps_its_flat_source(library):
    spec = library.get("acme/orders-csv-in")
    assert isinstance(spec.source, FlatSource)
    layout = load_layout(spec.source, str(library.path_of(spec.name)))
    assert layout.to_data() == layout_of(library, spec.name).to_data()


# -- one order, four formats, one canonical document --------------------------------------------------

LINE_FIELDS = {
    "line_number": {"path": "line_number", "transform": ["strip_zeros"], "required": True},
    "quantity": {"fields": {"value": {"path": "quantity", "type": "decimal", "required": True}, "unit": {"path": "unit", "default": "EA"}}},
    "unit_price": {"fields": {"amount": {"path": "price", "type": "decimal"}}},
    "identifiers": {"pairs": [["id_qualifier", "item_id"]], "table": "product_id_type"},
}
TABLES = {"product_id_type": {"VN": "vendor_part", "UP": "upc"}}


def spec_for(lines: str, **header: str) -> MappingSpec:
    """A tiny inbound spec built as data: header paths by canonical field, lines from ``each: lines``."""
    fields: dict = {
        "po_number": {"path": header["po_number"], "required": True},
        "order_date": {"path": header["order_date"], "type": "date", "required": True},
        "lines": {"each": lines, "required": True, "fields": LINE_FIELDS},
    }
    return MappingSpec.from_data({"document": "purchase_order", "direction": "inbound", "fields": fields, "tables": TABLES})


FORMATS = {
    "csv_header_detail": (
        {"format": "csv", "records": [
            {"name": "header", "match": {"column": 1, "equals": "H"}, "fields": [{"name": "po", "column": 2}, {"name": "date", "column": 3}]},
            {"name": "line", "match": {"column": 1, "equals": "D"}, "parent": "header", "fields": [
                {"name": "line_number", "column": 2}, {"name": "id_qualifier", "column": 3}, {"name": "item_id", "column": 4},
                {"name": "quantity", "column": 5}, {"name": "unit", "column": 6}, {"name": "price", "column": 7}]},
        ]},
        "order.csv", "H,PO-7,20240105\nD,1,VN,SKU-A,10,EA,2.50\nD,2,UP,012345678905,5,CA,11\n",
        spec_for("header/line", po_number="po", order_date="date"),
    ),
    "csv_grouped_rows": (
        {"format": "csv", "csv": {"header": True}, "group_by": "po", "records": [{"name": "line", "fields": [
            {"name": "po", "column": "PO"}, {"name": "date", "column": "Date"}, {"name": "line_number", "column": "Line"},
            {"name": "id_qualifier", "column": "Qual"}, {"name": "item_id", "column": "Item"}, {"name": "quantity", "column": "Qty"},
            {"name": "unit", "column": "UOM"}, {"name": "price", "column": "Price"}]}]},
        "order_rows.csv",
        "PO,Date,Line,Qual,Item,Qty,UOM,Price\nPO-7,20240105,1,VN,SKU-A,10,EA,2.50\nPO-7,20240105,2,UP,012345678905,5,CA,11\n",
        spec_for("line", po_number="po", order_date="date"),
    ),
    "fixed_width": (
        {"format": "fixed", "records": [
            {"name": "header", "match": {"start": 1, "length": 1, "equals": "H"},
             "fields": [{"name": "po", "start": 2, "length": 8}, {"name": "date", "start": 10, "length": 8}]},
            {"name": "line", "match": {"start": 1, "length": 1, "equals": "D"}, "parent": "header", "fields": [
                {"name": "line_number", "start": 2, "length": 3}, {"name": "id_qualifier", "start": 5, "length": 2},
                {"name": "item_id", "start": 7, "length": 14}, {"name": "quantity", "start": 21, "length": 5},
                {"name": "unit", "start": 26, "length": 2}, {"name": "price", "start": 28, "length": 8}]},
        ]},
        "order.txt",
        ("HPO-7    20240105\n"
        "D001VNSKU-A         00010EA00002.50\n"
        "D002UP012345678905  00005CA00011.00\n"),
        spec_for("header/line", po_number="po", order_date="date"),
    ),
    "json": (
        {"format": "json", "document": "orders"},
        "orders.json",
        json.dumps({"orders": [{"po": "PO-7", "date": "2024-01-05", "lines": [
            {"line_number": 1, "id_qualifier": "VN", "item_id": "SKU-A", "quantity": 10, "unit": "EA", "price": 2.50},
            {"line_number": 2, "id_qualifier": "UP", "item_id": "012345678905", "quantity": 5, "unit": "CA", "price": 11}]}]}),
        spec_for("lines", po_number="po", order_date="date"),
    ),
    "xml": (
        {"format": "xml", "document": "Order"},
        "orders.xml",
        textwrap.dedent("""\
            <Orders xmlns="urn:acme">
              <Order po="PO-7" date="2024-01-05">
                <Line n="1"><Item qual="VN">SKU-A</Item><Qty uom="EA">10</Qty><Price>2.50</Price></Line>
                <Line n="2"><Item qual="UP">012345678905</Item><Qty uom="CA">5</Qty><Price>11</Price></Line>
              </Order>
            </Orders>"""),
        MappingSpec.from_data({"document": "purchase_order", "direction": "inbound", "tables": TABLES, "fields": {
            "po_number": {"path": "@po", "required": True},
            "order_date": {"path": "@date", "type": "date", "required": True},
            "lines": {"each": "Line", "required": True, "fields": {
                "line_number": "@n",
                "quantity": {"fields": {"value": {"path": "Qty", "type": "decimal"}, "unit": "Qty/@uom"}},
                "unit_price": {"fields": {"amount": {"path": "Price", "type": "decimal"}}},
                "identifiers": {"pairs": [["Item/@qual", "Item"]], "table": "product_id_type"},
            }},
        }}),
    ),
}

CANONICAL_PO_7 = {
    "schema_version": "1.0",
    "document_type": "purchase_order",
    "po_number": "PO-7",
    "order_date": "2024-01-05",
    "lines": [
        {"line_number": "1", "quantity": {"value": "10", "unit": "EA"}, "unit_price": {"amount": "2.5"},
         "identifiers": [{"type": "vendor_part", "value": "SKU-A", "qualifier": "VN"}]},
        {"line_number": "2", "quantity": {"value": "5", "unit": "CA"}, "unit_price": {"amount": "11"},
         "identifiers": [{"type": "upc", "value": "012345678905", "qualifier": "UP"}]},
    ],
}


@pytest.mark.parametrize("scenario", list(FORMATS))
def test_one_order_in_every_format_maps_to_the_same_canonical_document(write, scenario):
    layout, name, content, spec = FORMATS[scenario]
    path = write(name, content)
    (root,) = read(load_layout(layout, "layout"), path.read_bytes(), path.name)
    doc, issues = InboundMapper(spec).map(root)
    assert issues == []
    assert doc == CANONICAL_PO_7
    assert validate_document(doc) == []
