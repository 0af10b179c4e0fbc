"""Progress of long runs: a status line on stderr when stderr is a terminal (a pseudo-terminal here), nothing on a pipe.

``serve --once`` waiting for a file still being written, and ``translate`` of a 15,000-order file, run as
real processes with stderr on a pty (stdout to a file), then again with stderr on a pipe.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import tempfile
import time

from serve_helpers import ACME, acme_850s, gateway_env, make_home, write_slowly_in_place

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d (info|warning|error) ")
SERVE_LINE = re.compile(r"\r(\d+) files? received, (\d+) documents? delivered, \d+ quarantined, \d+ work items? queued")
TRANSLATE_LINE = re.compile(r"\rtranslating big\.x12: (\d+)% \([\d.]+ (?:bytes|kB|MB) of [\d.]+ MB\), (\d+) documents?")


def on_a_terminal(args: list[str], timeout: float = 120) -> tuple[int, str, str]:
    """Run ``args`` with stderr on a pseudo-terminal and stdout to a file: (exit code, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=slave, env=gateway_env())
        os.close(slave)
        shown = bytearray()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if select.select([master], [], [], 0.2)[0]:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:  # EIO: every writer of the terminal is gone
                        break
                    if not chunk:
                        break
                    shown += chunk
            else:
                proc.kill()
                raise AssertionError(f"{args} still running after {timeout}s")
            code = proc.wait(10)
        finally:
            os.close(master)
        out.seek(0)
        return code, out.read().decode(), shown.decode(errors="replace").replace("\r\n", "\n")


def on_a_pipe(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=gateway_env(), timeout=timeout)


def visible_lines(shown: str) -> list[str]:
    """The terminal's lines as a person sees them: what follows the last carriage return of each."""
    return [line.rsplit("\r", 1)[-1] for line in shown.split("\n")]


def test_serve_once_on_a_terminal_shows_a_status_line_and_none_on_a_pipe(gateway_exe, tmp_path):
    for n, stderr in enumerate(("terminal", "pipe")):
        home = make_home(tmp_path / f"home-{stderr}")
        path = home / "inbound" / ACME / "po-slow.x12"
        data = acme_850s(600 + n, ["PO-SLOW"])
        writer = write_slowly_in_place(path, data, first=100, chunk=200, pause=1.0)  # about 4 s: serve --once waits for it
        args = [gateway_exe, "--home", str(home), "serve", "--once"]
        try:
            if stderr == "terminal":
                code, _, shown = on_a_terminal(args)
            else:
                done = on_a_pipe(args)
                code, shown = done.returncode, done.stderr
        finally:
            writer.wait(30)
        assert code == 0, shown
        lines = [line for line in visible_lines(shown) if line]
        assert lines[-1].endswith("info    stopped: 1 file received, 1 document delivered, 0 quarantined, 1 acknowledgement written"), shown
        if stderr == "pipe":
            assert "\r" not in shown and not SERVE_LINE.search(shown), shown
            continue
        status_lines = SERVE_LINE.findall(shown)
        assert len(status_lines) >= 2, shown  # about once a second while it waited
        assert status_lines[0][0] == "0"
        # log lines are never written over the status line: it is cleared before each, and for good at the end
        assert all(TIMESTAMP.match(line) for line in lines), lines


def test_translate_of_a_big_file_shows_progress_on_a_terminal_never_on_stdout_or_a_pipe(gateway_exe, tmp_path):
    orders = 15_000
    big = tmp_path / "big.x12"
    big.write_bytes(acme_850s(700, [f"PO{n:06d}" for n in range(orders)]))
    args = [gateway_exe, "translate", str(big), "--format", "jsonl"]

    code, stdout, shown = on_a_terminal(args)
    assert code == 0, shown
    assert [json.loads(line)["po_number"] for line in stdout.splitlines()] == [f"PO{n:06d}" for n in range(orders)]
    progress = [(int(p), int(d)) for p, d in TRANSLATE_LINE.findall(shown)]
    assert progress, shown[-2000:]
    assert progress == sorted(progress) and all(0 <= p <= 100 and 0 < d <= orders for p, d in progress)
    assert visible_lines(shown)[-2:] == [f"{big}: {orders} documents, 0 failed, partner {ACME}", ""]  # the line was cleared

    done = on_a_pipe(args)
    assert done.returncode == 0
    assert "translating" not in done.stderr and "\r" not in done.stderr
    assert done.stderr.splitlines() == [f"{big}: {orders} documents, 0 failed, partner {ACME}"]
    assert done.stdout == stdout
