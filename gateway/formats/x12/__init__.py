"""X12 engine: streaming parser, spec-driven validator, acknowledgements, writer.

Public API (everything else in this package is internal)::

    from gateway.formats.x12 import Validator, parse, iter_segments, acknowledge_report

    report = Validator().validate("po.x12")      # Report with transactions and findings
    print(acknowledge_report(report))            # 997/999 (and TA1 where due)
"""

from .acks import AckNumbers, ack_set_for, acknowledge, acknowledge_report
from .delimiters import Delimiters
from .findings import CODES, Code, Finding, Position
from .maps import SpecLibrary, bundled_dirs
from .overlay import Overlay
from .parser import Group, Interchange, Segment, Transaction, iter_segments, parse, serialize
from .results import GroupResult, InterchangeResult, Report, TransactionResult
from .validator import Validator, default_library
from .writer import EnvelopeWriter, WriterError, serialize_segment

__all__ = [
    "CODES",
    "AckNumbers",
    "Code",
    "Delimiters",
    "EnvelopeWriter",
    "Finding",
    "Group",
    "GroupResult",
    "Interchange",
    "InterchangeResult",
    "Overlay",
    "Position",
    "Report",
    "Segment",
    "SpecLibrary",
    "Transaction",
    "TransactionResult",
    "Validator",
    "WriterError",
    "ack_set_for",
    "acknowledge",
    "acknowledge_report",
    "bundled_dirs",
    "default_library",
    "iter_segments",
    "parse",
    "serialize",
    "serialize_segment",
]
