"""Logging for ``gateway serve``: plain lines or one JSON object per line, with correlation ids.

Pipeline code logs with ``extra={"correlation_id": ..., "partner": ...}``; both formats
carry them, so every line about a document can be found by its correlation id. A line about a
batch of documents carries ``correlation_ids`` (a list) instead; the text format shows the first few.

One record is one line, whatever a partner puts in a file name or a segment: log lines quote
names and values an attacker chooses, and a line break or a terminal escape in them must not
forge a record or rewrite the screen. In the text format every control character of the message
(arguments included) and of the extra fields (C0 and C1 controls, DEL, the Unicode line and
paragraph separators, bidirectional overrides) is escaped the Python way (``\\n``, ``\\r``,
``\\t``, ``\\x1b``, ``\\u2028``); a traceback follows its record on lines indented by two spaces,
with the same escapes except for its own line breaks, so a line that starts in the first column is
always a record. The JSON format is one object per line by encoding: ``json.dumps`` escapes the C0
controls, and the formatter escapes the rest of the characters above as ``\\uXXXX`` (some readers,
Python's ``str.splitlines`` among them, break lines at U+0085, U+2028 and U+2029).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_FIELDS = ("correlation_id", "correlation_ids", "partner")
_SHOWN_IDS = 3  # of a batch's correlation ids, in the text format

# Controls (C0, DEL, C1), line/paragraph separators and bidirectional embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")  # json.dumps escapes C0 itself
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(m: re.Match) -> str:
    c = m.group(0)
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def escape(text: object) -> str:
    """``text`` on one line, control characters escaped (see the module docstring)."""
    return _UNSAFE.sub(_escape_char, str(text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                doc[name] = value
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", json.dumps(doc, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        tail = "".join(f" [{escape(_text(getattr(record, n)))}]" for n in _FIELDS if getattr(record, n, None))
        text = f"{ts} {record.levelname.lower():<7} {escape(record.getMessage())}{tail}"
        if record.exc_info:
            text += "".join(f"\n  {escape(line)}" for line in self.formatException(record.exc_info).split("\n"))
        return text


def _text(value) -> str:
    if isinstance(value, (list, tuple)):
        more = len(value) - _SHOWN_IDS
        return " ".join(value[:_SHOWN_IDS]) + (f" +{more} more" if more > 0 else "")
    return str(value)


def setup_logging(fmt: str = "text", level: str = "info", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    ours = logging.getLogger("gateway")
    ours.handlers[:] = [handler]
    ours.setLevel(getattr(logging, level.upper(), logging.INFO))
    ours.propagate = False
    # Libraries (watchdog, SQLAlchemy) log through the root logger: same format, warnings and worse only.
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
