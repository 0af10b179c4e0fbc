"""``gateway serve`` as a real process over a real home: files in, deliveries, acks, quarantine and archive out.

Valid and invalid files are dropped into Acme's drop folder while the server runs; the test waits
(polling ``gateway status --json``) until everything has settled and then checks every place the
pipeline writes to. SIGTERM must stop the server cleanly (exit 0, within seconds, also in the middle
of a run), and ``serve --once`` must return by itself.
"""

from __future__ import annotations

import json
import re
import signal
import time
from datetime import UTC, datetime

import pytest
from serve_helpers import (
    ACME,
    REPO,
    Serve,
    ack_groups,
    acme_850s,
    assert_exactly_once,
    batch,
    deliveries_by_po,
    drop,
    home_store_url,
    leftovers,
    make_home,
    quarantine_list,
    run_gateway,
    settled,
    status,
    store_rows,
    store_status,
    visible_files,
    wait_until,
)

SETTLE_SECONDS = 60


@pytest.fixture
def home(tmp_path):
    return make_home(tmp_path / "home")


@pytest.fixture
def servers():
    """Serve processes started by a test; any still running at the end are killed."""
    started: list[Serve] = []
    yield started
    for s in started:
        s.cleanup()


def _wait_settled(exe, home, files: int, server: Serve | None = None) -> dict:
    def check():
        if server is not None and not server.running():
            raise AssertionError(f"gateway serve exited {server.proc.returncode}:\n{server.stderr()[-3000:]}")
        doc = status(exe, home)
        return doc if settled(doc, files) else None

    return wait_until(check, SETTLE_SECONDS, 0.2, f"{files} files to settle")


def _archive_days(home) -> set[str]:
    root = home / "archive" / ACME
    days = set()
    for p in visible_files(root):
        rel = p.relative_to(root)
        assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", str(rel.parent)), f"archived outside archive/{ACME}/YYYY/MM/DD/: {rel}"
        days.add(str(rel.parent))
    return days


