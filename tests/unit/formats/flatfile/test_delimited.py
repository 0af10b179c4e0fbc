"""CSV files into record trees: header/detail, grouped rows, header names, quoting, encodings, failures."""

from __future__ import annotations

import copy

import pytest

from gateway.errors import FlatFileError, InputError
from gateway.formats.flatfile import load_layout
from gateway.mapping.nodes import Node
from gateway.mapping.paths import parse

HEADER_DETAIL = {
    "records": [
        {"name": "header", "match": {"column": 1, "equals": "H"},
         "fields": [{"name": "po_number", "column": 2}, {"name": "order_date", "column": 3}, {"name": "buyer", "column": 4}]},
        {"name": "line", "match": {"column": 1, "equals": "D"}, "parent": "header",
         "fields": [{"name": "line_number", "column": 2}, {"name": "sku", "column": 3}, {"name": "quantity", "column": 4},
                    {"name": "price", "column": 5}]},
    ]
}

HEADER_DETAIL_THREE_ORDERS = """\
H,PO-1001,20240105,ACME STORES
D,1,SKU-A,10,2.50
D,2,SKU-B,5,11.00
H,PO-1002,20240106,ACME STORES
D,1,SKU-C,1,99.99
H,PO-1003,20240107,"ACME, WEST"
D,1,SKU-A,3,2.50
D,2,SKU-D,7,0.10
D,3,SKU-E,2,5.00
"""


def csv_layout(extra: dict | None = None, **csv_options) -> dict:
    out = {"format": "csv", **copy.deepcopy(HEADER_DETAIL), **(extra or {})}
    if csv_options:
        out["csv"] = csv_options
    return out


def test_header_detail_with_several_orders(write, read_file):
    docs = read_file(csv_layout(), write("header_detail_three_orders.csv", HEADER_DETAIL_THREE_ORDERS))
    assert [d.value("po_number") for d in docs] == ["PO-1001", "PO-1002", "PO-1003"]
    assert all(isinstance(d, Node) for d in docs)
    first = docs[0]
    (header,) = first.children("header")
    assert header.value("order_date") == "20240105"
    assert [line.value("sku") for line in header.children("line")] == ["SKU-A", "SKU-B"]
    assert [len(d.children("header")[0].children("line")) for d in docs] == [2, 1, 3]
    assert docs[2].value("buyer") == "ACME, WEST"  # quoted delimiter
    assert first.children("line") == []  # lines nest under their header, not the document


def test_where_names_the_file_and_line(write, read_file):
    docs = read_file(csv_layout(), write("header_detail_three_orders.csv", HEADER_DETAIL_THREE_ORDERS))
    assert docs[1].where == "header_detail_three_orders.csv line 4"
    lines = docs[2].children("header")[0].children("line")
    assert [line.where for line in lines] == [f"header_detail_three_orders.csv line {n}" for n in (7, 8, 9)]


def test_mapping_paths_walk_the_tree(write, read_file):
    (doc, *_) = read_file(csv_layout(), write("header_detail_three_orders.csv", HEADER_DETAIL_THREE_ORDERS))
    assert parse("header/po_number").value(doc) == "PO-1001"
    assert parse("po_number").value(doc) == "PO-1001"  # the root answers for the document record
    assert parse("header/line[sku=SKU-B]/quantity").value(doc) == "5"
    assert parse("header/line/sku").values(doc) == ["SKU-A", "SKU-B"]
    assert len(parse("header/line", leaf=False).nodes(doc)) == 2


def test_single_record_type_grouped_by_po_number(write, read_file):
    layout = {
        "format": "csv",
        "csv": {"header": True},
        "group_by": "po_number",
        "records": [{"name": "line", "fields": [
            {"name": "po_number", "column": "PO Number"},
            {"name": "order_date", "column": "Order Date"},
            {"name": "line_number", "column": "Line"},
            {"name": "sku", "column": "SKU"},
            {"name": "quantity", "column": "Qty"},
        ]}],
    }
    path = write("one_row_per_line_grouped_by_po.csv", """\
PO Number,Order Date,Line,SKU,Qty
PO-1,2024-01-05,1,SKU-A,10
PO-1,2024-01-05,2,SKU-B,5
PO-2,2024-01-06,1,SKU-C,1
PO-1,2024-01-05,3,SKU-D,2
""")
    docs = read_file(layout, path)
    assert [d.value("po_number") for d in docs] == ["PO-1", "PO-2"]  # order of first appearance
    assert docs[0].value("line_number") == "1"  # the first row's fields are the document's
    assert [r.value("sku") for r in docs[0].children("line")] == ["SKU-A", "SKU-B", "SKU-D"]
    assert [r.where for r in docs[0].children("line")] == [f"one_row_per_line_grouped_by_po.csv line {n}" for n in (2, 3, 5)]
    assert docs[1].where == "one_row_per_line_grouped_by_po.csv line 4"


