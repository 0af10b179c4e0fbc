"""Drop folders: completion rules, claims, archive, acknowledgement on failure, profile defaults, outbound writes."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from gateway.channels import writers
from gateway.channels.base import Channel, Inbound
from gateway.channels.drop_folder import CLAIMS, DropFolder, drop_folders, is_temporary, write_outbound
from gateway.config.partner import load_profile
from gateway.home import Home


def publish(folder: Path, name: str, data: bytes) -> Path:
    """Write-then-rename, the way a well-behaved partner delivers."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{name}.tmp"
    tmp.write_bytes(data)
    os.rename(tmp, folder / name)
    return folder / name


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def today(archive: Path) -> Path:
    day = datetime.now(UTC)
    return archive / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"


class Collect:
    def __init__(self) -> None:
        self.got: list[Inbound] = []

    def __call__(self, inbound: Inbound) -> str:
        self.got.append(inbound)
        return f"r{len(self.got)}"

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.got]


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "in", tmp_path / "archive"


def quick_folder(inbound: Path, archive: Path | None, **options) -> DropFolder:
    """Acme's drop folder without the quiet period, for what happens once a file is complete (the quiet
    period has tests of its own; the writer checks stay)."""
    return DropFolder("acme", inbound, archive, **{"quiet_seconds": 0, **options})


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_is_a_channel(dirs):
    inbound, archive = dirs
    channel: Channel = DropFolder("acme", inbound, archive)
    assert channel.name == "drop_folder:acme"
    with pytest.raises(ValueError, match="complete_when"):
        DropFolder("acme", inbound, archive, complete_when="soon")  # type: ignore[arg-type]


def test_missing_folder_is_created_on_first_poll(dirs):
    inbound, archive = dirs
    assert quick_folder(inbound, archive).poll(Collect()) == 0
    assert inbound.is_dir()


def test_temporary_names_markers_and_subfolders_are_never_taken(dirs):
    inbound, archive = dirs
    inbound.mkdir()
    names = [".hidden", "a.tmp", "b.part", "c.partial", "d.edi~", "e.filepart", "F.TMP", "g.edi.done"]
    for name in names:
        (inbound / name).write_bytes(b"x")
    (inbound / "sub").mkdir()
    (inbound / "sub" / "inside.edi").write_bytes(b"x")
    (inbound / "link.edi").symlink_to(inbound / "a.tmp")
    accept = Collect()
    assert quick_folder(inbound, archive).poll(accept) == 0
    assert accept.got == []
    assert all((inbound / n).exists() for n in names)
    assert all(is_temporary(n) for n in names[:-1]) and not is_temporary("g.edi.done")


def test_renamed_file_is_taken_archived_and_described(dirs):
    inbound, archive = dirs
    data = b"ISA*00*...~"
    publish(inbound, "po-1.edi", data)
    accept = Collect()
    assert quick_folder(inbound, archive).poll(accept) == 1
    (got,) = accept.got
    assert (got.name, got.data, got.channel, got.partner_id) == ("po-1.edi", data, "drop_folder", "acme")
    assert got.meta["path"] == str(inbound / "po-1.edi")
    assert got.meta["size"] == len(data)
    assert got.meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert isinstance(got.meta["mtime"], float)
    assert visible(inbound) == []
    assert (today(archive) / "po-1.edi").read_bytes() == data


def test_files_are_offered_in_name_order_and_pattern_filters(dirs):
    inbound, archive = dirs
    for name in ("c.edi", "a.edi", "b.edi", "notes.txt"):
        publish(inbound, name, name.encode())
    accept = Collect()
    assert quick_folder(inbound, archive, pattern="*.edi").poll(accept) == 3
    assert accept.names == ["a.edi", "b.edi", "c.edi"]
    assert visible(inbound) == ["notes.txt"]


def test_a_fresh_file_not_seen_renamed_in_waits_for_its_quiet_period(dirs):
    inbound, archive = dirs
    path = publish(inbound, "po.edi", b"x")  # renamed in, but nobody was watching: it may as well be written in place
    folder = DropFolder("acme", inbound, archive, quiet_seconds=60)
    accept = Collect()
    assert folder.poll(accept) == 0
    assert folder.waiting() == 1
    old = time.time() - 120
    os.utime(path, (old, old))  # unchanged for two minutes
    assert folder.poll(accept) == 1
    assert folder.waiting() == 0


