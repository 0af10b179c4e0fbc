"""Fixed-width files into record trees: slices by position, short lines, match by position or field."""

from __future__ import annotations

import pytest

from gateway.errors import FlatFileError
from gateway.mapping.paths import parse

#            1         2         3
#   123456789012345678901234567890123
LAYOUT = {
    "format": "fixed",
    "records": [
        {"name": "header", "match": {"start": 1, "length": 2, "equals": "HD"}, "fields": [
            {"name": "po_number", "start": 3, "length": 10},
            {"name": "order_date", "start": 13, "length": 8},
            {"name": "currency", "start": 21, "length": 3},
        ]},
        {"name": "line", "match": {"start": 1, "length": 2, "equals": "LN"}, "parent": "header", "fields": [
            {"name": "line_number", "start": 3, "length": 4},
            {"name": "sku", "start": 7, "length": 12},
            {"name": "quantity", "start": 19, "length": 7},
            {"name": "unit", "start": 26, "length": 2},
        ]},
    ],
}

HEADER_DETAIL_TWO_ORDERS = (
    "HDPO-1001   20240105USD\r\n"
    "LN0001SKU-A       0000010EA\r\n"
    "LN0002SKU-B       0000005CA\r\n"
    "HDPO-1002   20240106EUR\r\n"
    "LN0001SKU-C       0000001EA\r\n"
)


def test_header_detail_fixed_width(write, read_file):
    docs = read_file(LAYOUT, write("header_detail_two_orders.txt", HEADER_DETAIL_TWO_ORDERS))
    assert [(d.value("po_number"), d.value("order_date"), d.value("currency")) for d in docs] == [
        ("PO-1001", "20240105", "USD"), ("PO-1002", "20240106", "EUR")]
    lines = docs[0].children("header")[0].children("line")
    assert [(x.value("line_number"), x.value("sku"), x.value("quantity"), x.value("unit")) for x in lines] == [
        ("0001", "SKU-A", "0000010", "EA"), ("0002", "SKU-B", "0000005", "CA")]
    assert [x.where for x in lines] == ["header_detail_two_orders.txt line 2", "header_detail_two_orders.txt line 3"]
    assert parse("header/line[unit=CA]/sku").value(docs[0]) == "SKU-B"


def test_lines_shorter_than_a_field_give_short_or_empty_values(write, read_file):
    docs = read_file(LAYOUT, write("trailing_spaces_trimmed_by_sender.txt", "HDPO-1\nLN0001SKU-A\n"))
    assert (docs[0].value("po_number"), docs[0].value("order_date")) == ("PO-1", "")
    line = docs[0].children("header")[0].children("line")[0]
    assert (line.value("sku"), line.value("quantity")) == ("SKU-A", "")


def test_strip_false_keeps_the_padding(write, read_file):
    layout = {"format": "fixed", "records": [{"name": "row", "fields": [{"name": "code", "start": 1, "length": 5, "strip": False}]}]}
    docs = read_file(layout, write("padded_code.txt", "AB   \n CD\n"))
    assert [d.value("code") for d in docs] == ["AB   ", " CD"]


def test_match_by_a_field_and_a_catch_all_last(write, read_file):
    layout = {"format": "fixed", "records": [
        {"name": "header", "match": {"field": "kind", "equals": ["H", "HDR"]},
         "fields": [{"name": "kind", "start": 1, "length": 3}, {"name": "po_number", "start": 4, "length": 6}]},
        {"name": "line", "parent": "header", "fields": [{"name": "sku", "start": 4, "length": 6}]},
    ]}
    docs = read_file(layout, write("match_by_field_catch_all_lines.txt", "H  PO-1  \n   SKU-A \nHDRPO-2  \n   SKU-B \n"))
    assert [(d.value("po_number"), [x.value("sku") for x in d.children("header")[0].children("line")]) for d in docs] == [
        ("PO-1", ["SKU-A"]), ("PO-2", ["SKU-B"])]


def test_positions_count_decoded_characters(write, read_file):
    layout = {"format": "fixed", "records": [
        {"name": "row", "fields": [{"name": "city", "start": 1, "length": 7}, {"name": "zip", "start": 8, "length": 5}]}]}
    docs = read_file(layout, write("utf8_city_names.txt", "M\u00fcnchen80331\n"))  # \u00fc is two bytes in utf-8
    assert (docs[0].value("city"), docs[0].value("zip")) == ("M\u00fcnchen", "80331")


def test_blank_lines_are_skipped(write, read_file):
    docs = read_file(LAYOUT, write("blank_lines_between_orders.txt", "HDPO-1\n\n   \nLN0001SKU-A\n"))
    assert docs[0].children("header")[0].children("line")[0].where == "blank_lines_between_orders.txt line 4"


FAILURES = [  # (file named after the failure, content, expected message)
    ("line_of_unknown_record_type.txt", "HDPO-1\nZZjunk\n",
     "line_of_unknown_record_type.txt line 2: matches no record type: found 'ZZ' in positions 1-2 (expected HD (header), LN (line))"),
    ("detail_before_any_header.txt", "LN0001SKU-A\n",
     "detail_before_any_header.txt line 1: a 'line' record comes before any 'header' record it could nest under"),
    ("undecodable_bytes.txt", b"HDPO-1\nLN0001SKU-\xe9\n",
     "undecodable_bytes.txt line 2: cannot decode as utf-8: byte 0xe9 at offset 17"),
]


@pytest.mark.parametrize(("name", "content", "expected"), FAILURES, ids=[f[0] for f in FAILURES])
def test_failure_gives_a_clear_message(write, read_file, name, content, expected):
    with pytest.raises(FlatFileError) as err:
        read_file(LAYOUT, write(name, content))
    assert str(err.value).startswith(expected)
