"""``lint_spec``: a spec that loads but would fail on the first document, found before any document comes."""

from __future__ import annotations

import textwrap
from pathlib import Path

from helpers import ROOT

from gateway.formats.x12 import SpecLibrary as X12Library
from gateway.mapping.lint import lint_spec
from gateway.mapping.spec import SpecLibrary

X12 = X12Library()


def library(tmp_path: Path, name: str, text: str) -> tuple[SpecLibrary, Path]:
    path = tmp_path / "mappings" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return SpecLibrary([tmp_path / "mappings", ROOT / "mappings"]), path


def acme_855_out(tmp_path: Path, segments: str) -> tuple[SpecLibrary, Path]:
    """Acme's outbound 855, extending the default, with these ``segments`` (YAML list items)."""
    head = "extends: default/855-004010-out\ndocument: purchase_order_acknowledgment\ndirection: outbound\nsegments:\n"
    return library(tmp_path, "acme/855-004010-out", head + textwrap.indent(textwrap.dedent(segments), "  "))


def test_every_bundled_spec_is_clean():
    specs = SpecLibrary([ROOT / "mappings"])
    assert {name: lint_spec(specs, name, X12).problems for name in specs.names()} == {name: [] for name in specs.names()}


def test_outbound_segment_the_x12_spec_lacks_and_fields_the_canonical_document_lacks_are_reported(tmp_path):
    specs, path = acme_855_out(tmp_path, """\
        - BAK: ["00", {field: ack_typ}, {field: po_number}, {field: po_date, format: CCYYMMDD}]
        - XYZ: [a]
        - each: liness
          segments:
            - PO1: [{field: line_number}]
        - each: lines
          segments:
            - PO1: [{field: line_number}, [a, b]]
            - REF: [{field: "$parent.po_numbr"}, {field: "parties[role=ship_to].nam"}]
        """)
    shown = str(path)
    assert lint_spec(specs, "acme/855-004010-out", X12).problems == [
        f"{shown}:5: field path 'ack_typ': 'ack_typ' is not a field of the canonical purchase_order_acknowledgment here (did you mean 'ack_type'?)",
        f"{shown}:6: XYZ is not a segment of the X12 855 004010 spec",
        f"{shown}:7: field path 'liness': 'liness' is not a field of the canonical purchase_order_acknowledgment here (did you mean 'lines'?)",
        f"{shown}:12: PO102 is written as a composite, but it is a simple element in the X12 855 004010 spec",
        f"{shown}:13: field path '$parent.po_numbr': 'po_numbr' is not a field of the canonical purchase_order_acknowledgment here "
        "(did you mean 'po_number'?)",
        f"{shown}:13: field path 'parties[role=ship_to].nam': 'parties' is not a field of the canonical purchase_order_acknowledgment here "
        "(fields: description, identifiers, line_number, quantity, references, statuses, unit_price)",
    ]


def test_a_segment_with_more_elements_than_the_standard_is_reported(tmp_path):
    specs, path = acme_855_out(tmp_path, '- CUR: [SE, {field: currency}, "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""]\n')
    assert lint_spec(specs, "acme/855-004010-out", X12).problems == [f"{path}:5: CUR has 21 elements in the X12 855 004010 spec; 22 are written"]


def test_an_inherited_rule_is_reported_in_the_spec_that_wrote_it(tmp_path):
    def spec_850(name: str, parent: str, field: str) -> tuple[SpecLibrary, Path]:
        return library(tmp_path, name, f"extends: {parent}\ndocument: purchase_order\ndirection: inbound\nfields:\n  {field}\n")

    specs, parent = spec_850("shared/850-004010-in", "default/850-004010-in", "promotion: REF99")
    _, child = spec_850("acme/850-004010-in", "shared/850-004010-in", "contract: XYZ01")
    assert lint_spec(specs, "acme/850-004010-in", X12).problems == [
        f"{child}:5: path 'XYZ01': XYZ is not a segment or loop of the X12 850 004010 spec",
        f"{parent}:5: path 'REF99': REF has no element 99 in the X12 850 004010 spec (it has 4)",
    ]


def test_a_flat_file_spec_has_its_paths_parsed_and_fields_checked(tmp_path):
    specs, path = library(tmp_path, "shop/orders-csv-in", """\
        document: purchase_order
        direction: inbound
        source: {format: csv, layout: {records: [{name: row, fields: [{name: po}]}]}}
        fields:
          po_number: "po["
          po_numbr: po
        """)
    assert lint_spec(specs, "shop/orders-csv-in", X12).problems == [
        f"{path}:5: path 'po[': unbalanced brackets",
        f"{path}:6: 'po_numbr' is not a field of the canonical purchase_order here (did you mean 'po_number'?)",
    ]
