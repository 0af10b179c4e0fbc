"""Drop folders: partner files arrive in a local (or mounted) folder; acknowledgements are written to another.

Never taken, in any mode: temporary names (dotfiles, ``*.tmp``, ``*.part``, ``*.partial``,
``*.filepart``, a ``~`` suffix; case-insensitive: they wait for their rename), ``*.done`` markers,
names not matching ``pattern``, subfolders, symlinks and other non-regular files, and a file that is
still being written (see ``writers``): one a process on this host holds open for writing (the
kernel's read lease says so), or, when the lease cannot tell, one the watcher saw written to and not
yet closed (or changed less than ``EVENT_GRACE`` ago, news the watcher may not have had yet).

When a file under its final name is complete (``complete_when``):

- ``renamed`` (default): the writer writes under a temporary name and renames. A file the watcher
  saw arrive by a rename is complete at once. Any other file under its final name (written in place,
  moved in from another folder, or there before we started) is complete once it is quiet: its size,
  mtime and inode unchanged for ``quiet_seconds`` (1 s; its mtime that old, or unchanged across our
  looks for that long), besides not being written as above; and when it starts like an X12
  interchange but does not end with an IEA, it waits up to ``unfinished_seconds`` (30 s) since its
  last change for the writer to come back and append (some close and reopen the file seconds apart).
- ``marker``: ``X`` is complete once ``X.done`` exists; the marker is removed once ``X`` is stored.
- ``stable``: size, mtime and inode unchanged across looks at least ``stable_seconds`` apart (kept in
  memory: the first sighting is only remembered, so a restart waits one period again).

Reading: the file is claimed (below), opened, and read under a read lease where the kernel grants
one; it goes back untaken when a writer had it open, when its size, mtime or inode changed since it
was judged complete, or when fewer bytes were read than it holds.

Claims (several processes polling one folder): before reading, a poll claims a file by renaming it
into ``.claimed/<pid>-<token>/`` (``token`` is random per process). ``os.rename`` is atomic, so
exactly one poller wins and the others see the file vanish and skip it. Once ``accept`` returns,
the file goes from there to ``archive/YYYY/MM/DD/<name>`` (UTC; ``<stem>.<n><suffix>`` when the
name is taken: an archived file is never overwritten) or is deleted when there is no archive. If
``accept`` raises, it is renamed back and offered again on a later poll. Every poll first recovers
stale claims, those whose pid is no longer alive on this host (or is our own pid with another
token: a restarted container reusing pid 1): their files go back to the folder (with their marker,
in marker mode), so a ``kill -9`` between claim and archive loses nothing; the store deduplicates
the second offer. Pids mean nothing across hosts or pid namespaces: pollers sharing one folder
from there may take over a live claim, which again only means a duplicate offer.

Stored = archived: the SHA-256 of the bytes handed to ``accept`` is checked against the archived
file (or, without an archive, the claimed file before it is deleted). A writer that still held the
file open can have changed it after it was read: then it is *not* archived as the stored file. It
goes back into the folder under its name, to be taken again as a new file once complete, the error
is logged, and ``on_changed(inbound, receipt, detail)`` tells the pipeline, which holds back the
stored, outdated receipt. Nothing is lost: the bytes read are in the store, the final ones come again.

``watch`` runs a watchdog observer: it wakes the poller (renames in, creations, closes after writing)
and keeps the per-name account that ``writers.Activity`` describes; the poll's rules decide, the
caller polls on a timer anyway, and a file waiting for its quiet period gets a wake-up when it ends.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from gateway.channels.base import Accept, Inbound
from gateway.channels.writers import (
    RENAMED,
    WRITING,
    Activity,
    drop_lease,
    lease_intact,
    open_for_writing,
    open_readonly,
    take_read_lease,
    unfinished_x12,
)

log = logging.getLogger("gateway.channels")

CompleteWhen = Literal["renamed", "marker", "stable"]
TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".filepart", "~")
MARKER_SUFFIX = ".done"
CLAIMS = ".claimed"
QUIET_SECONDS = 1.0  # renamed mode, a file not seen renamed in: long enough for a writer's close and reopen to show
UNFINISHED_X12_SECONDS = 30.0  # renamed mode, not seen renamed in: an X12 file without its IEA waits this long for more
EVENT_GRACE = 0.5  # the watcher hears of a write a moment after it happened: a younger change may not have reached it
_TOKEN = secrets.token_hex(4)  # tells our claims from those of an earlier process that had our pid

Changed = Callable[[Inbound, Any, str], None]  # (what was stored, what accept returned for it, what the file holds now)


def is_temporary(name: str) -> bool:
    """A name writers use while a file is incomplete: never taken."""
    return name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES)


class DropFolder:
    """The inbound side of one drop folder (see the module docstring). One ``poll`` at a time per instance."""

    def __init__(self, partner_id: str | None, inbound: str | os.PathLike, archive: str | os.PathLike | None = None, *,
                 pattern: str = "*", complete_when: CompleteWhen = "renamed", stable_seconds: float = 5,
                 quiet_seconds: float = QUIET_SECONDS, unfinished_seconds: float = UNFINISHED_X12_SECONDS, outbound: str | os.PathLike | None = None, name: str | None = None,
                 on_changed: Changed | None = None) -> None:
        if complete_when not in ("renamed", "marker", "stable"):
            raise ValueError(f"complete_when must be renamed, marker or stable, not {complete_when!r}")
        self.partner_id = partner_id
        self.name = name or (f"drop_folder:{partner_id}" if partner_id else "drop_folder")
        self.inbound = Path(inbound)
        self.archive = Path(archive) if archive is not None else None
        self.outbound = Path(outbound) if outbound is not None else None  # where write_outbound puts files for the partner
        self.pattern = pattern
        self.complete_when = complete_when
        self.stable_seconds = stable_seconds
        self.quiet_seconds = quiet_seconds
        self.unfinished_seconds = unfinished_seconds
        self.on_changed = on_changed
        self.activity = Activity()
        self._seen: dict[str, tuple[tuple[int, int, int], float]] = {}  # name -> ((size, mtime_ns, inode), monotonic since)
        self._looked: dict[str, tuple[tuple[int, int, int], bool]] = {}  # name -> (signature, unfinished X12)
        self._waiting = 0
        self._observer: Any = None
        self._wake: Callable[[], None] | None = None
        self._timer: threading.Timer | None = None

    def __repr__(self) -> str:
        return f"DropFolder({self.name!r}, {str(self.inbound)!r}, complete_when={self.complete_when!r})"

    # -- poll ------------------------------------------------------------------------------------

    def poll(self, accept: Accept) -> int:
        self.inbound.mkdir(parents=True, exist_ok=True)
        self._recover_claims()
        taken = 0
        for name, st in self._complete():
            taken += self._offer(name, st, accept)
        return taken

    def _complete(self) -> list[tuple[str, os.stat_result]]:
        """The complete files in name order, with the stat they were judged by; counts those still to come."""
        files: dict[str, os.stat_result] = {}
        with os.scandir(self.inbound) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False):
                        files[entry.name] = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
        now = time.monotonic()
        self._seen = {n: s for n, s in self._seen.items() if n in files}
        self._looked = {n: s for n, s in self._looked.items() if n in files}
        self.activity.prune(files)
        ready, waiting, due = [], 0, None
        for name in sorted(files):
            if is_temporary(name) or name.endswith(MARKER_SUFFIX) or not fnmatch.fnmatchcase(name, self.pattern):
                continue
            if self.complete_when == "marker" and name + MARKER_SUFFIX not in files:
                continue  # only the writer's marker completes it: not waited for
            st = files[name]
            wait, busy = self._wait(name, st, now), None
            if wait <= 0:
                busy = open_for_writing(self.inbound / name)  # the kernel's word, where it can give it
                if busy is None:  # else the watcher's, once its account can have caught up with the last change
                    wait = self._catch_up(st)
                    busy = wait <= 0 and self._seen_writing(name)
            if wait > 0:
                waiting += 1
                due = wait if due is None else min(due, wait)
            elif busy:
                waiting += 1  # its close wakes us (watching), else the next rescan looks again
            else:
                ready.append((name, st))
        self._waiting = waiting
        self._wake_in(due)
        return ready

    def _wait(self, name: str, st: os.stat_result, now: float) -> float:
        """Seconds until the mode's rules may call this file complete (0: now)."""
        sig = _signature(st)
        seen = self._seen.get(name)
        if seen is None or seen[0] != sig:
            seen = self._seen[name] = (sig, now)
        unchanged = now - seen[1]
        if self.complete_when == "stable":
            return max(0.0, self.stable_seconds - unchanged)
        if self.complete_when == "marker":
            return 0.0
        sighting = self.activity.get(name)
        if sighting is not None and sighting.state == RENAMED and sighting.ino == st.st_ino:
            return 0.0
        quiet = max(unchanged, time.time() - st.st_mtime)
        if quiet < self.quiet_seconds:
            return self.quiet_seconds - quiet
        if quiet < self.unfinished_seconds and self._unfinished(name, st):
            return self.unfinished_seconds - quiet  # an interchange without its IEA: the writer may come back to append
        return 0.0

    def _unfinished(self, name: str, st: os.stat_result) -> bool:
        sig = _signature(st)
        known = self._looked.get(name)
        if known is None or known[0] != sig:
            known = self._looked[name] = (sig, unfinished_x12(self.inbound / name))
        return known[1]

    def _catch_up(self, st: os.stat_result) -> float:
        """Watching: seconds until the watcher can have heard of the file's last change."""
        if self._observer is None:
            return 0.0
        return max(0.0, EVENT_GRACE - (time.time() - st.st_mtime))

    def _seen_writing(self, name: str) -> bool:
        sighting = self.activity.get(name)
        return sighting is not None and sighting.state == WRITING

    def _wake_in(self, delay: float | None) -> None:
        """Watching: wake the poller when the first quiet or stable period ends (rescans may be far apart)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if delay is None or self._wake is None:
            return
        timer = threading.Timer(delay + 0.02, self._wake)
        timer.daemon = True
        timer.start()
        self._timer = timer

    def _offer(self, name: str, st: os.stat_result, accept: Accept) -> int:
        claimed = self._claim(name)
        if claimed is None:
            return 0
        data = self._read(claimed, name, st)
        if data is None:
            return 0
        inbound = Inbound(name, data, "drop_folder", self.partner_id, meta={
            "path": str(self.inbound / name),
            "size": len(data),
            "mtime": st.st_mtime,
            "mtime_ns": st.st_mtime_ns,  # with name and content, tells a file offered again after a crash from a resend
            "sha256": hashlib.sha256(data).hexdigest(),
        })
        try:
            receipt = accept(inbound)
        except Exception as exc:
            log.warning("%s: %s not stored, left in place for the next poll: %s", self.name, name, exc, exc_info=True)
            self._unclaim(claimed, name)
            return 0
        except BaseException:
            self._unclaim(claimed, name)
            raise
        self._seen.pop(name, None)
        self._acknowledge(claimed, inbound, receipt)
        return 1

    def _read(self, claimed: Path, name: str, st: os.stat_result) -> bytes | None:
        """The claimed file's bytes if it is still the file judged complete and no writer touched it while
        we read; else it goes back to the folder (None)."""
        try:
            fd = open_readonly(claimed)
        except FileNotFoundError:  # a poller elsewhere judged our claim stale and took it back
            return None
        except BlockingIOError:  # another process holds a lease on it: in use
            self._unclaim(claimed, name)
            return None
        except OSError as exc:
            log.warning("%s: cannot read %s, left in place: %s", self.name, name, exc.strerror or exc)
            self._unclaim(claimed, name)
            return None
        data: bytes | None = None
        with os.fdopen(fd, "rb") as f:
            lease = take_read_lease(fd)
            try:
                if lease is not False:  # False: a writer opened it between our look and the claim
                    data = f.read()
                    now = os.fstat(fd)
                    if (lease and not lease_intact(fd)) or _signature(now) != _signature(st) or len(data) != now.st_size:
                        data = None
            except OSError as exc:
                log.warning("%s: cannot read %s, left in place: %s", self.name, name, exc.strerror or exc)
                data = None
            finally:
                if lease:
                    drop_lease(fd)
        if data is None:
            # a writer is still at it, against the convention: wait for it to stop
            log.debug("%s: %s changed or was opened for writing while being read: put back", self.name, name)
            self._seen.pop(name, None)
            self._unclaim(claimed, name)
        return data

    # -- claims ----------------------------------------------------------------------------------

    @property
    def _claims(self) -> Path:
        return self.inbound / CLAIMS / f"{os.getpid()}-{_TOKEN}"  # getpid at call time: a forked child claims as itself

    def _claim(self, name: str) -> Path | None:
        target = self._claims / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("%s: cannot claim %s, left in place: %s", self.name, name, exc.strerror or exc)
            return None
        if target.exists():  # left by a failed put-back of an earlier file of that name: do not replace it
            log.warning("%s: %s is still claimed from an earlier poll, not taken again", self.name, name)
            return None
        try:
            os.rename(self.inbound / name, target)
        except FileNotFoundError:  # another poller won it (or our claims folder was just removed as stale)
            return None
        except OSError as exc:  # e.g. a sticky folder and another user's file
            log.warning("%s: cannot claim %s, left in place: %s", self.name, name, exc.strerror or exc)
            return None
        return target

    def _unclaim(self, claimed: Path, name: str) -> Path | None:
        """Put a claimed file back into the folder (under another name if a new file took its name)."""
        try:
            back = _place(claimed, self.inbound, name)
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.error("%s: cannot put %s back from %s: %s", self.name, name, claimed, exc)
            return None
        if back.name != name:
            log.warning("%s: %s put back as %s (a new file has its name)", self.name, name, back.name)
        if self.complete_when == "marker":
            _touch(self.inbound / (back.name + MARKER_SUFFIX))  # it was complete when claimed; stays so
        return back

    def _recover_claims(self) -> None:
        root = self.inbound / CLAIMS
        try:
            owners = [p for p in root.iterdir() if p.is_dir()]
        except FileNotFoundError:
            return
        for owner in owners:
            if _claim_alive(owner.name):
                continue
            try:
                stale = sorted(p for p in owner.iterdir() if p.is_file())
            except FileNotFoundError:  # recovered by another poller meanwhile
                continue
            for claimed in stale:
                log.info("%s: %s recovered from the stale claim %s", self.name, claimed.name, owner.name)
                self._unclaim(claimed, claimed.name)
            try:
                owner.rmdir()
            except OSError:  # not empty (a put-back failed) or removed by another poller
                pass

    # -- acknowledge -----------------------------------------------------------------------------

    def _acknowledge(self, claimed: Path, inbound: Inbound, receipt: Any) -> None:
        """Stored: remove the marker (first, so a crash here leaves no orphan marker), then archive or delete,
        each only when the file still holds the stored bytes."""
        name = inbound.name
        try:
            if self.complete_when == "marker":
                (self.inbound / (name + MARKER_SUFFIX)).unlink(missing_ok=True)
            if self.archive is None:
                if self._holds_stored(claimed, inbound, receipt):
                    claimed.unlink()
            else:
                day = datetime.now(UTC)
                folder = self.archive / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
                self._holds_stored(_place(claimed, folder, name), inbound, receipt)
        except FileNotFoundError:  # taken back by a poller that judged our claim stale: it offers it again
            return
        except OSError as exc:
            # stored but not archived: back to the folder, to be offered (and deduplicated) and archived again
            log.error("%s: %s stored but not archived: %s", self.name, name, exc)
            self._unclaim(claimed, name)

    def _holds_stored(self, path: Path, inbound: Inbound, receipt: Any) -> bool:
        """Whether ``path`` holds exactly the bytes stored; if not (a writer changed it after it was read), it
        goes back into the folder to be taken again, and the change is logged and reported."""
        stored = (inbound.meta["size"], inbound.meta["sha256"])
        now = _digest(path)
        if now == stored:
            return True
        back = self._unclaim(path, inbound.name)
        detail = (f"{stored[0]} bytes stored (sha256 {stored[1][:12]}), the file now holds {now[0]} bytes "
                  f"(sha256 {now[1][:12]})")
        log.error("%s: %s changed after it was read: %s; not archived as the stored file, put back as %s to be taken again",
                  self.name, inbound.name, detail, back.name if back else path)
        if self.on_changed is not None:
            try:
                self.on_changed(inbound, receipt, detail)
            except Exception:  # the file is safe in the folder; the stored receipt keeps its course
                log.exception("%s: reporting that %s changed after it was read failed", self.name, inbound.name)
        return False

    # -- watch -----------------------------------------------------------------------------------

    def watch(self, wake: Callable[[], None]) -> None:
        """Wake on renames into the folder, closes after writing and creations, and keep the account of what is
        being written; falls back to polling alone."""
        if self._observer is not None:
            return
        from watchdog.observers import Observer  # imported here: polling needs no watchdog

        try:
            self.inbound.mkdir(parents=True, exist_ok=True)
            observer = Observer()
            observer.schedule(_Watcher(self.inbound, self.activity, wake, self.name), str(self.inbound), recursive=False)
            observer.start()
        except OSError as exc:  # inotify limits (ENOSPC, EMFILE), a vanished mount
            log.warning("%s: cannot watch %s, polling only: %s", self.name, self.inbound, exc)
            return
        self._observer = observer
        self._wake = wake

    def waiting(self) -> int:
        """Files under a final name not complete yet but on their way (being written, or in their quiet or stable
        period) as of the last poll: ``serve --once`` waits for them. Marker mode waits for no marker."""
        return self._waiting

    def close(self) -> None:
        observer, self._observer = self._observer, None
        self._wake = None
        self._wake_in(None)
        if observer is not None:
            observer.stop()
            observer.join()
        for folder in (self._claims, self._claims.parent):  # tidy up after ourselves: only when empty
            try:
                folder.rmdir()
            except OSError:
                break


class _Watcher:
    """A watchdog handler: keeps the folder's ``Activity`` and wakes the poller when a complete file may have arrived."""

    def __init__(self, folder: Path, activity: Activity, wake: Callable[[], None], name: str) -> None:
        self.folder = os.path.normpath(os.path.abspath(folder))
        self.activity = activity
        self.wake = wake
        self.name = name

    def dispatch(self, event: Any) -> None:
        try:
            self._dispatch(event)
        except Exception:  # keep the observer thread alive
            log.exception("%s: handling %s failed", self.name, event)

    def _dispatch(self, event: Any) -> None:
        kind = event.event_type
        if kind == "events_lost":
            self.activity.lost()
            self.wake()
            return
        if event.is_directory:
            return
        if kind == "moved":  # a rename inside the folder (one from elsewhere comes as "created")
            gone, name = self._name(event.src_path), self._name(event.dest_path)
            if gone is not None:
                self.activity.event("deleted", gone)
            if name is None:
                return  # our own claims move into .claimed/, which must not wake us again
            try:
                ino = os.stat(os.path.join(self.folder, name), follow_symlinks=False).st_ino
            except OSError:  # claimed or renamed again meanwhile
                return
            self.activity.event("moved", name, ino)
            self.wake()
            return
        name = self._name(event.src_path)
        if name is None or kind not in ("created", "modified", "closed", "deleted"):
            return  # opened, closed without writing (our own looks), attribute changes: no news
        self.activity.event(kind, name)
        if kind in ("created", "closed"):
            self.wake()

    def _name(self, path: Any) -> str | None:
        """The name of a file directly in the folder under a final name, else None."""
        if not path:
            return None
        path = os.path.abspath(os.fsdecode(path))
        if os.path.dirname(path) != self.folder or is_temporary(os.path.basename(path)):
            return None
        return os.path.basename(path)


