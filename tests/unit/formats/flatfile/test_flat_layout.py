"""The typed layout model: defaults, unknown keys, sense checks, file:line problems."""

from __future__ import annotations

import textwrap

import pytest

from gateway.config.yamlio import load_yaml, parse_yaml
from gateway.errors import ConfigError
from gateway.formats.flatfile import FlatLayout, load_layout
from gateway.formats.flatfile import layout as layout_module
from gateway.mapping.spec import FlatSource

HEADER_DETAIL = {
    "records": [
        {"name": "header", "match": {"column": 1, "equals": "H"}, "fields": [{"name": "po_number", "column": 2}]},
        {"name": "line", "match": {"column": 1, "equals": "D"}, "parent": "header", "fields": [{"name": "sku", "column": 2}]},
    ]
}


def problems(text: str, name: str = "spec.yaml", format: str = "csv") -> list[str]:
    """The problems of the layout under ``source.layout`` in a spec-shaped YAML text."""
    source = parse_yaml(textwrap.dedent(text), name)
    with pytest.raises(ConfigError) as err:
        load_layout(source.data["source"]["layout"], source, format=format, at=("source", "layout"))
    return err.value.problems


def test_defaults_are_filled_in():
    layout = load_layout(HEADER_DETAIL, "layout", format="csv")
    assert layout.format == "csv"
    assert layout.encoding is None  # utf-8, BOM tolerated
    assert (layout.csv.delimiter, layout.csv.quote, layout.csv.header, layout.csv.skip_blank_lines) == (",", '"', False, True)
    assert layout.document_type().name == "header"  # the first record type
    assert [f.strip for f in layout.records[0].fields] == [True]
    assert layout.records[1].match.values() == frozenset({"D"})


def test_match_accepts_a_list_and_numbers():
    layout = FlatLayout.from_data({"format": "fixed", "records": [
        {"name": "header", "match": {"start": 1, "length": 2, "equals": [10, "HD"]}, "fields": []},
    ]})
    assert layout.records[0].match.values() == frozenset({"10", "HD"})


def test_the_module_docstring_example_is_a_valid_layout(tmp_path):
    example = layout_module.__doc__.split("::", 1)[1].split('"""')[0]
    spec = tmp_path / "example.yaml"
    spec.write_text("document: purchase_order\ndirection: inbound\n" + textwrap.dedent(example), encoding="utf-8")
    source = load_yaml(spec)
    layout = load_layout(source.data["source"]["layout"], source, format="csv", at=("source", "layout"))
    assert [r.name for r in layout.records] == ["header", "line"]
    assert layout.records[1].parent == "header"


def test_from_a_flat_source():
    layout = load_layout(FlatSource(format="csv", layout=HEADER_DETAIL), "mappings/acme/orders.yaml")
    assert layout.format == "csv" and len(layout.records) == 2


def test_unknown_keys_are_rejected_with_file_and_line():
    found = problems("""\
        source:
          format: csv
          layout:
            records:
              - name: header
                colour: blue
                fields: []
    """)
    assert found == ["spec.yaml:6: unknown key 'colour' (allowed: fields, match, name, parent)"]


def test_format_must_agree_with_the_source():
    found = problems("""\
        source:
          format: csv
          layout:
            format: fixed
            records: [{name: x, fields: []}]
    """)
    assert found == ["spec.yaml:4: format: the layout says 'fixed' but the source is 'csv'"]


def test_a_layout_is_a_mapping():
    with pytest.raises(ConfigError, match="a layout is a mapping, got list"):
        load_layout([1, 2], "spec.yaml", format="csv")  # type: ignore[arg-type]


