"""Round trips: whatever csv.writer or a fixed-width writer produces reads back to the same values and lines."""

from __future__ import annotations

import csv
import io
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.formats.flatfile import load_layout, read

# U+FEFF is left out: at the very start of a file it is a byte-order mark, which readers drop on purpose.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufeff"), max_size=12)

CSV_LAYOUT = load_layout({
    "format": "csv",
    "csv": {"skip_blank_lines": False},
    "records": [{"name": "row", "fields": [{"name": n, "strip": False} for n in ("a", "b", "c")]}],
}, "roundtrip")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(TEXT, TEXT, TEXT), min_size=1, max_size=8), st.sampled_from([",", ";", "\t", "|"]))
def test_csv_written_by_csv_writer_reads_back(rows, delimiter):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    starts = []
    for row in rows:
        starts.append(len(re.findall(r"\r\n|\r|\n", buf.getvalue())) + 1)
        writer.writerow(row)
    layout = load_layout({**CSV_LAYOUT.to_data(), "csv": {"delimiter": delimiter, "skip_blank_lines": False}}, "roundtrip")
    docs = read(layout, buf.getvalue().encode("utf-8"), "roundtrip.csv")
    assert [(d.value("a"), d.value("b"), d.value("c")) for d in docs] == rows
    assert [d.where for d in docs] == [f"roundtrip.csv line {n}" for n in starts]


PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6)
FIXED_LAYOUT = load_layout({
    "format": "fixed",
    "records": [
        {"name": "header", "match": {"start": 1, "length": 1, "equals": "H"}, "fields": [{"name": "po", "start": 2, "length": 6}]},
        {"name": "line", "match": {"start": 1, "length": 1, "equals": "D"}, "parent": "header",
         "fields": [{"name": "sku", "start": 2, "length": 6}, {"name": "qty", "start": 8, "length": 6}]},
    ],
}, "roundtrip")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(PRINTABLE, st.lists(st.tuples(PRINTABLE, PRINTABLE), max_size=4)), min_size=1, max_size=5))
def test_fixed_width_written_by_padding_reads_back(orders):
    lines = []
    for po, items in orders:
        lines.append("H" + po.ljust(6))
        lines += ["D" + sku.ljust(6) + qty.ljust(6) for sku, qty in items]
    docs = read(FIXED_LAYOUT, "\n".join(lines).encode("ascii"), "roundtrip.txt")
    got = [(d.value("po"), [(x.value("sku"), x.value("qty")) for x in d.children("header")[0].children("line")]) for d in docs]
    assert got == [(po.strip(), [(s.strip(), q.strip()) for s, q in items]) for po, items in orders]


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), TEXT)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), JSON_SCALARS, max_size=5), max_size=5))
def test_json_scalars_read_back_as_text(orders):
    docs = read(load_layout({"format": "json", "document": "orders"}, "roundtrip"), json.dumps({"orders": orders}).encode(), "rt.json")
    expected = [{k: (None if v is None else ("true" if v is True else "false" if v is False else str(v))) for k, v in o.items()} for o in orders]
    assert [{k: d.value(k) for k in o} for d, o in zip(docs, orders, strict=True)] == expected
