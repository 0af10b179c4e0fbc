"""What ``gateway serve`` tells the person running it: exit codes, log lines in documents, partners it will not serve.

Real processes over real homes (``serve_helpers``); the ERP that fails is a local HTTP server in this
process answering 503 until it is told to accept.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import pytest
from serve_helpers import ACME, REPO, batch, drop, edit_profile, http_server, make_home, run_gateway, status, visible_files

EXIT_WAITING = 3
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d ")


def json_lines(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


@pytest.fixture
def erp():
    """An HTTP ERP answering 503 Service Unavailable to every POST until ``erp.accepting`` is set; ``erp.seen`` counts POSTs."""

    class Erp:
        url = ""
        accepting = False
        seen = 0

    state = Erp()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.seen += 1
            code = 201 if state.accepting else 503
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    with http_server(Handler) as base:
        state.url = f"{base}/orders"
        yield state


def test_serve_once_with_a_delivery_waiting_for_retry_exits_3_and_says_why(gateway_exe, tmp_path, erp):
    home = make_home(tmp_path / "home", {"workers": {"poll_seconds": 0.1, "rescan_seconds": 0.5},
                                         "retry": {"base_seconds": 3, "cap_seconds": 3, "max_attempts": 5}})
    edit_profile(home, ACME, lambda p: p.update(routes=[{"document": "purchase_order", "connector": "http",
                                                         "options": {"url": erp.url, "retries": 0, "timeout_seconds": 5}}]))
    _, data = batch(1, lambda i: 2)
    for name, body in data.items():
        drop(home, name, body)

    before = datetime.now(UTC).replace(tzinfo=None)
    done = run_gateway(gateway_exe, home, "serve", "--once", "--log-format", "json", check=False)
    assert done.returncode == EXIT_WAITING, done.stderr
    assert erp.seen == 2
    [line] = [e for e in json_lines(done.stderr) if "wait for a retry" in e["message"] or "waits for a retry" in e["message"]]
    m = re.fullmatch(r"2 deliveries wait for a retry \(next at (\d\d:\d\d:\d\d) UTC, in (\d)s\): (.*)", line["message"])
    assert m, line
    assert line["level"] == "warning"
    assert f"POST {erp.url}" in m[3] and "503" in m[3]
    due = datetime.strptime(f"{before:%Y-%m-%d} {m[1]}", "%Y-%m-%d %H:%M:%S")
    assert 1 <= (due - before).total_seconds() <= 5 and 1 <= int(m[2]) <= 3  # a jittered 3 s backoff
    doc = status(gateway_exe, home)
    assert doc["work"]["waiting"] == 2 and doc["transactions"]["delivered"] == 0

    # the ERP is back and the retry is due: the next run delivers both and leaves nothing
    erp.accepting = True
    time.sleep(max(0.0, (due - datetime.now(UTC).replace(tzinfo=None)).total_seconds()) + 1.1)
    again = run_gateway(gateway_exe, home, "serve", "--once", "--log-format", "json", check=False)
    assert again.returncode == 0, again.stderr
    assert not [e for e in json_lines(again.stderr) if "for a retry" in e["message"]]
    assert status(gateway_exe, home)["transactions"]["delivered"] == 2


def test_serve_once_that_finishes_everything_exits_0_with_a_final_count_in_documents(gateway_exe, tmp_path):
    home = make_home(tmp_path / "home")
    _, data = batch(3, lambda i: 1 + i)  # 1 + 2 + 3 orders
    for name, body in data.items():
        drop(home, name, body)
    drop(home, "bad.x12", (REPO / "samples" / "partners" / ACME / "850-store-replenishment.x12").read_bytes().replace(b"BEG*00*SA*", b"BEG*00*KN*"))
    done = run_gateway(gateway_exe, home, "serve", "--once", "--log-format", "json")
    lines = json_lines(done.stderr)

    # per batch, in documents: one line per file's deliveries here, never one per document
    delivered = [e for e in lines if e["message"].startswith("delivered ")]
    counts = sorted(int(re.fullmatch(r"delivered (\d+) documents? to erp \(acme-retail: \1 purchase_order\)", e["message"])[1])
                    for e in delivered)
    assert counts == [1, 1, 2, 3]  # the rejected file's other order went through
    assert all(e["level"] == "info" and e["partner"] == ACME for e in delivered)
    assert all((e.get("correlation_id") is not None) != (len(e.get("correlation_ids", [])) > 1) for e in delivered)
    assert sorted(len(e.get("correlation_ids", [e.get("correlation_id")])) for e in delivered) == counts
    assert not [e for e in lines if e["level"] == "info" and "delivery " in e["message"]]  # no per-document info lines
    assert [e["message"] for e in lines if e["logger"] == "gateway.pipeline" and not (e.get("correlation_id") or e.get("correlation_ids"))] == []
    assert lines[-1]["message"] == "stopped: 4 files received, 7 documents delivered, 1 quarantined, 4 acknowledgements written"


def test_serve_once_with_a_spec_naming_an_element_the_x12_spec_lacks_does_not_serve_its_partner(gateway_exe, tmp_path):
    home = make_home(tmp_path / "home")
    spec = home / "mappings" / ACME / "850-004010-in.yaml"  # shadows the shipped one
    spec.parent.mkdir(parents=True)
    spec.write_text((REPO / "mappings" / ACME / "850-004010-in.yaml").read_text().replace("REF[REF01=19]/REF02", "REF[REF01=19]/REF92"))
    _, data = batch(1, lambda i: 1)
    (name, body), = data.items()
    drop(home, name, body)

    done = run_gateway(gateway_exe, home, "serve", "--once", "--log-format", "json", check=False)
    assert done.returncode == 1, done.stderr
    errors = [e["message"] for e in json_lines(done.stderr) if e["level"] == "error"]
    assert any(f"partner {ACME} is not served" in e and "REF has no element 92 in the X12 850 004010 spec" in e for e in errors), errors
    assert [p.name for p in visible_files(home / "inbound" / ACME)] == [name]  # it waits, it is not mapped to nothing
    doc = status(gateway_exe, home)
    assert list(doc["not_served"]) == [ACME] and "REF92" in doc["not_served"][ACME][0]

    spec.unlink()  # back to the shipped spec: the file that waited goes through
    assert run_gateway(gateway_exe, home, "serve", "--once").returncode == 0
    assert status(gateway_exe, home)["transactions"]["delivered"] == 1


def test_text_log_lines_of_a_serve_run_begin_with_their_time(gateway_exe, tmp_path):
    """The plain format, as a person reads it: every line a log line, deliveries counted in documents."""
    home = make_home(tmp_path / "home")
    _, data = batch(2, lambda i: 2)
    for name, body in data.items():
        drop(home, name, body)
    done = run_gateway(gateway_exe, home, "serve", "--once")
    assert all(TIMESTAMP.match(line) for line in done.stderr.splitlines()), done.stderr
    assert len(re.findall(r"info    delivered 2 documents to erp \(acme-retail: 2 purchase_order\) \[\w+ \w+\] \[acme-retail\]",
                          done.stderr)) == 2