def test_header_row_columns_default_to_the_field_name(write, read_file):
    layout = {"format": "csv", "csv": {"header": True, "delimiter": ";"},
              "records": [{"name": "row", "fields": [{"name": "sku"}, {"name": "qty"}]}]}
    docs = read_file(layout, write("header_row_semicolons.csv", " qty ; sku \n3;A\n"))
    assert (docs[0].value("sku"), docs[0].value("qty")) == ("A", "3")


def test_without_a_header_row_fields_default_to_their_position(write, read_file):
    layout = {"format": "csv", "csv": {"delimiter": "\t"}, "records": [{"name": "row", "fields": [{"name": "sku"}, {"name": "qty"}]}]}
    docs = read_file(layout, write("tab_separated_positional.tsv", "A\t3\nB\t4\n"))
    assert [(d.value("sku"), d.value("qty")) for d in docs] == [("A", "3"), ("B", "4")]  # one document per row


def test_quoted_newlines_keep_line_numbers_right(write, read_file):
    text = 'H,PO-1,20240105,"ACME\nSTORES"\nD,1,"SKU ""A""",1,1\nD,2,SKU-B,1,1\n'
    docs = read_file(csv_layout(), write("quoted_newline_in_header.csv", text))
    header = docs[0].children("header")[0]
    assert header.value("buyer") == "ACME\nSTORES"
    assert [(line.value("sku"), line.where) for line in header.children("line")] == [
        ('SKU "A"', "quoted_newline_in_header.csv line 3"), ("SKU-B", "quoted_newline_in_header.csv line 4")]


def test_byte_order_mark_and_other_encodings(write, read_file):
    with_bom = read_file(csv_layout(), write("utf8_with_bom.csv", b"\xef\xbb\xbfH,PO-1,20240105,X\n"))
    assert with_bom[0].value("po_number") == "PO-1"
    latin = read_file(csv_layout({"encoding": "cp1252"}), write("cp1252_buyer_name.csv", "H,PO-2,20240105,Caf\u00e9 \u20ac\n".encode("cp1252")))
    assert latin[0].value("buyer") == "Caf\u00e9 \u20ac"


def test_blank_lines_and_crlf_are_skipped(write, read_file):
    docs = read_file(csv_layout(), write("blank_lines_crlf.csv", "\r\nH,PO-1,20240105,X\r\n\r\n , ,\r\nD,1,A,1,1\r\n"))
    assert docs[0].where == "blank_lines_crlf.csv line 2"
    assert docs[0].children("header")[0].children("line")[0].where == "blank_lines_crlf.csv line 5"


def test_strip_false_keeps_spaces(write, read_file):
    layout = {"format": "csv", "records": [{"name": "row", "fields": [{"name": "code", "column": 1, "strip": False}, {"name": "qty"}]}]}
    docs = read_file(layout, write("padded_codes.csv", " A ,  2 \n"))
    assert (docs[0].value("code"), docs[0].value("qty")) == (" A ", " 2 ".strip())


def test_short_rows_give_empty_values(write, read_file):
    docs = read_file(csv_layout(), write("short_header_row.csv", "H,PO-1\n"))
    assert docs[0].value("order_date") == ""
    assert parse("order_date").value(docs[0]) is None


def test_file_header_belongs_to_every_document_and_trailers_to_their_own(write, read_file):
    layout = {"format": "csv", "document": "header", "records": [
        {"name": "file_header", "match": {"column": 1, "equals": "FH"}, "fields": [{"name": "sender", "column": 2}]},
        {"name": "header", "match": {"column": 1, "equals": "H"}, "fields": [{"name": "po_number", "column": 2}]},
        {"name": "line", "match": {"column": 1, "equals": "D"}, "parent": "header", "fields": [{"name": "sku", "column": 2}]},
        {"name": "trailer", "match": {"column": 1, "equals": "T"}, "fields": [{"name": "lines", "column": 2}]},
    ]}
    docs = read_file(layout, write("file_header_and_trailers.csv", "FH,ACME\nH,PO-1\nD,A\nT,1\nH,PO-2\nD,B\nD,C\nT,2\n"))
    assert [d.value("po_number") for d in docs] == ["PO-1", "PO-2"]
    assert [parse("file_header/sender").value(d) for d in docs] == ["ACME", "ACME"]
    assert [parse("trailer/lines").value(d) for d in docs] == ["1", "2"]
    assert [c.name for c in docs[1].children()] == ["file_header", "header", "trailer"]