# -- helpers ---------------------------------------------------------------------------------------


def drop_folders(home: Any, profiles: Iterable[Any], on_changed: Changed | None = None) -> list[DropFolder]:
    """A drop folder for every partner: its ``channels.drop_folder`` settings, or ``DIR/inbound/<id>/``.

    ``home`` is a ``gateway.home.Home``; ``profiles`` are partner profiles (anything with ``.id``
    and ``.channels.drop_folder``, None when the profile configures none). Relative folders are
    resolved against the home; the archive is the configured one or ``DIR/archive/<id>/``.
    ``on_changed`` is told of a file that changed after it was read and stored.
    """
    folders = []
    for profile in profiles:
        pid = profile.id
        cfg = getattr(getattr(profile, "channels", None), "drop_folder", None)
        default_archive = home.root / "archive" / pid
        if cfg is None:
            folders.append(DropFolder(pid, home.inbound_dir(pid), default_archive, outbound=home.outbound_dir(pid), on_changed=on_changed))
            continue
        folders.append(DropFolder(
            pid,
            home.resolve(cfg.inbound),
            home.resolve(cfg.archive) if cfg.archive else default_archive,
            pattern=cfg.pattern,
            complete_when=cfg.complete_when,
            stable_seconds=cfg.stable_seconds,
            outbound=home.resolve(cfg.outbound) if cfg.outbound else home.outbound_dir(pid),
            on_changed=on_changed,
        ))
    return folders


