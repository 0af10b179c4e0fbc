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
