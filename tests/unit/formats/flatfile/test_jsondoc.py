"""JSON files into node trees: document paths, key-path ``where``, numbers kept as written, failures."""

from __future__ import annotations

import json

import pytest

from gateway.errors import FlatFileError
from gateway.mapping.paths import parse

ORDERS_ARRAY = {
    "sender": "ACME",
    "orders": [
        {"po_number": "PO-1", "order_date": "2024-01-05", "total": 27.50, "rush": True, "notes": ["dock 4", "call first"],
         "ship_to": {"name": "ACME DC", "address": {"city": "Reno"}},
         "lines": [{"line": 1, "sku": "SKU-A", "qty": 10, "price": 2.50}, {"line": 2, "sku": "SKU-B", "qty": 1, "price": 2.50}]},
        {"po_number": "PO-2", "order_date": "2024-01-06", "lines": [{"line": 1, "sku": "SKU-C", "qty": 3}]},
    ],
}


def test_orders_array_gives_one_document_per_order(write, read_file):
    docs = read_file({"format": "json", "document": "orders"}, write("orders_array.json", json.dumps(ORDERS_ARRAY, indent=2)))
    assert [d.value("po_number") for d in docs] == ["PO-1", "PO-2"]
    assert [d.name for d in docs] == ["orders", "orders"]
    first = docs[0]
    assert [x.value("sku") for x in first.children("lines")] == ["SKU-A", "SKU-B"]
    assert parse("ship_to/address/city").value(first) == "Reno"
    assert parse("lines[sku=SKU-B]/qty").value(first) == "1"
    assert first.value("rush") == "true"
    assert parse("notes/.").values(first) == ["dock 4", "call first"]  # a list of scalars is reachable
    assert first.value("lines") is None and first.value("missing") is None


def test_where_is_the_file_and_key_path(write, read_file):
    docs = read_file({"format": "json", "document": "orders"}, write("orders_array.json", json.dumps(ORDERS_ARRAY)))
    assert docs[1].where == "orders_array.json /orders[1]"
    assert docs[0].children("lines")[1].where == "orders_array.json /orders[0]/lines[1]"
    assert docs[0].children("ship_to")[0].children("address")[0].where == "orders_array.json /orders[0]/ship_to/address"


def test_numbers_keep_the_text_the_partner_wrote(write, read_file):
    docs = read_file({"format": "json"}, write("prices_with_trailing_zeros.json", '{"price": 10.50, "qty": 3, "big": 12345678901234567890.10}'))
    assert (docs[0].value("price"), docs[0].value("qty"), docs[0].value("big")) == ("10.50", "3", "12345678901234567890.10")


def test_whole_file_object_and_top_level_array(write, read_file):
    (whole,) = read_file({"format": "json"}, write("single_order.json", '\ufeff{"po_number": "PO-9"}'))
    assert (whole.name, whole.value("po_number"), whole.where) == ("document", "PO-9", "single_order.json /")
    items = read_file({"format": "json", "document": "."}, write("top_level_array.json", '[{"po_number": "A"}, {"po_number": "B"}]'))
    assert [d.value("po_number") for d in items] == ["A", "B"]
    assert items[1].where == "top_level_array.json [1]"


def test_nested_document_path(write, read_file):
    data = {"batch": {"id": "B1", "orders": [{"po_number": "PO-1"}]}}
    docs = read_file({"format": "json", "document": "/batch/orders"}, write("batch_envelope.json", json.dumps(data)))
    assert [(d.value("po_number"), d.where) for d in docs] == [("PO-1", "batch_envelope.json /batch/orders[0]")]


def test_an_empty_orders_list_holds_no_documents(write, read_file):
    assert read_file({"format": "json", "document": "orders"}, write("no_orders_today.json", '{"orders": []}')) == []


FAILURES = [  # (file named after the failure, content, document path, expected message)
    ("truncated_object.json", '{\n  "orders": [\n    {"po_number": "PO-1"\n', "orders",
     "truncated_object.json line 4: not valid JSON: Expecting ',' delimiter (column 1)"),
    ("document_is_a_string.json", '{"orders": ["PO-1"]}', "orders",
     "document_is_a_string.json /orders[0]: a document must be a JSON object, found a string"),
    ("document_key_missing.json", '{"order": []}', "orders",
     "document_key_missing.json /: document path 'orders': no key 'orders'"),
    ("path_through_a_number.json", '{"batch": 7}', "batch/orders",
     "path_through_a_number.json /batch: document path 'batch/orders': expected an object with key 'orders', found a number"),
    ("nan_is_not_json.json", '{"price": NaN}', ".",
     "nan_is_not_json.json: not valid JSON: NaN is not a JSON number"),
    ("nested_too_deeply.json", "[" * 100_000 + "]" * 100_000, ".",
     "nested_too_deeply.json: not valid JSON: nested too deeply"),
    ("undecodable_bytes.json", b'{"po_number": "PO-\xff"}', ".",
     "undecodable_bytes.json line 1: cannot decode as utf-8: byte 0xff"),
]


@pytest.mark.parametrize(("name", "content", "document", "expected"), FAILURES, ids=[f[0] for f in FAILURES])
def test_failure_gives_a_clear_message(write, read_file, name, content, document, expected):
    with pytest.raises(FlatFileError) as err:
        read_file({"format": "json", "document": document}, write(name, content))
    assert str(err.value).startswith(expected)
    assert err.value.code == "flatfile.invalid"
