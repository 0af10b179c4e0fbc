"""Log lines carry the correlation id in both formats."""

from __future__ import annotations

import io
import json
import logging

import pytest
from gateway.logs import setup_logging


@pytest.fixture(autouse=True)
def restore_gateway_logger():
    """setup_logging configures the process-wide ``gateway`` logger: put it back for the other tests (caplog)."""
    logger = logging.getLogger("gateway")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def test_json_lines_carry_correlation_id_and_partner():
    out = io.StringIO()
    setup_logging("json", "info", stream=out)
    logging.getLogger("gateway.pipeline").info("received %s", "po.x12", extra={"correlation_id": "abc123", "partner": "acme"})
    logging.getLogger("gateway.pipeline").debug("not shown at info")
    [line] = out.getvalue().splitlines()
    doc = json.loads(line)
    assert doc["message"] == "received po.x12" and doc["correlation_id"] == "abc123" and doc["partner"] == "acme"
    assert doc["level"] == "info" and doc["ts"].endswith("Z")


def test_text_lines_show_the_correlation_id():
    out = io.StringIO()
    setup_logging("text", "debug", stream=out)
    logging.getLogger("gateway.serve").warning("quarantined", extra={"correlation_id": "abc123"})
    assert out.getvalue().rstrip().endswith("quarantined [abc123]")


def test_a_line_about_a_batch_carries_every_correlation_id_in_json_and_the_first_few_in_text():
    ids = [f"id{n}" for n in range(5)]
    out = io.StringIO()
    setup_logging("json", "info", stream=out)
    logging.getLogger("gateway.pipeline").info("delivered 5 documents to erp", extra={"correlation_ids": ids, "partner": "acme"})
    assert json.loads(out.getvalue())["correlation_ids"] == ids
    out = io.StringIO()
    setup_logging("text", "info", stream=out)
    logging.getLogger("gateway.pipeline").info("delivered 5 documents to erp", extra={"correlation_ids": ids, "partner": "acme"})
    assert out.getvalue().rstrip().endswith("delivered 5 documents to erp [id0 id1 id2 +2 more] [acme]")


FORGED = "2024-01-01T00:00:00 info    acknowledgement written: forged.997"
HOSTILE = f"po.x12\n{FORGED}\r\x1b[2J\x1b]0;owned\x07\u2028\x85\u202etxt.exe"


def test_text_log_line_from_a_hostile_file_name_is_one_line_with_escapes():
    out = io.StringIO()
    setup_logging("text", "info", stream=out)
    logging.getLogger("gateway.pipeline").info("received %s", HOSTILE, extra={"correlation_id": "c1\nforged", "partner": "acme\x1b[31m"})
    [line] = out.getvalue().splitlines()
    assert line.endswith("received po.x12\\n" + FORGED + "\\r\\x1b[2J\\x1b]0;owned\\x07\\u2028\\x85\\u202etxt.exe [c1\\nforged] [acme\\x1b[31m]")


def test_text_log_message_with_line_breaks_of_its_own_is_escaped_too():
    out = io.StringIO()
    setup_logging("text", "info", stream=out)
    logging.getLogger("gateway.serve").warning("bad:\n" + FORGED)
    assert out.getvalue().count("\n") == 1 and out.getvalue().rstrip().endswith("bad:\\n" + FORGED)


def test_text_traceback_of_a_hostile_name_cannot_start_a_record():
    out = io.StringIO()
    setup_logging("text", "info", stream=out)
    try:
        raise ValueError(f"cannot read {HOSTILE}")
    except ValueError:
        logging.getLogger("gateway.pipeline").exception("handling %s failed", HOSTILE)
    first, *rest = out.getvalue().rstrip("\n").split("\n")
    assert "handling po.x12\\n2024-01-01" in first
    assert rest[0] == "  Traceback (most recent call last):" and all(line.startswith("  ") for line in rest)
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue() and "\u2028" not in out.getvalue()
    assert any(line.startswith(f"  {FORGED}\\r\\x1b[2J") for line in rest)  # the exception's own line break starts an indented line, not a record


def test_json_log_line_from_a_hostile_file_name_is_one_line_and_reads_back():
    out = io.StringIO()
    setup_logging("json", "info", stream=out)
    logging.getLogger("gateway.pipeline").info("received %s", HOSTILE, extra={"correlation_id": "c1\nforged", "partner": "acme\u2028x"})
    [line] = out.getvalue().splitlines()  # str.splitlines breaks at U+2028 and U+0085 too: none are left raw
    assert "\x1b" not in line and "\r" not in line
    doc = json.loads(line)
    assert doc["message"] == f"received {HOSTILE}" and doc["correlation_id"] == "c1\nforged" and doc["partner"] == "acme\u2028x"
