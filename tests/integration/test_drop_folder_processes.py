"""Drop folders against real writers in other processes: inotify wake-ups, partial files, competing pollers, kill -9."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from serve_helpers import write_slowly_in_place

from gateway.channels import writers
from gateway.channels.base import Inbound
from gateway.channels.drop_folder import CLAIMS, DropFolder

CHUNK = b"ST*850*0001~" * 500  # 6 000 bytes


def run_python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args])


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


SLOW_WRITER = """
    import os, sys, time
    folder, name, chunks, pause, temp = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    chunk = b"ST*850*0001~" * 500
    path = os.path.join(folder, temp or name)  # temp: the temporary name, renamed to name at the end
    with open(path, "wb") as f:
        for _ in range(chunks):
            f.write(chunk)
            f.flush()
            time.sleep(pause)
    if temp:
        os.rename(path, os.path.join(folder, name))
"""

# 515 bytes, as in the report: the first 200 written, then the rest after pauses
# A whole interchange of 515 bytes (the tester's file), ending with its IEA: a file that stops short of an IEA is
# held longer by the drop folder (UNFINISHED_X12_SECONDS), which these tests do not mean to wait for.
PAYLOAD = (b"ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*WIDGETCO       *241104*0700*U*00401*000000515*0*P*>~"
           + b"GS*PO*ACMERETAIL*WIDGETCO*20241104*0700*515*X*004010~ST*850*0001~BEG*00*SA*PO-515**20241104~"
           + b"".join(b"PO1*%d*5*EA*9.99**VP*W-%d~" % (i, i) for i in range(1, 11))
           + b"PID*F****" + b"X" * 22 + b"~CTT*10~SE*15*0001~GE*1*515~IEA*1*000000515~")
assert len(PAYLOAD) == 515

class Poller:
    """What ``gateway serve`` does: poll when woken, and keep a record of what was handed over."""

    def __init__(self, folder: DropFolder) -> None:
        self.folder = folder
        self.got: list[Inbound] = []
        self.woken = threading.Event()

    def accept(self, inbound: Inbound) -> None:
        self.got.append(inbound)

    def wake(self) -> None:
        self.woken.set()

    def poll(self) -> int:
        return self.folder.poll(self.accept)


def test_watch_wakes_on_a_rename_by_another_process(tmp_path):
    inbound = tmp_path / "in"
    poller = Poller(DropFolder("acme", inbound, tmp_path / "archive"))
    poller.folder.watch(poller.wake)
    try:
        writer = run_python(SLOW_WRITER, str(inbound), "po.edi", "3", "0.05", "po.edi.tmp")
        assert writer.wait(10) == 0
        renamed_at = time.monotonic()
        assert poller.woken.wait(2), "no wake-up after the rename"
        assert time.monotonic() - renamed_at < 1
        assert poller.poll() == 1
        assert poller.got[0].data == CHUNK * 3
    finally:
        poller.folder.close()


def test_watch_ignores_temporary_names_and_close_is_idempotent(tmp_path):
    inbound = tmp_path / "in"
    poller = Poller(DropFolder("acme", inbound, tmp_path / "archive"))
    poller.folder.watch(poller.wake)
    try:
        (inbound / "po.edi.part").write_bytes(b"partial")
        (inbound / ".hidden").write_bytes(b"x")
        assert not poller.woken.wait(0.3)
        (inbound / "sub").mkdir()
        assert not poller.woken.wait(0.2)
    finally:
        poller.folder.close()
        poller.folder.close()


@pytest.mark.parametrize("temp", ["po.edi.part", "po.edi.tmp", "po.edi.filepart", "po.edi.partial", "po.edi~", ".po.edi"])
def test_a_slow_writer_under_a_temporary_name_is_never_seen_half_way(tmp_path, temp):
    inbound, archive = tmp_path / "in", tmp_path / "archive"
    poller = Poller(DropFolder("acme", inbound, archive))
    poller.folder.watch(poller.wake)
    try:
        writer = run_python(SLOW_WRITER, str(inbound), "po.edi", "8", "0.04", temp)
        deadline = time.monotonic() + 10
        while writer.poll() is None or not poller.got:  # poll as hard as we can while it writes
            poller.poll()
            assert time.monotonic() < deadline
            if writer.returncode not in (None, 0):
                pytest.fail(f"writer failed: {writer.returncode}")
            time.sleep(0.005)
        assert [i.data for i in poller.got] == [CHUNK * 8]
        assert_archived_as_stored(archive, poller.got[0])
    finally:
        writer.wait(10)
        poller.folder.close()


def assert_archived_as_stored(archive: Path, stored: Inbound) -> None:
    (archived,) = archive.rglob(stored.name)
    assert hashlib.sha256(archived.read_bytes()).hexdigest() == stored.meta["sha256"] == hashlib.sha256(stored.data).hexdigest()


def take_while_written(folder: DropFolder, writer: subprocess.Popen, timeout: float = 20) -> list[Inbound]:
    """Poll as hard as ``gateway serve`` could (watching, and listing every 5 ms) until the writer is done and
    its file taken; then a little longer, to see nothing else comes."""
    poller = Poller(folder)
    folder.watch(poller.wake)
    try:
        deadline = time.monotonic() + timeout
        while writer.poll() is None or not poller.got:
            poller.poll()
            if writer.returncode not in (None, 0):
                pytest.fail(f"writer failed: {writer.returncode}")
            assert time.monotonic() < deadline, f"nothing taken after {timeout}s"
            time.sleep(0.005)
        for _ in range(20):
            poller.poll()
            time.sleep(0.01)
    finally:
        writer.wait(10)
        folder.close()
    return poller.got


@pytest.fixture
def no_leases(monkeypatch):
    """The kernel cannot tell who writes (a file another user owns, no CAP_LEASE; a mount without leases)."""
    monkeypatch.setattr(writers, "_LEASES", False)


@pytest.mark.parametrize("mode, marker", [("renamed", ""), ("stable", ""), ("marker", "late"), ("marker", "early")])
def test_file_written_in_place_slowly_is_taken_whole(tmp_path, mode, marker):
    """The report: 515 bytes written in place, 200 of them stored and rejected. Now the whole file, in every mode."""
    inbound, archive = tmp_path / "in", tmp_path / "archive"
    writer = write_slowly_in_place(inbound / "po.edi", PAYLOAD, first=200, chunk=105, pause=0.3, marker=marker)
    got = take_while_written(DropFolder("acme", inbound, archive, complete_when=mode, stable_seconds=1), writer)
    assert [len(i.data) for i in got] == [515]
    assert got[0].data == PAYLOAD
    assert_archived_as_stored(archive, got[0])


@pytest.mark.parametrize("mode, witness", [("renamed", "kernel"), ("renamed", "watcher"), ("stable", "kernel"), ("marker", "watcher")])
def test_a_writer_pausing_longer_than_the_quiet_period_is_still_waited_for(tmp_path, request, mode, witness):
    """Pauses longer than quiet_seconds (or stable_seconds): only the writer's open file tells it is not done.
    ``watcher``: the kernel cannot tell (leases refused), inotify's modify-without-close does."""
    if witness == "watcher":
        request.getfixturevalue("no_leases")
    inbound, archive = tmp_path / "in", tmp_path / "archive"
    writer = write_slowly_in_place(inbound / "po.edi", PAYLOAD, first=200, chunk=315, pause=1.6, marker="early" if mode == "marker" else "")
    got = take_while_written(DropFolder("acme", inbound, archive, complete_when=mode, stable_seconds=1, quiet_seconds=1), writer)
    assert [i.data for i in got] == [PAYLOAD]
    assert_archived_as_stored(archive, got[0])


