"""Partner flat files (CSV, fixed-width, JSON, XML) as node trees for the mapping engine.

Public API (everything else in this package is internal)::

    from gateway.formats.flatfile import load_layout, read

    layout = load_layout(spec.source)                  # or a layout dict, with where/format
    for root in read(layout, data, "orders.csv"):      # one Node per document
        canonical, issues = InboundMapper(spec).map(root)

CSV and fixed-width lines become records named by the layout's record types,
nested by ``parent``; a document's root answers values for the record that
starts it (``po_number``) and has its top-level records as children
(``header/line``). JSON documents are objects (``lines`` lists become
children), XML documents are elements (``@attr``, ``.``, child tags). Bad
input raises ``gateway.errors.FlatFileError`` naming file, line and reason;
a bad layout raises ``ConfigError`` with ``file:line`` problems.
"""

from ...errors import FlatFileError
from .layout import CsvOptions, FieldDef, FlatLayout, Match, RecordType, load_layout
from .reader import read

__all__ = ["CsvOptions", "FieldDef", "FlatFileError", "FlatLayout", "Match", "RecordType", "load_layout", "read"]