def test_a_file_with_an_mtime_in_the_future_is_taken_once_unchanged_for_the_quiet_period(dirs):
    inbound, archive = dirs
    path = publish(inbound, "po.edi", b"x")
    ahead = time.time() + 3600  # the writer's clock (a file server's) runs ahead of ours
    os.utime(path, (ahead, ahead))
    folder = DropFolder("acme", inbound, archive, quiet_seconds=0.5)
    accept = Collect()
    assert folder.poll(accept) == 0
    time.sleep(0.55)
    assert folder.poll(accept) == 1


def test_without_archive_the_file_is_deleted(dirs):
    inbound, archive = dirs
    publish(inbound, "po.edi", b"x")
    assert quick_folder(inbound, None).poll(Collect()) == 1
    assert visible(inbound) == []
    assert not archive.exists()


def test_marker_mode_waits_for_the_marker_and_removes_it(dirs):
    inbound, archive = dirs
    inbound.mkdir()
    (inbound / "po.edi").write_bytes(b"written in place")
    folder = quick_folder(inbound, archive, complete_when="marker")
    accept = Collect()
    assert folder.poll(accept) == 0
    (inbound / "po.edi.done").write_bytes(b"")
    assert folder.poll(accept) == 1
    assert accept.got[0].data == b"written in place"
    assert visible(inbound) == []
    assert (today(archive) / "po.edi").exists() and not (today(archive) / "po.edi.done").exists()


def test_marker_mode_keeps_the_marker_when_accept_fails(dirs):
    inbound, archive = dirs
    inbound.mkdir()
    (inbound / "po.edi").write_bytes(b"x")
    (inbound / "po.edi.done").write_bytes(b"")
    folder = quick_folder(inbound, archive, complete_when="marker")

    def fail(inbound: Inbound) -> None:
        raise RuntimeError("store down")

    assert folder.poll(fail) == 0
    assert visible(inbound) == ["po.edi", "po.edi.done"]
    assert folder.poll(Collect()) == 1


def test_stable_mode_needs_two_sightings_a_period_apart(dirs):
    inbound, archive = dirs
    inbound.mkdir()
    (inbound / "po.edi").write_bytes(b"x" * 100)
    folder = DropFolder("acme", inbound, archive, complete_when="stable", stable_seconds=1)
    accept = Collect()
    assert folder.poll(accept) == 0  # first sighting: remembered only
    assert folder.poll(accept) == 0  # unchanged, but not for long enough
    time.sleep(1.05)
    assert folder.poll(accept) == 1
    assert accept.got[0].data == b"x" * 100


def test_stable_mode_does_not_take_a_growing_file(dirs):
    inbound, archive = dirs
    inbound.mkdir()
    path = inbound / "po.edi"
    path.write_bytes(b"x" * 100)
    folder = DropFolder("acme", inbound, archive, complete_when="stable", stable_seconds=1)
    accept = Collect()
    assert folder.poll(accept) == 0
    time.sleep(1.05)
    with open(path, "ab") as f:
        f.write(b"y" * 100)
    assert folder.poll(accept) == 0  # a period has passed, but the size changed
    time.sleep(1.05)
    assert folder.poll(accept) == 1
    assert accept.got[0].data == b"x" * 100 + b"y" * 100


def test_a_file_changed_between_listing_and_reading_is_put_back(dirs):
    inbound, archive = dirs
    publish(inbound, "a.edi", b"a")
    publish(inbound, "b.edi", b"b")

    def accept(inbound_file: Inbound) -> None:
        if inbound_file.name == "a.edi":
            with open(inbound / "b.edi", "ab") as f:  # a writer appending in place after the listing
                f.write(b"more")

    folder = quick_folder(inbound, archive)
    assert folder.poll(accept) == 1
    assert visible(inbound) == ["b.edi"]
    collect = Collect()
    assert folder.poll(collect) == 1
    assert collect.got[0].data == b"bmore"