def write_outbound(folder: str | os.PathLike, name: str, data: bytes) -> Path:
    """Write ``folder/name`` atomically: a temporary dot-name, fsync, rename, fsync of the folder.

    An existing file of that name is replaced: writing the same name again is the idempotent
    re-write after a crash. The partner's poller never sees a partial file under ``name``.
    """
    if not name or name in (".", "..") or "/" in name or os.sep in name or name.startswith("."):
        raise ValueError(f"not a plain, visible file name: {name!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(folder)
    return folder / name


def _claim_alive(owner: str) -> bool:
    """Whether the process named by a claims folder (``<pid>-<token>``) may still be working on it."""
    pid_text, _, token = owner.partition("-")
    if not pid_text.isdigit() or int(pid_text) <= 0:
        return True  # not ours: leave it alone
    pid = int(pid_text)
    if pid == os.getpid():
        return token == _TOKEN
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def _names(name: str) -> Iterator[str]:
    yield name
    p = Path(name)
    stem, suffix = (p.stem, p.suffix) if p.stem else (name, "")
    n = 1
    while True:
        yield f"{stem}.{n}{suffix}"
        n += 1


def _place(src: Path, folder: Path, name: str) -> Path:
    """Move ``src`` to ``folder/name``, or ``<stem>.<n><suffix>`` when taken; never replaces a file.

    A hard link is the no-replace rename (``link`` fails on an existing name). Across filesystems
    the file is first copied (and fsynced) into ``folder`` under a temporary name.
    """
    folder.mkdir(parents=True, exist_ok=True)
    staged = src
    if os.stat(src).st_dev != os.stat(folder).st_dev:
        staged = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        shutil.copy2(src, staged)
        with open(staged, "rb+") as f:
            os.fsync(f.fileno())
    try:
        for candidate in _names(name):
            dest = folder / candidate
            try:
                os.link(staged, dest)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                    raise
                if dest.exists():  # no hard links here (some network or FAT mounts): check, then rename
                    continue
                os.rename(staged, dest)
            break
    finally:
        if staged is not src:
            staged.unlink(missing_ok=True)
    if staged is src:
        src.unlink(missing_ok=True)  # missing after the rename fallback
    else:
        src.unlink()
    _fsync_dir(folder)
    return dest


def _signature(st: os.stat_result) -> tuple[int, int, int]:
    """What must not change while a file is judged and read: size, mtime, inode."""
    return st.st_size, st.st_mtime_ns, st.st_ino


def _digest(path: Path) -> tuple[int, str]:
    """(size, SHA-256) of the file at ``path``, read through one descriptor."""
    h = hashlib.sha256()
    size = 0
    fd = open_readonly(path)
    with os.fdopen(fd, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _touch(path: Path) -> None:
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o666))
    except OSError as exc:
        log.error("cannot create %s: %s", path, exc)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on a directory: nothing more to do there
        pass
    finally:
        os.close(fd)