def test_serve_delivers_valid_files_quarantines_invalid_ones_and_stops_on_sigterm(gateway_exe, home, servers):
    day_before = datetime.now(UTC).strftime("%Y/%m/%d")
    server = Serve(gateway_exe, home, "--log-format", "json")
    servers.append(server)
    wait_until(lambda: any("serving" in line.get("message", "") for line in server.json_lines()), 30, 0.05, "the serving log line")

    # wave 1: six valid interchanges (1 to 3 850s each) and three bad files
    valid, data = batch(6, lambda i: 1 + i % 3)
    for name, body in data.items():
        drop(home, name, body)
    drop(home, "not-x12-at-all.txt", b"PO 4711, 3 boxes of blue widgets, ship Friday\n")
    drop(home, "order-type-acme-never-sends.x12", acme_850s(900, ["PO-FORBIDDEN"], order_type="KN"))
    drop(home, "from-a-stranger.x12", acme_850s(901, ["PO-STRANGER"], sender="STRANGER"))
    _wait_settled(gateway_exe, home, 9, server)

    # wave 2, once wave 1 is in the store: the same bytes under another name, and the same ISA13 with other content
    drop(home, "orders-0000-sent-again.x12", data["orders-0000.x12"])
    first_isa13 = valid.files["orders-0000.x12"][0]
    drop(home, "same-isa13-other-orders.x12", acme_850s(first_isa13, ["PO-REUSED-ISA13"]))
    doc = _wait_settled(gateway_exe, home, 11, server)

    # the store's view
    assert doc["transactions"]["received"] == 0 and doc["transactions"]["translated"] == 0
    assert doc["transactions"]["delivered"] == len(valid.po_numbers) == 12
    assert doc["transactions"]["quarantined"] == 1  # the 850 with BEG02 KN
    assert doc["receipts"] == {"received": 0, "processed": 7, "quarantined": 3, "duplicate": 1, "discarded": 0}
    assert doc["deliveries"]["delivered"] == 12 and doc["deliveries"]["pending"] == 0

    # deliveries: one file per valid transaction, named after its PO number, holding that order
    erp = home / "erp" / "purchase_order"
    by_po = deliveries_by_po(erp)
    assert sorted(by_po) == sorted(valid.po_numbers)
    assert all(len(files) == 1 for files in by_po.values()), {k: v for k, v in by_po.items() if len(v) != 1}
    for po, (path,) in by_po.items():
        body = json.loads(path.read_text(encoding="utf-8"))
        assert body["po_number"] == po
        assert path.name.endswith(f"-{body['correlation']['correlation_id']}-r0.json")

    # acks: one 997 per interchange that got past identification, acknowledging that interchange's group
    acks = ack_groups(home / "outbound" / ACME)
    assert all(name.startswith("ack-997-") for name in acks)
    assert sorted(g for groups in acks.values() for g in groups) == sorted([*valid.group_numbers, "900"])
    rejected = [p for p in visible_files(home / "outbound" / ACME) if "AK1*PO*900~" in p.read_text(encoding="latin-1")]
    assert len(rejected) == 1 and "AK9*R*1*1*0~" in rejected[0].read_text(encoding="latin-1")

    # quarantine: one item per problem, with its code
    items = quarantine_list(gateway_exe, home)
    by_code = {q["code"]: q for q in items}
    assert sorted(q["code"] for q in items) == sorted(
        ["input.invalid", "x12.rejected", "partner.mismatch", "duplicate.file", "duplicate.interchange"])
    assert by_code["x12.rejected"]["kind"] == "transaction" and "BEG02" in by_code["x12.rejected"]["reason"]
    assert "not-x12-at-all.txt" in by_code["input.invalid"]["reason"]
    assert "STRANGER" in by_code["partner.mismatch"]["reason"]
    assert "orders-0000.x12" in by_code["duplicate.file"]["reason"]
    assert f"ISA13 {first_isa13:09d}" in by_code["duplicate.interchange"]["reason"]
    assert all(q["partner"] == ACME and q["state"] == "open" for q in items)

    # archive and inbound: every file archived once under today's date, nothing left behind
    dropped = [*data, "not-x12-at-all.txt", "order-type-acme-never-sends.x12", "from-a-stranger.x12",
               "orders-0000-sent-again.x12", "same-isa13-other-orders.x12"]
    assert sorted(p.name for p in visible_files(home / "archive" / ACME)) == sorted(dropped)
    assert _archive_days(home) <= {day_before, datetime.now(UTC).strftime("%Y/%m/%d")}
    assert leftovers(home / "inbound" / ACME) == []

    # logs: one JSON object a line; every file received is logged with its correlation id, every warning has one
    lines = server.json_lines()
    raw = [line["raw"] for line in lines if "raw" in line]
    assert raw == [], f"non-JSON lines on stderr: {raw}"  # libraries' warnings (watchdog) go through the same JSON handler
    lines = [line for line in lines if "raw" not in line]
    receipts = store_rows(home_store_url(home, None), "receipts")
    received = {line["correlation_id"] for line in lines if line["message"].startswith("received ")}
    dup_lines = [line for line in lines if "is a duplicate of receipt" in line["message"]]
    assert received | {line["correlation_id"] for line in dup_lines} == {r["correlation_id"] for r in receipts}
    assert all(line.get("correlation_id") for line in lines if line["level"] in ("warning", "error"))
    logged = {line.get("correlation_id") for line in lines}
    by_receipt = {r["id"]: r["correlation_id"] for r in receipts}
    assert all(q["correlation_id"] in logged or by_receipt[q["receipt_id"]] in logged for q in items)
    assert {q["correlation_id"] for q in items if q["kind"] == "receipt" and q["code"] != "duplicate.file"} <= {
        line["correlation_id"] for line in lines if " quarantined: " in line["message"]}
    assert not [line for line in lines if line["level"] == "error"]

    code, took = server.terminate(timeout=10)
    assert code == 0, server.stderr()[-3000:]
    assert took < 5
    assert server.json_lines()[-1]["message"].startswith("stopped: 11 files received")


def test_every_pipeline_log_line_about_a_file_carries_its_correlation_id(gateway_exe, home):
    _, data = batch(2, lambda i: 1)
    for name, body in data.items():
        drop(home, name, body)
    done = run_gateway(gateway_exe, home, "serve", "--once", "--log-format", "json")
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    pipeline = [line for line in lines if line["logger"] == "gateway.pipeline"]
    assert len([line for line in pipeline if "document(s) from partner" in line["message"]]) == 2
    assert [line["message"] for line in pipeline if not (line.get("correlation_id") or line.get("correlation_ids"))] == []


