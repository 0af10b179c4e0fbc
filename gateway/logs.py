"""Logging for ``gateway serve``: plain lines or one JSON object per line, with correlation ids.

Pipeline code logs with ``extra={"correlation_id": ..., "partner": ...}``; both formats
carry them, so every line about a document can be found by its correlation id. A line about a
batch of documents carries ``correlation_ids`` (a list) instead; the text format shows the first few.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_FIELDS = ("correlation_id", "correlation_ids", "partner")
_SHOWN_IDS = 3  # of a batch's correlation ids, in the text format


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
        return json.dumps(doc, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        tail = "".join(f" [{_text(getattr(record, n))}]" for n in _FIELDS if getattr(record, n, None))
        text = f"{ts} {record.levelname.lower():<7} {record.getMessage()}{tail}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
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
