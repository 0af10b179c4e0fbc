"""List-building rules on a partner CSV: ``each: "."``, literal qualifiers in ``pairs`` and ``derive``."""

from __future__ import annotations

import textwrap

from gateway.config.yamlio import load_yaml
from gateway.formats.flatfile import load_layout, read
from gateway.mapping.engine import InboundMapper
from gateway.mapping.spec import MappingSpec

SPEC = """\
document: purchase_order
direction: inbound
source:
  format: csv
  layout:
    csv: {header: true}
    group_by: po
    records: [{name: row, fields: [{name: po}, {name: date}, {name: store}, {name: need_by}, {name: line}, {name: item}, {name: qty}]}]
fields:
  po_number: po
  order_date: {path: date, type: date, format: CCYY-MM-DD}
  dates:
    each: "."
    where: {path: need_by, exists: true}
    fields:
      type: {const: requested_delivery}
      date: {path: need_by, type: date, format: CCYY-MM-DD}
  parties:
    each: "."
    fields:
      role: {const: ship_to}
      ids: {pairs: [["=92", store]], table: party_id}
  lines:
    each: row
    fields:
      line_number: line
      quantity: {fields: {value: {path: qty, type: decimal}}}
      identifiers:
        pairs: [["=IN", item]]
        table: product_id
        derive: [{of: buyer_part, xref: items, type: sku}]
tables:
  party_id: {"92": buyer_assigned}
  product_id: {IN: buyer_part}
"""

CSV = """\
po,date,store,need_by,line,item,qty
PO-1,2024-11-01,7,2024-11-09,1,A-100,5
PO-1,2024-11-01,7,2024-11-09,2,B-200,1
PO-2,2024-11-02,9,,1,Z-999,3
"""


def translate(tmp_path, xref):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(SPEC))
    spec = MappingSpec.load(load_yaml(path))
    mapper = InboundMapper(spec, xref=xref)
    return [mapper.map(root) for root in read(load_layout(spec.source), CSV.encode(), "orders.csv")]


def test_each_dot_makes_a_one_item_list_of_the_document_and_where_can_drop_it(tmp_path):
    (po1, _), (po2, _) = translate(tmp_path, {"items": {}})
    assert po1["dates"] == [{"type": "requested_delivery", "date": "2024-11-09"}]
    assert "dates" not in po2  # no need-by date on PO-2: the where filter removed the only item
    assert po1["parties"] == [{"role": "ship_to", "ids": [{"type": "buyer_assigned", "value": "7", "qualifier": "92"}]}]


def test_a_literal_qualifier_pairs_with_a_column_and_derive_adds_our_sku(tmp_path):
    (po1, issues1), (po2, issues2) = translate(tmp_path, {"items": {"A-100": "SKU-1", "B-200": "SKU-2"}})
    assert [line["identifiers"] for line in po1["lines"]] == [
        [{"type": "buyer_part", "value": "A-100", "qualifier": "IN"}, {"type": "sku", "value": "SKU-1"}],
        [{"type": "buyer_part", "value": "B-200", "qualifier": "IN"}, {"type": "sku", "value": "SKU-2"}],
    ]
    assert issues1 == []
    # an item missing from the cross-reference keeps the partner's number and is flagged, not dropped
    assert po2["lines"][0]["identifiers"] == [{"type": "buyer_part", "value": "Z-999", "qualifier": "IN"}]
    assert [(i.code, i.severity, i.field, i.source) for i in issues2] == [
        ("mapping.xref_missing", "warning", "/lines/0/identifiers/1", "orders.csv line 4")]


def test_derive_without_pairs_is_a_spec_problem(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(SPEC).replace('        pairs: [["=IN", item]]\n', "        path: item\n"))
    mapper = InboundMapper(MappingSpec.load(load_yaml(path)))
    assert [(i.code, i.field, i.message) for i in mapper._spec_issues] == [
        ("mapping.bad_path", "/lines/*/identifiers", "derive works with pairs only")]
