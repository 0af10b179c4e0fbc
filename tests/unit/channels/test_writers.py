"""The two witnesses of a file still being written: the kernel's read lease and the watcher's account."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from gateway.channels import writers
from gateway.channels.writers import CLOSED, CREATED, RENAMED, WRITING, Activity, open_for_writing

linux_leases = pytest.mark.skipif(not writers._LEASES, reason="no file leases on this platform")


@linux_leases
def test_a_file_held_open_for_writing_is_seen_as_being_written(tmp_path):
    path = tmp_path / "po.edi"
    path.write_bytes(b"ISA")
    assert open_for_writing(path) is False
    with open(path, "ab"):
        assert open_for_writing(path) is True
    assert open_for_writing(path) is False


@linux_leases
def test_a_writer_in_another_process_is_seen(tmp_path):
    path = tmp_path / "po.edi"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, time
        f = open(sys.argv[1], "wb")
        f.write(b"ISA"); f.flush()
        print("open", flush=True)
        sys.stdin.readline()
    """), str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert open_for_writing(path) is True
    finally:
        holder.communicate("done\n", timeout=10)
    assert open_for_writing(path) is False


@linux_leases
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to look as another user")
def test_the_kernel_cannot_tell_for_a_file_another_user_owns():
    """A partner's file owned by its SFTP user, a gateway without CAP_LEASE: the lease is refused, so no verdict."""
    with tempfile.TemporaryDirectory() as folder:  # pytest's tmp_path is closed to other users
        os.chmod(folder, 0o755)
        path = Path(folder) / "po.edi"
        path.write_bytes(b"ISA")
        os.chmod(path, 0o644)
        probe = textwrap.dedent("""
            import os, sys
            from gateway.channels.writers import open_for_writing
            os.setuid(65534)  # nobody, without capabilities
            os.close(os.open(sys.argv[1], os.O_RDONLY))  # readable: the lease, not the file, is refused
            print(open_for_writing(sys.argv[1]))
        """)
        out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "None"


def test_no_verdict_for_a_missing_file(tmp_path):
    assert open_for_writing(tmp_path / "gone.edi") is None


def test_the_watcher_account_follows_a_writer():
    activity = Activity()
    activity.event("created", "po.edi")
    assert activity.get("po.edi").state == CREATED
    activity.event("modified", "po.edi")
    assert activity.get("po.edi").state == WRITING
    activity.event("closed", "po.edi")
    assert activity.get("po.edi").state == CLOSED
    activity.event("modified", "po.edi")  # opened again and written to
    assert activity.get("po.edi").state == WRITING


def test_a_rename_in_is_complete_until_written_to_again():
    activity = Activity()
    activity.event("moved", "po.edi", ino=42)
    assert (activity.get("po.edi").state, activity.get("po.edi").ino) == (RENAMED, 42)
    activity.event("closed", "po.edi")  # the writer closed its descriptor after the rename: nothing written since
    assert activity.get("po.edi").state == RENAMED
    activity.event("modified", "po.edi")
    assert activity.get("po.edi").state == WRITING


def test_lost_events_forget_everything():
    activity = Activity()
    activity.event("moved", "a.edi", ino=1)
    activity.event("modified", "b.edi")
    activity.lost()
    assert activity.get("a.edi") is None and activity.get("b.edi") is None


def test_deleted_names_are_forgotten_and_absent_ones_pruned_after_a_while():
    activity = Activity()
    activity.event("modified", "a.edi")
    activity.event("deleted", "a.edi")
    assert activity.get("a.edi") is None
    activity.event("created", "b.edi")
    activity.prune(set(), older_than=60)
    assert activity.get("b.edi") is not None  # an event may be ahead of the listing
    activity.prune(set(), older_than=0)
    assert activity.get("b.edi") is None


ISA = "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*WIDGETCO       *241104*0700*U*00401*000000515*0*P*>"


@pytest.mark.parametrize("text, unfinished", [
    (ISA + "~GS*PO*A*B*20241104*0700*1*X*004010~GE*0*1~IEA*1*000000515~", False),
    (ISA + "~GS*PO*A*B*20241104*0700*1*X*004010~GE*0*1~IEA*1*000000515~\r\n\r\n", False),
    ("\ufeff" + ISA + "~IEA*0*000000515~", False),
    (ISA + "\nGS*PO*A*B*20241104*0700*1*X*004010\nGE*0*1\nIEA*1*000000515\n", False),
    (ISA + "~GS*PO*A*B*20241104*0700*1*X*004010~GE*0*1~", True),
    (ISA + "~GS*PO*A*B*20241104*0700*1*X*004010~GE*0*1~IEA*1*0000", True),
    (ISA + "~GS*PO*A*B*20241104*0700*1*X*004010~ST*850*0001~BEG*00*SA*PO-1", True),
    (ISA + "\nGS*PO*A*B*20241104*0700*1*X*004010\n", True),
    ("po_number,line\n4500,1\n", False),
    ("ISA*00*short~IEA*1*1~", False),
], ids=["complete", "blank-lines-after-iea", "bom", "newline-terminator", "no-iea", "iea-cut-short", "cut-mid-segment",
        "newline-terminator-no-iea", "not-x12", "isa-not-fixed-width"])
def test_an_interchange_without_its_iea_is_seen_as_unfinished(tmp_path, text, unfinished):
    path = tmp_path / "f.x12"
    path.write_bytes(text.encode("utf-8"))
    assert writers.unfinished_x12(path) is unfinished
