"""An ``http`` route through the real pipeline: ``gateway serve`` posting to a local HTTP server that fails on purpose.

The connector's own quick retries are off (``retries: 0``), so every retry seen here is the
pipeline's: a retryable failure puts the delivery back in the queue with backoff (gateway.yaml:
``retry: {base_seconds: 0.2, cap_seconds: 1, max_attempts: 5}``), a terminal one quarantines it.

The server, in this process, keeps a record of every request (path, Idempotency-Key, status).
Paths choose its behaviour:

- ``/flaky``: 503 to the first attempt of each Idempotency-Key, 201 afterwards;
- ``/reject``: 400 (a validation error at the ERP) while ``accepting`` is off, then 201;
- ``/down``: 503 while ``accepting`` is off, then 201.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import pytest
from serve_helpers import (
    ACME,
    Serve,
    batch,
    drop,
    edit_profile,
    home_store_url,
    http_server,
    make_home,
    quarantine_list,
    run_gateway,
    settled,
    status,
    store_rows,
    wait_until,
)

SETTINGS = {"workers": {"poll_seconds": 0.1, "rescan_seconds": 0.5}, "retry": {"base_seconds": 0.2, "cap_seconds": 1, "max_attempts": 5}}


@dataclass
class Seen:
    path: str
    key: str
    status: int
    po_number: str | None


@dataclass
class Erp:
    """What the HTTP server saw, and how it behaves."""

    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    accepting: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, key: str) -> int:
        with self.lock:
            earlier = [r for r in self.requests if r.path == path and r.key == key]
            if path == "/flaky":
                return 201 if earlier else 503
            if path == "/reject":
                return 201 if self.accepting else 400
            if path == "/down":
                return 201 if self.accepting else 503
            return 404

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.requests.append(seen)

    def by_key(self, path: str) -> dict[str, list[int]]:
        with self.lock:
            out: dict[str, list[int]] = {}
            for r in self.requests:
                if r.path == path:
                    out.setdefault(r.key, []).append(r.status)
            return out


@pytest.fixture
def erp():
    state = Erp()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            key = self.headers.get("Idempotency-Key") or ""
            code = state.answer(self.path, key)
            try:
                po = json.loads(body).get("po_number")
            except ValueError:
                po = None
            state.record(Seen(self.path, key, code, po))
            reply = json.dumps({"status": code}).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    with http_server(Handler) as url:
        state.url = url
        yield state


@pytest.fixture
def servers():
    started: list[Serve] = []
    yield started
    for s in started:
        s.cleanup()


def _routes(erp: Erp, *paths: str):
    def edit(profile: dict) -> None:
        profile["routes"] = [{"document": "purchase_order", "connector": "http",
                              "options": {"url": erp.url + path, "retries": 0, "timeout_seconds": 5}} for path in paths]
    return edit


def _settle(exe, home, server: Serve, files: int, timeout: float = 60) -> dict:
    def check():
        if not server.running():
            raise AssertionError(f"gateway serve exited {server.proc.returncode}:\n{server.stderr()[-3000:]}")
        doc = status(exe, home)
        return doc if settled(doc, files) else None

    return wait_until(check, timeout, 0.2, f"{files} files to settle")


def test_a_503_is_retried_by_the_pipeline_until_the_erp_accepts_each_document_once(gateway_exe, tmp_path, erp, servers):
    home = make_home(tmp_path / "home", SETTINGS)
    edit_profile(home, ACME, _routes(erp, "/flaky"))
    valid, data = batch(6, lambda i: 1 + i % 3)
    for name, body in data.items():
        drop(home, name, body)
    server = Serve(gateway_exe, home, "--log-format", "json")
    servers.append(server)
    doc = _settle(gateway_exe, home, server, len(data))

    assert doc["transactions"]["delivered"] == len(valid.po_numbers) == 12
    assert doc["quarantine"]["open"] == 0
    seen = erp.by_key("/flaky")
    deliveries = store_rows(home_store_url(home, None), "deliveries")
    assert sorted(seen) == sorted(d["idempotency_key"] for d in deliveries)  # every document, under its own key
    assert all(statuses == [503, 201] for statuses in seen.values()), seen  # accepted once, after one pipeline retry
    assert sorted(r.po_number for r in erp.requests if r.status == 201) == sorted(valid.po_numbers)
    assert all(d["state"] == "delivered" and d["attempts"] == 2 and d["target"].endswith("/flaky -> 201") for d in deliveries)
    retries = [e for e in store_rows(home_store_url(home, None), "events") if e["stage"] == "deliver" and e["state"] == "retry"]
    assert Counter(e["delivery_id"] for e in retries) == Counter({d["id"]: 1 for d in deliveries})
    assert all("503" in e["message"] for e in retries)

    code, took = server.terminate()
    assert code == 0 and took < 5


def test_a_400_quarantines_at_once_a_lasting_503_after_max_attempts_and_reprocess_delivers_both(gateway_exe, tmp_path, erp, servers):
    home = make_home(tmp_path / "home", SETTINGS)
    edit_profile(home, ACME, _routes(erp, "/reject", "/down"))
    _, data = batch(2, lambda i: 1)
    for name, body in data.items():
        drop(home, name, body)
    server = Serve(gateway_exe, home, "--log-format", "json")
    servers.append(server)
    doc = _settle(gateway_exe, home, server, len(data))

    assert doc["transactions"]["quarantined"] == 2 and doc["transactions"]["delivered"] == 0
    items = quarantine_list(gateway_exe, home)
    assert sorted(q["code"] for q in items) == ["delivery.exhausted"] * 2 + ["delivery.rejected"] * 2
    assert all(q["kind"] == "delivery" and q["stage"] == "deliver" for q in items)
    rejected = erp.by_key("/reject")
    down = erp.by_key("/down")
    assert len(rejected) == len(down) == 2
    assert all(statuses == [400] for statuses in rejected.values()), rejected  # terminal: never retried
    assert all(statuses == [503] * 5 for statuses in down.values()), down  # retryable: max_attempts, then quarantined
    url = home_store_url(home, None)
    attempts = {(d["route"], d["state"], d["attempts"]) for d in store_rows(url, "deliveries")}
    assert attempts == {(0, "quarantined", 1), (1, "quarantined", 5)}
    for q in items:
        shown = json.loads(run_gateway(gateway_exe, home, "quarantine", "show", str(q["id"]), "--json").stdout)
        assert shown["delivery"]["attempts"] == (1 if q["code"] == "delivery.rejected" else 5)
        assert ("400" if q["code"] == "delivery.rejected" else "503") in shown["reason"]

    # the ERP is fixed: reprocess every item, the running server delivers them
    erp.accepting = True
    run_gateway(gateway_exe, home, "quarantine", "reprocess", *[str(q["id"]) for q in items])
    doc = _settle(gateway_exe, home, server, len(data))
    assert doc["transactions"]["delivered"] == 2 and doc["quarantine"] == {"open": 0, "reprocessed": 4, "discarded": 0}
    for path in ("/reject", "/down"):
        accepted = [k for k, statuses in erp.by_key(path).items() if statuses.count(201) == 1 and statuses[-1] == 201]
        assert len(accepted) == 2, erp.by_key(path)
    code, _ = server.terminate()
    assert code == 0