def test_same_name_on_the_same_day_is_never_overwritten_in_the_archive(dirs):
    inbound, archive = dirs
    folder = quick_folder(inbound, archive)
    for n in range(3):
        publish(inbound, "po.edi", f"copy {n}".encode())
        publish(inbound, "README", f"readme {n}".encode())
        assert folder.poll(Collect()) == 2
    day = today(archive)
    assert sorted(p.name for p in day.iterdir()) == ["README", "README.1", "README.2", "po.1.edi", "po.2.edi", "po.edi"]
    assert [(day / n).read_bytes() for n in ("po.edi", "po.1.edi", "po.2.edi")] == [b"copy 0", b"copy 1", b"copy 2"]


def test_archive_on_another_filesystem(tmp_path):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second filesystem at /dev/shm")
    archive = shm / f"drop-folder-test-{os.getpid()}-{time.monotonic_ns()}"
    try:
        folder = quick_folder(tmp_path / "in", archive)
        for data in (b"one", b"two"):
            publish(tmp_path / "in", "po.edi", data)
            assert folder.poll(Collect()) == 1
        day = today(archive)
        assert sorted(p.name for p in day.iterdir()) == ["po.1.edi", "po.edi"]
        assert (day / "po.1.edi").read_bytes() == b"two"
        assert visible(tmp_path / "in") == []
    finally:
        import shutil

        shutil.rmtree(archive, ignore_errors=True)


def test_accept_raising_leaves_the_file_for_the_next_poll(dirs, caplog):
    inbound, archive = dirs
    publish(inbound, "a.edi", b"a")
    publish(inbound, "b.edi", b"b")

    def accept(inbound_file: Inbound) -> None:
        if inbound_file.name == "a.edi":
            raise RuntimeError("store down")

    folder = quick_folder(inbound, archive)
    with caplog.at_level(logging.WARNING, logger="gateway.channels"):
        assert folder.poll(accept) == 1
    assert "a.edi not stored" in caplog.text and "store down" in caplog.text
    assert visible(inbound) == ["a.edi"]
    assert list((inbound / CLAIMS).glob("*/*")) == []
    collect = Collect()
    assert folder.poll(collect) == 1
    assert collect.names == ["a.edi"]


def test_interrupt_in_accept_puts_the_file_back_and_propagates(dirs):
    inbound, archive = dirs
    publish(inbound, "a.edi", b"a")

    def accept(inbound_file: Inbound) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        quick_folder(inbound, archive).poll(accept)
    assert visible(inbound) == ["a.edi"]


def test_a_file_that_vanishes_before_reading_is_skipped_quietly(dirs, caplog):
    inbound, archive = dirs
    publish(inbound, "a.edi", b"a")
    publish(inbound, "b.edi", b"b")

    def accept(inbound_file: Inbound) -> None:
        (inbound / "b.edi").unlink()  # another process took it after our listing

    with caplog.at_level(logging.DEBUG, logger="gateway.channels"):
        assert quick_folder(inbound, archive).poll(accept) == 1
    assert caplog.records == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_reported_and_skipped(dirs, caplog):
    inbound, archive = dirs
    publish(inbound, "a.edi", b"a")
    publish(inbound, "b.edi", b"b").chmod(0)
    accept = Collect()
    folder = quick_folder(inbound, archive)
    with caplog.at_level(logging.WARNING, logger="gateway.channels"):
        assert folder.poll(accept) == 1
    assert accept.names == ["a.edi"]
    assert [r.getMessage() for r in caplog.records if "cannot read" in r.getMessage()] != []
    assert len(caplog.records) == 1
    assert visible(inbound) == ["b.edi"]


def test_a_stale_claim_of_a_dead_process_is_recovered(dirs):
    inbound, archive = dirs
    stale = inbound / CLAIMS / f"{dead_pid()}-0badc0de"
    stale.mkdir(parents=True)
    (stale / "po.edi").write_bytes(b"claimed, then kill -9")
    accept = Collect()
    assert quick_folder(inbound, archive).poll(accept) == 1
    assert accept.got[0].data == b"claimed, then kill -9"
    assert not stale.exists()
    assert (today(archive) / "po.edi").exists()