def test_stable_mode_waits_for_an_in_place_writer_to_stop(tmp_path):
    inbound = tmp_path / "in"
    inbound.mkdir()
    poller = Poller(DropFolder("acme", inbound, tmp_path / "archive", complete_when="stable", stable_seconds=1))
    writer = run_python(SLOW_WRITER, str(inbound), "po.edi", "4", "0.3", "")  # final name, 0.3 s pauses
    deadline = time.monotonic() + 10
    while not poller.got and time.monotonic() < deadline:
        poller.poll()
        time.sleep(0.05)
    assert writer.wait(10) == 0
    assert [i.data for i in poller.got] == [CHUNK * 4]


COMPETING_POLLER = """
    import os, sys, time
    from gateway.channels.drop_folder import DropFolder
    inbound, archive, out, go = sys.argv[1:5]
    folder = DropFolder("acme", inbound, archive, quiet_seconds=0)  # files written in place just before: no quiet period
    with open(out, "a") as record:
        def accept(inbound):
            record.write(inbound.name + "\\n")
            record.flush()
            time.sleep(0.002)  # let the other poller in
        while not os.path.exists(go):
            time.sleep(0.001)
        idle = 0
        while idle < 5:
            idle = 0 if folder.poll(accept) else idle + 1
            time.sleep(0.001)
"""