def test_the_same_file_sent_again_later_under_the_same_name_is_reported_as_a_duplicate(gateway_exe, home):
    """Same name, same bytes, a later mtime: a partner resending, not a re-offer after a crash."""
    _, data = batch(1, lambda i: 1)
    (name, body), = data.items()
    drop(home, name, body)
    run_gateway(gateway_exe, home, "serve", "--once")
    time.sleep(0.02)  # a later mtime, whatever the file system's timestamp granularity
    drop(home, name, body)
    run_gateway(gateway_exe, home, "serve", "--once")
    assert len(visible_files(home / "archive" / ACME)) == 2  # it was taken and archived again...
    assert [q["code"] for q in quarantine_list(gateway_exe, home)] == ["duplicate.file"]  # ...and reported as a duplicate


def test_serve_once_returns_by_itself_when_nothing_is_left(gateway_exe, home):
    start = time.monotonic()
    empty = run_gateway(gateway_exe, home, "serve", "--once", timeout=30)
    assert empty.returncode == 0
    assert time.monotonic() - start < 15

    valid, data = batch(5, lambda i: 2)
    for name, body in data.items():
        drop(home, name, body)
    run_gateway(gateway_exe, home, "serve", "--once", timeout=60)
    doc = status(gateway_exe, home)
    assert settled(doc, 5), doc
    assert doc["transactions"]["delivered"] == 10
    assert sorted(deliveries_by_po(home / "erp" / "purchase_order")) == sorted(valid.po_numbers)
    assert len(ack_groups(home / "outbound" / ACME)) == 5
    assert leftovers(home / "inbound" / ACME) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_run_stops_cleanly_and_a_restart_finishes_without_duplicates(gateway_exe, home, servers, signum):
    files = 80
    valid, data = batch(files, lambda i: 1 + i % 5)
    for name, body in data.items():
        drop(home, name, body)
    url = home_store_url(home, None)
    server = Serve(gateway_exe, home, "--log-format", "json")
    servers.append(server)
    server.wait_serving()
    wait_until(lambda: store_status(url)["transactions"]["delivered"] > 0 or not server.running(), 30, 0.02, "the first delivery")
    start = time.monotonic()
    server.proc.send_signal(signum)
    assert server.wait(10) == 0, server.stderr()[-3000:]
    assert time.monotonic() - start < 5
    assert server.json_lines()[-1]["message"].startswith("stopped: ")
    after_stop = store_status(url)
    assert after_stop["work"]["claimed"] == 0, "claimed work was neither finished nor released"
    assert not settled(after_stop, files), "the signal came after the work was done: this test proves nothing"

    run_gateway(gateway_exe, home, "serve", "--once", timeout=60)
    assert_exactly_once(home, url, valid)


def test_serve_once_with_one_broken_profile_serves_the_others_and_leaves_its_files_waiting(gateway_exe, home):
    """A profile that does not load (or says what this version does not honour) is not served, never served with
    defaults: the error log and ``status`` name it, its files wait in its folder, the other partners run."""
    _, data = batch(1, lambda i: 1)
    (name, body), = data.items()
    drop(home, name, body)
    drop(home, "invoice.x12", (REPO / "samples" / "partners" / "widget-supply" / "invoice-with-allowances.x12").read_bytes(),
         partner="widget-supply")
    profile = home / "partners" / f"{ACME}.yaml"
    profile.write_text(profile.read_text().replace("send: '997'", "send: '998'"))
    done = run_gateway(gateway_exe, home, "serve", "--once", "--log-format", "json", check=False)
    assert done.returncode == 1, done.stderr
    errors = [e for e in (json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")) if e["level"] == "error"]
    assert any(f"partner {ACME} is not served (its files wait in its folder): " in e["message"] and "acks/send: '998' is not one of" in e["message"]
               for e in errors), errors
    assert [p.name for p in visible_files(home / "inbound" / ACME)] == [name]  # waiting, not taken with defaults
    doc = status(gateway_exe, home)
    assert list(doc["not_served"]) == [ACME] and "acks/send: '998' is not one of" in doc["not_served"][ACME][0]
    assert doc["transactions"]["delivered"] == 1 and ACME not in doc["partners"]  # widget-supply's invoice went through
    shown = run_gateway(gateway_exe, home, "status").stdout
    assert f"not served:   {ACME}, its files wait: " in shown and f"see gateway partner check {ACME}" in shown

    profile.write_text(profile.read_text().replace("send: '998'", "send: '997'"))  # fixed: the file that waited goes through
    run_gateway(gateway_exe, home, "serve", "--once")
    doc = status(gateway_exe, home)
    assert doc["not_served"] == {} and doc["transactions"]["delivered"] == 2 and visible_files(home / "inbound" / ACME) == []
