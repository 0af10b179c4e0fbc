"""Drop folders: completion rules, claims, archive, acknowledgement on failure, profile defaults, outbound writes."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

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
    assert DropFolder("acme", inbound, archive).poll(Collect()) == 0
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
    assert DropFolder("acme", inbound, archive).poll(accept) == 0
    assert accept.got == []
    assert all((inbound / n).exists() for n in names)
    assert all(is_temporary(n) for n in names[:-1]) and not is_temporary("g.edi.done")


def test_renamed_file_is_taken_archived_and_described(dirs):
    inbound, archive = dirs
    data = b"ISA*00*...~"
    publish(inbound, "po-1.edi", data)
    accept = Collect()
    assert DropFolder("acme", inbound, archive).poll(accept) == 1
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
    assert DropFolder("acme", inbound, archive, pattern="*.edi").poll(accept) == 3
    assert accept.names == ["a.edi", "b.edi", "c.edi"]
    assert visible(inbound) == ["notes.txt"]


def test_min_age_holds_back_a_fresh_file(dirs):
    inbound, archive = dirs
    path = publish(inbound, "po.edi", b"x")
    folder = DropFolder("acme", inbound, archive, min_age_seconds=60)
    accept = Collect()
    assert folder.poll(accept) == 0
    old = time.time() - 120
    os.utime(path, (old, old))
    assert folder.poll(accept) == 1


def test_without_archive_the_file_is_deleted(dirs):
    inbound, archive = dirs
    publish(inbound, "po.edi", b"x")
    assert DropFolder("acme", inbound, None).poll(Collect()) == 1
    assert visible(inbound) == []
    assert not archive.exists()


def test_marker_mode_waits_for_the_marker_and_removes_it(dirs):
    inbound, archive = dirs
    inbound.mkdir()
    (inbound / "po.edi").write_bytes(b"written in place")
    folder = DropFolder("acme", inbound, archive, complete_when="marker")
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
    folder = DropFolder("acme", inbound, archive, complete_when="marker")

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

    folder = DropFolder("acme", inbound, archive)
    assert folder.poll(accept) == 1
    assert visible(inbound) == ["b.edi"]
    collect = Collect()
    assert folder.poll(collect) == 1
    assert collect.got[0].data == b"bmore"


def test_same_name_on_the_same_day_is_never_overwritten_in_the_archive(dirs):
    inbound, archive = dirs
    folder = DropFolder("acme", inbound, archive)
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
        folder = DropFolder("acme", tmp_path / "in", archive)
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

    folder = DropFolder("acme", inbound, archive)
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
        DropFolder("acme", inbound, archive).poll(accept)
    assert visible(inbound) == ["a.edi"]


def test_a_file_that_vanishes_before_reading_is_skipped_quietly(dirs, caplog):
    inbound, archive = dirs
    publish(inbound, "a.edi", b"a")
    publish(inbound, "b.edi", b"b")

    def accept(inbound_file: Inbound) -> None:
        (inbound / "b.edi").unlink()  # another process took it after our listing

    with caplog.at_level(logging.DEBUG, logger="gateway.channels"):
        assert DropFolder("acme", inbound, archive).poll(accept) == 1
    assert caplog.records == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_reported_and_skipped(dirs, caplog):
    inbound, archive = dirs
    publish(inbound, "a.edi", b"a")
    publish(inbound, "b.edi", b"b").chmod(0)
    accept = Collect()
    folder = DropFolder("acme", inbound, archive)
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
    assert DropFolder("acme", inbound, archive).poll(accept) == 1
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
    assert DropFolder("acme", inbound, archive).poll(accept) == 2
    assert sorted(i.data for i in accept.got) == [b"new", b"old"]


def test_a_stale_claim_in_marker_mode_gets_its_marker_back(dirs):
    inbound, archive = dirs
    stale = inbound / CLAIMS / f"{dead_pid()}-0badc0de"
    stale.mkdir(parents=True)
    (stale / "po.edi").write_bytes(b"x")
    accept = Collect()
    assert DropFolder("acme", inbound, archive, complete_when="marker").poll(accept) == 1
    assert visible(inbound) == []


def test_a_claim_of_our_own_pid_from_an_earlier_process_is_recovered(dirs):
    inbound, archive = dirs
    earlier = inbound / CLAIMS / f"{os.getpid()}-0badc0de"  # a restarted container reuses pid 1
    earlier.mkdir(parents=True)
    (earlier / "po.edi").write_bytes(b"x")
    assert DropFolder("acme", inbound, archive).poll(Collect()) == 1


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
        assert DropFolder("acme", inbound, archive).poll(accept) == 0
        assert (live / "po.edi").exists() and (odd / "x.edi").exists()
    finally:
        sleeper.kill()
        sleeper.wait()


# -- drop_folders ----------------------------------------------------------------------------------


def test_drop_folders_from_profiles(tmp_path):
    home = Home(tmp_path / "home", True, None)
    partners = tmp_path / "profiles"
    partners.mkdir()
    (partners / "acme.yaml").write_text(
        "identity: {name: Acme, isa_qualifier: ZZ, isa_id: ACME}\n"
        "channels:\n"
        "  drop_folder: {inbound: drops/acme, outbound: out/acme, archive: done/acme, pattern: '*.edi', complete_when: marker, stable_seconds: 3}\n"
    )
    (partners / "beta.yaml").write_text(f"identity: {{name: Beta, isa_qualifier: ZZ, isa_id: BETA}}\nchannels:\n  drop_folder: {{inbound: {tmp_path}/abs}}\n")
    (partners / "gamma.yaml").write_text("identity: {name: Gamma, isa_qualifier: ZZ, isa_id: GAMMA}\n")
    profiles = [load_profile(partners / f"{n}.yaml") for n in ("acme", "beta", "gamma")]
    acme, beta, gamma = drop_folders(home, profiles)

    assert (acme.partner_id, acme.inbound, acme.archive, acme.outbound) == (
        "acme", home.root / "drops/acme", home.root / "done/acme", home.root / "out/acme")
    assert (acme.pattern, acme.complete_when, acme.stable_seconds) == ("*.edi", "marker", 3)
    assert (beta.inbound, beta.archive, beta.outbound) == (tmp_path / "abs", home.root / "archive/beta", home.outbound_dir("beta"))
    assert (beta.pattern, beta.complete_when) == ("*", "renamed")
    assert (gamma.inbound, gamma.archive, gamma.outbound) == (home.inbound_dir("gamma"), home.root / "archive/gamma", home.outbound_dir("gamma"))


def test_drop_folders_with_stand_in_profiles(tmp_path):
    home = Home(tmp_path, True, None)
    plain = SimpleNamespace(id="plain", channels=SimpleNamespace(drop_folder=None))
    (folder,) = drop_folders(home, [plain])
    assert folder.inbound == tmp_path / "inbound" / "plain"
    publish(folder.inbound, "po.edi", b"x")
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