def test_three_levels_nest_under_the_most_recent_parent(write, read_file):
    layout = {"format": "csv", "records": [
        {"name": "header", "match": {"column": 1, "equals": "H"}, "fields": [{"name": "po_number", "column": 2}]},
        {"name": "line", "match": {"column": 1, "equals": "D"}, "parent": "header", "fields": [{"name": "sku", "column": 2}]},
        {"name": "schedule", "match": {"column": 1, "equals": "S"}, "parent": "line", "fields": [{"name": "date", "column": 2}]},
    ]}
    docs = read_file(layout, write("lines_with_delivery_schedules.csv", "H,PO-1\nD,A\nS,0105\nS,0112\nD,B\nS,0201\n"))
    lines = docs[0].children("header")[0].children("line")
    assert [[s.value("date") for s in line.children("schedule")] for line in lines] == [["0105", "0112"], ["0201"]]


def test_records_matched_by_one_of_several_values(write, read_file):
    layout = csv_layout()
    layout["records"][1]["match"] = {"column": 1, "equals": ["D", "DTL"]}
    docs = read_file(layout, write("two_detail_codes.csv", "H,PO-1\nD,1,A\nDTL,2,B\n"))
    assert len(docs[0].children("header")[0].children("line")) == 2


def test_empty_files_hold_no_documents(write, read_file):
    assert read_file(csv_layout(), write("empty.csv", b"")) == []
    header_only = {"format": "csv", "csv": {"header": True}, "records": [{"name": "row", "fields": [{"name": "sku"}]}]}
    assert read_file(header_only, write("header_row_only.csv", "sku\n")) == []


FAILURES = [  # (file named after the failure, content, layout changes, expected message)
    ("detail_before_any_header.csv", "D,1,SKU-A,1,1\nH,PO-1,20240105,X\n", {},
     "detail_before_any_header.csv line 1: a 'line' record comes before any 'header' record it could nest under"),
    ("line_of_unknown_record_type.csv", "H,PO-1,20240105,X\nD,1,A,1,1\nX,junk\n", {},
     "line_of_unknown_record_type.csv line 3: matches no record type: found 'X' in column 1 (expected H (header), D (line))"),
    ("unterminated_quote.csv", 'H,PO-1,20240105,X\nD,1,"SKU-A,1,1\n', {},
     "unterminated_quote.csv line 2: malformed CSV: unexpected end of data"),
    ("text_after_closing_quote.csv", 'H,"PO-1"x,20240105\n', {},
     "text_after_closing_quote.csv line 1: malformed CSV: ',' expected after '\"'"),
    ("undecodable_bytes.csv", b"H,PO-1,20240105,X\nD,1,SKU-\xff,1,1\n", {},
     "undecodable_bytes.csv line 2: cannot decode as utf-8: byte 0xff at offset 26 (invalid start byte)"),
    ("blank_line_kept_matches_nothing.csv", "H,PO-1\n\nD,1\n", {"csv": {"skip_blank_lines": False}},
     "blank_line_kept_matches_nothing.csv line 2: matches no record type: found '' in column 1"),
    ("header_row_lacks_a_column.csv", "PO,Qty\nPO-1,1\n",
     {"csv": {"header": True}, "records": [{"name": "row", "fields": [{"name": "po", "column": "PO"}, {"name": "sku", "column": "SKU"}]}]},
     "header_row_lacks_a_column.csv line 1: the header row has no column 'SKU' (record type 'row' needs it; found 'PO', 'Qty')"),
    ("group_by_value_missing.csv", "PO-1,A\n,B\n",
     {"group_by": "po", "records": [{"name": "row", "fields": [{"name": "po"}, {"name": "sku"}]}]},
     "group_by_value_missing.csv line 2: the group_by field 'po' is empty, so the row belongs to no document"),
    ("schedule_after_new_header_before_any_line.csv", "H,PO-1\nD,1\nH,PO-2\nX,0105\n",
     {"records": [
         {"name": "header", "match": {"column": 1, "equals": "H"}, "fields": []},
         {"name": "line", "match": {"column": 1, "equals": "D"}, "parent": "header", "fields": []},
         {"name": "sched", "match": {"column": 1, "equals": "X"}, "parent": "line", "fields": []},
     ]},
     ("schedule_after_new_header_before_any_line.csv line 4: a 'sched' record has no 'line' record to nest under in "
     "the document that starts at line 3")),
]


@pytest.mark.parametrize(("name", "content", "changes", "expected"), FAILURES, ids=[f[0] for f in FAILURES])
def test_failure_gives_a_clear_message(write, read_file, name, content, changes, expected):
    layout = load_layout(csv_layout(changes), "layout")
    with pytest.raises(FlatFileError) as err:
        read_file(layout, write(name, content))
    exc = err.value
    assert str(exc).startswith(expected)
    assert isinstance(exc, InputError) and exc.code == "flatfile.invalid" and not exc.retryable
    assert exc.file == name and exc.line == int(expected.split(" line ")[1].split(":")[0])