LAYOUT_PROBLEMS = [  # (scenario, layout YAML, source format, expected problem)
    ("unknown_parent", """\
        records:
          - {name: header, match: {column: 1, equals: H}, fields: []}
          - name: line
            parent: hdr
            fields: []
     """, "csv", "spec.yaml:7: records/1/parent: no record type 'hdr' (known: header, line)"),
    ("parent_cycle", """\
        records:
          - {name: a, match: {column: 1, equals: A}, fields: []}
          - {name: b, parent: c, match: {column: 1, equals: B}, fields: []}
          - {name: c, parent: b, fields: []}
     """, "csv", "spec.yaml:6: records/1/parent: parents form a cycle through 'b'"),
    ("duplicate_record_type", """\
        records:
          - {name: line, match: {column: 1, equals: A}, fields: []}
          - {name: line, fields: []}
     """, "csv", "spec.yaml:6: records/1/name: record type 'line' is defined twice"),
    ("catch_all_record_type_not_last", """\
        records:
          - {name: any, fields: []}
          - {name: line, match: {column: 1, equals: D}, fields: []}
     """, "csv", "spec.yaml:5: records/0: record type 'any' has no match, so it takes every line"),
    ("document_type_unknown", """\
        document: order
        records: [{name: header, fields: []}]
     """, "csv", "spec.yaml:4: document: no record type 'order' (known: header)"),
    ("document_type_with_parent", """\
        document: line
        records:
          - {name: header, match: {column: 1, equals: H}, fields: []}
          - {name: line, parent: header, fields: []}
     """, "csv", "spec.yaml:4: document: the document record type 'line' cannot have a parent"),
    ("group_by_with_two_record_types", """\
        group_by: po
        records:
          - {name: a, match: {column: 1, equals: A}, fields: [{name: po}]}
          - {name: b, fields: []}
     """, "csv", "spec.yaml:4: group_by: group_by needs a single record type (found 2)"),
    ("group_by_unknown_field", """\
        group_by: po
        records: [{name: row, fields: [{name: po_number}]}]
     """, "csv", "spec.yaml:4: group_by: no field 'po' in record type 'row'"),
    ("duplicate_field", """\
        records:
          - name: row
            fields:
              - {name: sku, column: 1}
              - {name: sku, column: 2}
     """, "csv", "spec.yaml:8: records/0/fields/1/name: field 'sku' appears twice in record type 'row'"),
    ("field_name_reads_as_x12_element", """\
        records: [{name: row, fields: [{name: UPC12, column: 1}]}]
     """, "csv", "records/0/fields/0/name: field name 'UPC12' reads as an X12 element reference"),
    ("csv_column_name_without_header_row", """\
        records: [{name: row, fields: [{name: sku, column: SKU}]}]
     """, "csv", "records/0/fields/0/column: column 'SKU' is a header name, but csv.header is false"),
    ("csv_field_with_positions", """\
        records: [{name: row, fields: [{name: sku, start: 1, length: 3}]}]
     """, "csv", "records/0/fields/0: start and length are for fixed layouts"),
    ("csv_match_without_column", """\
        records: [{name: row, match: {equals: H}, fields: []}]
     """, "csv", "records/0/match: say where the value is: field, column (csv) or start and length (fixed)"),
    ("match_field_unknown", """\
        records: [{name: row, match: {field: kind, equals: H}, fields: [{name: sku, column: 1}]}]
     """, "csv", "records/0/match/field: no field 'kind' in record type 'row'"),
    ("fixed_field_without_length", """\
        records: [{name: row, fields: [{name: sku, start: 1}]}]
     """, "fixed", "records/0/fields/0: a fixed field needs start and length"),
    ("fixed_field_with_column", """\
        records: [{name: row, fields: [{name: sku, column: 1, start: 1, length: 2}]}]
     """, "fixed", "records/0/fields/0/column: column is for csv layouts"),
    ("fixed_with_csv_options", """\
        csv: {delimiter: ";"}
        records: [{name: row, fields: []}]
     """, "fixed", "spec.yaml:4: csv: applies to csv layouts, not fixed"),
    ("no_record_types", """\
        encoding: utf-8
     """, "csv", "spec.yaml:3: a csv layout needs at least one record type"),
    ("unknown_encoding", """\
        encoding: klingon-8
        records: [{name: row, fields: []}]
     """, "csv", "spec.yaml:4: encoding: unknown encoding 'klingon-8'"),
    ("json_with_records", """\
        records: [{name: row, fields: []}]
     """, "json", "records: applies to csv and fixed layouts, not json"),
    ("xml_document_path_unreadable", """\
        document: "Orders//Order"
     """, "xml", "spec.yaml:4: document: 'Orders//Order' is not '.', a tag or a path of them separated by '/'"),
    ("delimiter_of_two_characters", """\
        csv: {delimiter: ";;"}
        records: [{name: row, fields: []}]
     """, "csv", "spec.yaml:4: csv/delimiter: ';;' is too long"),
    ("delimiter_same_as_quote", """\
        csv: {delimiter: '"'}
        records: [{name: row, fields: []}]
     """, "csv", "spec.yaml:4: csv/delimiter: '\"' cannot separate cells (a line break, or the quote)"),
    ("negative_column", """\
        records: [{name: row, fields: [{name: sku, column: 0}]}]
     """, "csv", "0 is less than the minimum of 1"),
    ("field_name_not_a_path_step", """\
        records: [{name: row, fields: [{name: "PO Number", column: 1}]}]
     """, "csv", "'PO Number' does not match"),
]


@pytest.mark.parametrize(("yaml", "fmt", "expected"), [c[1:] for c in LAYOUT_PROBLEMS], ids=[c[0] for c in LAYOUT_PROBLEMS])
def test_layout_problem(yaml, fmt, expected):
    body = textwrap.indent(textwrap.dedent(yaml), "    ")
    found = problems(f"source:\n  format: {fmt}\n  layout:\n{body}", format=fmt)
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once():
    found = problems("""\
        source:
          format: csv
          layout:
            records:
              - {name: header, parent: nowhere, match: {column: 1, equals: H}, fields: [{name: a, column: x}]}
              - {name: header, fields: []}
    """)
    assert found == [
        "spec.yaml:5: records/0/parent: no record type 'nowhere' (known: header)",
        ("spec.yaml:5: records/0/fields/0/column: column 'x' is a header name, but csv.header is false "
        "(give a 1-based number, or set header: true)"),
        "spec.yaml:6: records/1/name: record type 'header' is defined twice",
        "spec.yaml:5: records/0/parent: the document record type 'header' cannot have a parent",
    ]


def test_json_schema_rejects_unknown_keys_everywhere():
    schema = FlatLayout.json_schema()
    assert schema["additionalProperties"] is False
    assert all(d["additionalProperties"] is False for d in schema["$defs"].values())
    assert set(schema["$defs"]) == {"CsvOptions", "FieldDef", "Match", "RecordType"}