def test_a_recovered_claim_does_not_replace_a_new_file_of_the_same_name(dirs):
    inbound, archive = dirs
    publish(inbound, "po.edi", b"new")
    stale = inbound / CLAIMS / f"{dead_pid()}-0badc0de"
    stale.mkdir(parents=True)
    (stale / "po.edi").write_bytes(b"old")
    accept = Collect()
    assert quick_folder(inbound, archive).poll(accept) == 2
    assert sorted(i.data for i in accept.got) == [b"new", b"old"]


def test_a_stale_claim_in_marker_mode_gets_its_marker_back(dirs):
    inbound, archive = dirs
    stale = inbound / CLAIMS / f"{dead_pid()}-0badc0de"
    stale.mkdir(parents=True)
    (stale / "po.edi").write_bytes(b"x")
    accept = Collect()
    assert quick_folder(inbound, archive, complete_when="marker").poll(accept) == 1
    assert visible(inbound) == []


def test_a_claim_of_our_own_pid_from_an_earlier_process_is_recovered(dirs):
    inbound, archive = dirs
    earlier = inbound / CLAIMS / f"{os.getpid()}-0badc0de"  # a restarted container reuses pid 1
    earlier.mkdir(parents=True)
    (earlier / "po.edi").write_bytes(b"x")
    assert quick_folder(inbound, archive).poll(Collect()) == 1


def test_a_live_claim_is_left_alone(dirs):
    inbound, archive = dirs
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        live = inbound / CLAIMS / f"{sleeper.pid}-0badc0de"
        live.mkdir(parents=True)
        (live / "po.edi").write_bytes(b"being stored by another worker")
        odd = inbound / CLAIMS / "not-a-claim"
        odd.mkdir()
        (odd / "x.edi").write_bytes(b"x")
        accept = Collect()
        assert quick_folder(inbound, archive).poll(accept) == 0
        assert (live / "po.edi").exists() and (odd / "x.edi").exists()
    finally:
        sleeper.kill()
        sleeper.wait()


# -- files still being written, and what was stored against what is archived ----------------------


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def no_leases(monkeypatch):
    """The kernel cannot tell who writes (a file another user owns, no CAP_LEASE; a mount without leases)."""
    monkeypatch.setattr(writers, "_LEASES", False)


@pytest.mark.parametrize("mode", ["renamed", "marker", "stable"])
def test_a_file_held_open_for_writing_is_not_taken_whatever_the_mode(dirs, mode):
    inbound, archive = dirs
    inbound.mkdir()
    path = inbound / "po.edi"
    folder = quick_folder(inbound, archive, complete_when=mode, stable_seconds=0.2)
    accept = Collect()
    with open(path, "wb") as writer:  # written in place, half-way there
        writer.write(b"ISA*00*half")
        writer.flush()
        if mode == "marker":
            (inbound / "po.edi.done").touch()  # a marker written too early
        for _ in range(3):
            assert folder.poll(accept) == 0
            time.sleep(0.15)
        assert folder.waiting() == 1
        writer.write(b"*the rest~")
    deadline = time.monotonic() + 3
    while not folder.poll(accept):  # stable mode: the new size must hold for its period first
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert [i.data for i in accept.got] == [b"ISA*00*half*the rest~"]


def test_the_archived_file_holds_the_stored_bytes(dirs):
    inbound, archive = dirs
    publish(inbound, "po.edi", b"ISA*00*whole~")
    accept = Collect()
    assert quick_folder(inbound, archive).poll(accept) == 1
    (got,) = accept.got
    assert got.meta["sha256"] == sha(got.data) == sha((today(archive) / "po.edi").read_bytes())


class WriterStillAtIt(Collect):
    """``accept`` during which a writer that kept the file open appends to it: the file changes after it was read."""

    def __init__(self, inbound: Path, more: bytes) -> None:
        super().__init__()
        self.inbound, self.more = inbound, more
        self.changed: list[tuple[Inbound, object, str]] = []

    def __call__(self, inbound: Inbound) -> str:
        receipt = super().__call__(inbound)
        if len(self.got) == 1:
            (claimed,) = (self.inbound / CLAIMS).glob(f"*/{inbound.name}")
            with open(claimed, "ab") as f:
                f.write(self.more)
        return receipt

    def report(self, inbound: Inbound, receipt: object, detail: str) -> None:
        self.changed.append((inbound, receipt, detail))


