"""Intake under the running gateway: a partner writing in place, slowly, and a file that changes after it was stored.

The report this answers: a file written in place under its final name (no temporary name, no marker)
was taken half-written, 200 of 515 bytes stored and rejected with a TA1 to the partner, while the
archive later held all the bytes. Here the writer is a real process, ``gateway serve`` another one.
"""

from __future__ import annotations

import hashlib
import os
import time

from serve_helpers import (
    ACME,
    Serve,
    ack_groups,
    acme_850s,
    deliveries_by_po,
    home_store_url,
    make_home,
    quarantine_list,
    run_gateway,
    settled,
    status,
    store_rows,
    visible_files,
    wait_until,
    write_slowly_in_place,
)

from gateway.channels.drop_folder import CLAIMS
from gateway.home import Home
from gateway.pipeline import Gateway


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def segments(path) -> list[str]:
    text = path.read_text(encoding="latin-1")
    return [s.strip() for s in text.split(text[105]) if s.strip()]


def assert_one_whole_accepted_file(exe: str, home, name: str, data: bytes, po: str) -> None:
    """Stored whole (size and hash), archived as stored, delivered, acknowledged with an accepting 997 and no TA1."""
    doc = status(exe, home)
    assert doc["receipts"] == {"received": 0, "processed": 1, "quarantined": 0, "duplicate": 0, "discarded": 0}, doc
    assert doc["transactions"]["delivered"] == 1 and doc["quarantine"]["open"] == 0, doc
    (receipt,) = store_rows(home_store_url(home, None), "receipts")
    assert (receipt["name"], receipt["size"], receipt["sha256"]) == (name, len(data), sha(data))
    (archived,) = visible_files(home / "archive" / ACME)
    assert archived.name == name and sha(archived.read_bytes()) == receipt["sha256"]
    assert list(deliveries_by_po(home / "erp" / "purchase_order")) == [po]
    outbound = visible_files(home / "outbound" / ACME)
    assert [s for p in outbound for s in segments(p) if s.startswith("TA1")] == [], "a TA1 went to the partner"
    (ack,) = outbound
    assert list(ack_groups(home / "outbound" / ACME).values()) == [["515"]]
    assert "AK9*A*1*1*1" in segments(ack)


def test_a_slow_in_place_writer_under_serve_gives_one_whole_accepted_file(gateway_exe, tmp_path):
    home = make_home(tmp_path / "home")
    server = Serve(gateway_exe, home, "--log-format", "json")
    try:
        server.wait_serving()
        data = acme_850s(515, ["PO-SLOW-515"])
        # 200 bytes first, as in the report, then the rest after pauses longer than the quiet period
        writer = write_slowly_in_place(home / "inbound" / ACME / "po-slow.x12", data, first=200, chunk=215, pause=1.3)
        assert writer.wait(30) == 0
        wait_until(lambda: settled(status(gateway_exe, home), 1), 60, 0.2, "the file to be processed")
    finally:
        server.cleanup()
    assert_one_whole_accepted_file(gateway_exe, home, "po-slow.x12", data, "PO-SLOW-515")
    assert [line for line in server.json_lines() if line.get("level") == "error" or "raw" in line] == []


def test_serve_once_started_mid_write_waits_for_the_writer(gateway_exe, tmp_path):
    home = make_home(tmp_path / "home")
    data = acme_850s(515, ["PO-SLOW-515"])
    path = home / "inbound" / ACME / "po-slow.x12"
    writer = write_slowly_in_place(path, data, first=200, chunk=215, pause=1.3)
    try:
        wait_until(lambda: path.exists() and path.stat().st_size == 200, 10, 0.02, "the first 200 bytes")
        run_gateway(gateway_exe, home, "serve", "--once", timeout=60)
        assert writer.poll() == 0, "serve --once returned while the file was still being written"
    finally:
        writer.wait(30)
    assert_one_whole_accepted_file(gateway_exe, home, "po-slow.x12", data, "PO-SLOW-515")


def test_a_file_changed_after_it_was_stored_is_held_back_and_its_final_content_processed(gateway_exe, tmp_path):
    """A writer that still held the file open finishes it after the gateway read and stored the first 200 bytes
    (the kernel could not tell: the file belongs to another user, say). The partial copy is quarantined before
    any verdict goes out; the final content comes round again as a new file and is accepted."""
    root = make_home(tmp_path / "home")
    full = acme_850s(515, ["PO-LATE-515"])
    path = root / "inbound" / ACME / "po-late.x12"
    path.write_bytes(full[:200])
    old = time.time() - 60
    os.utime(path, (old, old))  # quiet for a minute: the writer paused
    gw = Gateway(Home(root, True), environ={})
    try:
        gw._open_channels()
        (folder,) = [ch for ch in gw._channels if ch.partner_id == ACME]

        def accept_while_the_writer_finishes(inbound):
            receipt = gw.accept(inbound)
            (claimed,) = (folder.inbound / CLAIMS).glob(f"*/{inbound.name}")
            with open(claimed, "ab") as f:
                f.write(full[200:])
            return receipt

        assert folder.poll(accept_while_the_writer_finishes) == 1
        assert path.read_bytes() == full  # back in the folder, whole, not archived as the 200 bytes stored
        assert visible_files(root / "archive" / ACME) == []
        gw.serve(once=True)
    finally:
        gw.close()

    partial, final = sorted(store_rows(home_store_url(root, None), "receipts"), key=lambda r: r["id"])
    assert (partial["size"], partial["state"], final["size"], final["state"]) == (200, "quarantined", len(full), "processed")
    (item,) = quarantine_list(gateway_exe, root)
    assert item["code"] == "intake.changed_after_read" and item["receipt_id"] == partial["id"]
    assert "po-late.x12 changed after it was read: 200 bytes stored" in item["reason"]
    (archived,) = visible_files(root / "archive" / ACME)
    assert archived.read_bytes() == full and sha(full) == final["sha256"]
    assert list(deliveries_by_po(root / "erp" / "purchase_order")) == ["PO-LATE-515"]
    outbound = visible_files(root / "outbound" / ACME)
    assert [s for p in outbound for s in segments(p) if s.startswith("TA1")] == [], "a TA1 went out for the partial copy"
    assert len(outbound) == 1 and "AK9*A*1*1*1" in segments(outbound[0])
