"""Log injection: a file named with a line break, a carriage return or terminal escapes, dropped into a
partner's folder under a real ``gateway serve --once``, must not forge a log line nor reach the terminal raw."""

from __future__ import annotations

import json
import re

from serve_helpers import ACME, Serve, acme_850s, drop, make_home, quarantine_list, status

FORGED = "2024-01-01T00:00:00 info    acknowledgement written: forged.997 (a file name holds no slash)"
RECORD = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d (debug|info|warning|error|critical) ")


def test_file_named_to_forge_log_lines_is_logged_on_one_escaped_line(gateway_exe, tmp_path):
    home = make_home(tmp_path / "home", {"workers": {"poll_seconds": 0.1, "rescan_seconds": 0.5}, "logging": {"format": "text"}})
    valid = f"orders.x12\n{FORGED}\r\x1b[2K\x1b[1A\x1b]0;owned\x07.x12"
    broken = f"junk\r\n{FORGED.replace('acknowledgement', 'ack')}\x1b[31m\u2028.x12"
    drop(home, valid, acme_850s(501, ["PO-LOG-1"]))
    drop(home, broken, b"this is not X12")
    server = Serve(gateway_exe, home, "--once", "--log-level", "info")
    try:
        assert server.wait(120) == 0, server.stderr()
    finally:
        server.cleanup()
    raw = server.stderr_path.read_bytes().decode("utf-8")
    assert "\r" not in raw and "\x1b" not in raw and "\x07" not in raw and "\u2028" not in raw
    lines = raw.split("\n")[:-1]
    forged = [line for line in lines if not (RECORD.match(line) or line.startswith("  "))]
    assert not forged, raw
    assert "received orders.x12\\n" + FORGED + "\\r\\x1b[2K\\x1b[1A\\x1b]0;owned\\x07.x12" in raw
    assert "junk\\r\\n2024-01-01T00:00:00 info    ack written" in raw
    # The files themselves went through as any other: the order delivered, the junk quarantined under its own name.
    doc = status(gateway_exe, home)
    assert doc["transactions"]["delivered"] == 1 and doc["partners"][ACME]["files"] == 2, json.dumps(doc)
    assert [q["code"] for q in quarantine_list(gateway_exe, home)] == ["input.invalid"]