@pytest.mark.parametrize("archived", [True, False], ids=["archive", "no-archive"])
def test_a_file_changed_after_it_was_read_is_not_archived_as_the_stored_one(dirs, caplog, archived):
    inbound, archive = dirs
    publish(inbound, "po.edi", b"ISA*00*first 200 bytes")
    accept = WriterStillAtIt(inbound, b"*and the rest~")
    folder = quick_folder(inbound, archive if archived else None, on_changed=accept.report)
    with caplog.at_level(logging.ERROR, logger="gateway.channels"):
        assert folder.poll(accept) == 1
    assert "po.edi changed after it was read: 22 bytes stored" in caplog.text
    (stored, receipt, detail), = accept.changed
    assert (stored.data, receipt) == (b"ISA*00*first 200 bytes", "r1")
    assert "36 bytes" in detail and sha(b"ISA*00*first 200 bytes*and the rest~")[:12] in detail
    assert not archive.exists() or list(archive.rglob("*.edi")) == []  # not archived as if it were the stored file
    assert (inbound / "po.edi").read_bytes() == b"ISA*00*first 200 bytes*and the rest~"  # back, to be taken again
    assert list((inbound / CLAIMS).glob("*/*")) == []

    assert folder.poll(accept) == 1  # the final content, as a new file
    assert accept.got[1].data == b"ISA*00*first 200 bytes*and the rest~"
    if archived:
        assert [p.read_bytes() for p in today(archive).iterdir()] == [accept.got[1].data]
    assert visible(inbound) == []


def test_a_changed_file_in_marker_mode_goes_back_with_its_marker(dirs):
    inbound, archive = dirs
    inbound.mkdir()
    (inbound / "po.edi").write_bytes(b"ISA*00*first")
    (inbound / "po.edi.done").touch()
    accept = WriterStillAtIt(inbound, b"*rest~")
    folder = quick_folder(inbound, archive, complete_when="marker", on_changed=accept.report)
    assert folder.poll(accept) == 1 and len(accept.changed) == 1
    assert visible(inbound) == ["po.edi", "po.edi.done"]
    assert folder.poll(accept) == 1
    assert accept.got[1].data == b"ISA*00*first*rest~"
    assert visible(inbound) == []


def test_a_failing_change_report_still_puts_the_file_back(dirs, caplog):
    inbound, archive = dirs
    publish(inbound, "po.edi", b"ISA*00*first")
    accept = WriterStillAtIt(inbound, b"*rest~")

    def report(*_):
        raise RuntimeError("store down")

    with caplog.at_level(logging.ERROR, logger="gateway.channels"):
        assert quick_folder(inbound, archive, on_changed=report).poll(accept) == 1
    assert "reporting that po.edi changed after it was read failed" in caplog.text
    assert (inbound / "po.edi").read_bytes() == b"ISA*00*first*rest~"


def test_a_file_seen_renamed_in_is_taken_without_a_quiet_period(dirs):
    inbound, archive = dirs
    folder = DropFolder("acme", inbound, archive, quiet_seconds=60)
    woken = threading.Event()
    folder.watch(woken.set)
    try:
        publish(inbound, "po.edi", b"ISA*00*renamed in~")
        assert woken.wait(5)
        accept = Collect()
        deadline = time.monotonic() + 5
        while not folder.poll(accept):  # the rename event may trail the listing by a moment
            assert time.monotonic() < deadline, "a file renamed in under the watcher's eyes waited for its quiet period"
            time.sleep(0.02)
        assert accept.got[0].data == b"ISA*00*renamed in~"
    finally:
        folder.close()


def test_a_file_written_in_place_waits_for_its_close_when_the_kernel_cannot_tell(dirs, no_leases):
    inbound, archive = dirs
    folder = DropFolder("acme", inbound, archive, quiet_seconds=0.2)
    folder.watch(lambda: None)
    accept = Collect()
    try:
        with open(inbound / "po.edi", "wb") as writer:
            writer.write(b"ISA*00*")
            writer.flush()
            time.sleep(0.5)  # past the quiet period, the writer pausing with the file open
            assert folder.activity.get("po.edi").state == "writing"
            assert folder.poll(accept) == 0 and folder.waiting() == 1
            writer.write(b"rest~")
        deadline = time.monotonic() + 5
        while not folder.poll(accept):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert accept.got[0].data == b"ISA*00*rest~"
    finally:
        folder.close()


