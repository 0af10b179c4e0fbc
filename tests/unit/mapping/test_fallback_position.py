"""``fallback: position``: a line number the partner left out is the line's place in its list, with a warning."""

from __future__ import annotations

import pytest

from gateway.mapping.engine import InboundMapper
from gateway.mapping.nodes import DataNode
from gateway.mapping.spec import MappingSpec


def mapper(line_number: dict, **extra_line_fields) -> InboundMapper:
    fields = {
        "po_number": "po",
        "lines": {"each": "line", "fields": {"line_number": line_number, "quantity": {"fields": {"value": "qty"}}, **extra_line_fields}},
    }
    return InboundMapper(MappingSpec.from_data({"document": "purchase_order", "direction": "inbound", "fields": fields}))


ORDER = DataNode("order", {"po": "PO-1", "line": [{"number": "10", "qty": "1"}, {"qty": "2"}, {"qty": "3"}]}, "order")


def test_lines_without_a_number_are_numbered_by_position_and_each_gets_a_warning():
    doc, issues = mapper({"path": "number", "fallback": "position"}).map(ORDER)
    assert [line["line_number"] for line in doc["lines"]] == ["10", "2", "3"]  # a number sent is kept
    assert [(i.code, i.severity, i.field, i.source) for i in issues] == [
        ("mapping.derived", "warning", "/lines/1/line_number", "order/line[1]"),
        ("mapping.derived", "warning", "/lines/2/line_number", "order/line[2]"),
    ]
    assert issues[0].message == "number is absent: line_number '2' is derived from the item's position in lines"


def test_an_integer_field_gets_the_position_as_a_number():
    doc, _ = mapper({"path": "number", "type": "integer", "fallback": "position"}).map(ORDER)
    assert [line["line_number"] for line in doc["lines"]] == [10, 2, 3]


def test_the_position_is_the_innermost_list_s_even_inside_a_nested_object():
    doc, issues = mapper({"path": "number", "fallback": "position"},
                         detail={"fields": {"sequence": {"path": "seq", "fallback": "position"}}}).map(ORDER)
    assert [line["detail"]["sequence"] for line in doc["lines"]] == ["1", "2", "3"]
    assert "/lines/0/detail/sequence" in [i.field for i in issues]


def test_without_fallback_a_required_line_number_that_is_absent_is_still_an_error():
    _, issues = mapper({"path": "number", "required": True}).map(ORDER)
    assert [(i.code, i.severity) for i in issues] == [("mapping.required_missing", "error")] * 2


@pytest.mark.parametrize("rule, problem", [
    ({"path": "number", "fallback": "position", "default": "1"}, "fallback and default exclude each other"),
    ({"path": "number", "type": "date", "fallback": "position"}, "fallback: position gives a number, not a date"),
])
def test_a_fallback_the_engine_cannot_honour_is_a_spec_error(rule, problem):
    doc, issues = mapper(rule).map(ORDER)
    assert ("mapping.bad_path", problem) in [(i.code, i.message) for i in issues]


def test_a_fallback_outside_a_list_is_a_spec_error():
    spec = MappingSpec.from_data({"document": "purchase_order", "direction": "inbound",
                                  "fields": {"po_number": {"path": "po", "fallback": "position"}}})
    _, issues = InboundMapper(spec).map(ORDER)
    assert [(i.code, i.field, i.message) for i in issues] == [
        ("mapping.bad_path", "/po_number", "fallback: position needs a field of an item of a list (each)")]


def test_an_unknown_fallback_is_refused_when_the_spec_loads():
    from gateway.errors import ConfigError

    with pytest.raises(ConfigError, match="fallback"):
        mapper({"path": "number", "fallback": "sequence"})