def test_two_processes_take_each_file_exactly_once(tmp_path):
    inbound, archive, go = tmp_path / "in", tmp_path / "archive", tmp_path / "go"
    inbound.mkdir()
    names = [f"po-{n:03d}.edi" for n in range(60)]
    for name in names:
        (inbound / name).write_bytes(name.encode())
    records = [tmp_path / "a.txt", tmp_path / "b.txt"]
    pollers = [run_python(COMPETING_POLLER, str(inbound), str(archive), str(r), str(go)) for r in records]
    time.sleep(0.3)  # both imported and waiting
    go.touch()
    assert [p.wait(20) for p in pollers] == [0, 0]
    taken = [r.read_text().split() for r in records]
    assert sorted(taken[0] + taken[1]) == names  # every file once, none twice
    assert visible(inbound) == []
    assert sorted(p.name for p in archive.rglob("*.edi")) == names


KILLED_MID_ACCEPT = """
    import os, signal, sys
    from gateway.channels.drop_folder import DropFolder
    def accept(inbound):
        os.kill(os.getpid(), signal.SIGKILL)  # stored or not: killed between claim and archive
    DropFolder("acme", sys.argv[1], sys.argv[2], quiet_seconds=0).poll(accept)
"""


def test_kill_9_between_claim_and_archive_loses_nothing(tmp_path):
    inbound, archive = tmp_path / "in", tmp_path / "archive"
    inbound.mkdir()
    (inbound / "po.edi").write_bytes(b"precious")
    victim = run_python(KILLED_MID_ACCEPT, str(inbound), str(archive))
    assert victim.wait(10) == -9
    assert visible(inbound) == [] and len(list((inbound / CLAIMS).glob("*/po.edi"))) == 1
    poller = Poller(DropFolder("acme", inbound, archive, quiet_seconds=0))
    assert poller.poll() == 1
    assert poller.got[0].data == b"precious"
    assert list((inbound / CLAIMS).glob(f"{victim.pid}-*")) == []  # the dead process's claims folder is gone


def test_an_x12_writer_closing_and_reopening_the_file_seconds_apart_is_taken_whole(tmp_path, no_leases):
    """Neither witness sees a writer that closes the file between its pieces; the content does: an interchange
    without its IEA waits (up to unfinished_seconds) for the rest, instead of being taken in pieces."""
    inbound, archive = tmp_path / "in", tmp_path / "archive"
    inbound.mkdir()
    writer = run_python(APPENDING_WRITER, str(inbound / "po.x12"), PAYLOAD.hex(), "150", "1.5")
    got = take_while_written(DropFolder("acme", inbound, archive, quiet_seconds=0.5, unfinished_seconds=10), writer)
    assert [i.data for i in got] == [PAYLOAD]
    assert_archived_as_stored(archive, got[0])


def test_an_x12_file_that_never_gets_its_iea_is_taken_after_unfinished_seconds(tmp_path):
    # nothing is lost: a truncated interchange is taken in the end, and validation says what is wrong with it
    inbound = tmp_path / "in"
    inbound.mkdir()
    (inbound / "cut.x12").write_bytes(PAYLOAD[:300])
    folder = DropFolder("acme", inbound, tmp_path / "archive", quiet_seconds=0.2, unfinished_seconds=1.5)
    poller = Poller(folder)
    started = time.monotonic()
    while not poller.got and time.monotonic() - started < 10:
        poller.poll()
        time.sleep(0.05)
    assert [i.data for i in poller.got] == [PAYLOAD[:300]]
    assert time.monotonic() - started >= 1.2


APPENDING_WRITER = """
import sys, time
path, data, piece, pause = sys.argv[1], bytes.fromhex(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
for pos in range(0, len(data), piece):
    with open(path, "ab") as f:  # opened, appended, closed: nothing but the content tells it is not done
        f.write(data[pos:pos + piece])
    if pos + piece < len(data):
        time.sleep(pause)
"""