def test_the_end_of_a_quiet_period_wakes_the_poller(dirs):
    inbound, archive = dirs
    inbound.mkdir()
    (inbound / "po.edi").write_bytes(b"ISA*00*in place~")  # before the watcher started: no event will come
    folder = DropFolder("acme", inbound, archive, quiet_seconds=0.5)
    woken = threading.Event()
    folder.watch(woken.set)
    try:
        accept = Collect()
        assert folder.poll(accept) == 0
        assert woken.wait(3), "nothing woke the poller when the quiet period ended"
        assert folder.poll(accept) == 1
    finally:
        folder.close()


# -- drop_folders ----------------------------------------------------------------------------------


def test_drop_folders_from_profiles(tmp_path):
    home = Home(tmp_path / "home", True, None)
    partners = tmp_path / "profiles"
    partners.mkdir()
    (partners / "acme.yaml").write_text(
        "identity: {name: Acme, isa_qualifier: ZZ, isa_id: ACME}\n"
        "channels:\n"
        "  drop_folder: {inbound: drops/acme, outbound: out/acme, archive: done/acme, pattern: '*.edi', complete_when: stable, stable_seconds: 3}\n"
    )
    (partners / "beta.yaml").write_text(f"identity: {{name: Beta, isa_qualifier: ZZ, isa_id: BETA}}\nchannels:\n  drop_folder: {{inbound: {tmp_path}/abs}}\n")
    (partners / "gamma.yaml").write_text("identity: {name: Gamma, isa_qualifier: ZZ, isa_id: GAMMA}\n")
    profiles = [load_profile(partners / f"{n}.yaml") for n in ("acme", "beta", "gamma")]
    acme, beta, gamma = drop_folders(home, profiles)

    assert (acme.partner_id, acme.inbound, acme.archive, acme.outbound) == (
        "acme", home.root / "drops/acme", home.root / "done/acme", home.root / "out/acme")
    assert (acme.pattern, acme.complete_when, acme.stable_seconds) == ("*.edi", "stable", 3)
    assert (beta.inbound, beta.archive, beta.outbound) == (tmp_path / "abs", home.root / "archive/beta", home.outbound_dir("beta"))
    assert (beta.pattern, beta.complete_when) == ("*", "renamed")
    assert (gamma.inbound, gamma.archive, gamma.outbound) == (home.inbound_dir("gamma"), home.root / "archive/gamma", home.outbound_dir("gamma"))


def test_drop_folders_with_stand_in_profiles(tmp_path):
    home = Home(tmp_path, True, None)
    plain = SimpleNamespace(id="plain", channels=SimpleNamespace(drop_folder=None))
    (folder,) = drop_folders(home, [plain])
    assert folder.inbound == tmp_path / "inbound" / "plain"
    path = publish(folder.inbound, "po.edi", b"x")
    old = time.time() - 60
    os.utime(path, (old, old))  # there for a minute: past its quiet period
    assert folder.poll(Collect()) == 1
    assert (today(tmp_path / "archive" / "plain") / "po.edi").exists()


# -- outbound --------------------------------------------------------------------------------------


def test_write_outbound_writes_and_rewrites_atomically(tmp_path):
    out = tmp_path / "out" / "acme"
    path = write_outbound(out, "997-0001.x12", b"first")
    assert path == out / "997-0001.x12" and path.read_bytes() == b"first"
    write_outbound(out, "997-0001.x12", b"again, after a crash")
    assert path.read_bytes() == b"again, after a crash"
    assert sorted(p.name for p in out.iterdir()) == ["997-0001.x12"]  # no temporary left behind


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", ".hidden"])
def test_write_outbound_refuses_names_that_are_not_plain(tmp_path, name):
    with pytest.raises(ValueError):
        write_outbound(tmp_path, name, b"x")
