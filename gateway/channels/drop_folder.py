"""Drop folders: partner files arrive in a local (or mounted) folder; acknowledgements are written to another.

How a file is known to be complete (``complete_when``):

- never: temporary names (dotfiles, ``*.tmp``, ``*.part``, ``*.partial``, ``*.filepart``, a ``~``
  suffix; case-insensitive), ``*.done`` markers, names not matching ``pattern``, subfolders,
  symlinks and other non-regular files.
- ``renamed`` (default): the writer writes under a temporary name and renames; a file under its
  final name is complete. ``min_age_seconds`` (default 0: the rename is the signal) additionally
  requires its mtime to be that old, for writers that sometimes write in place anyway.
- ``marker``: ``X`` is complete once ``X.done`` exists; the marker is removed once ``X`` is stored.
- ``stable``: size and mtime unchanged across polls at least ``stable_seconds`` apart (kept in
  memory: the first sighting is only remembered, so a restart waits one period again).

A file is also put back untaken when its size or mtime changed between listing and reading.

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

``watch`` uses a watchdog observer as a hint only (``created`` fires mid-write; ``closed`` also
follows an aborted write); the poll's rules decide, and the caller polls on a timer anyway.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import logging
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from gateway.channels.base import Accept, Inbound

log = logging.getLogger("gateway.channels")

CompleteWhen = Literal["renamed", "marker", "stable"]
TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".filepart", "~")
MARKER_SUFFIX = ".done"
CLAIMS = ".claimed"
_TOKEN = secrets.token_hex(4)  # tells our claims from those of an earlier process that had our pid


def is_temporary(name: str) -> bool:
    """A name writers use while a file is incomplete: never taken."""
    return name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES)


class DropFolder:
    """The inbound side of one drop folder (see the module docstring). One ``poll`` at a time per instance."""

    def __init__(self, partner_id: str | None, inbound: str | os.PathLike, archive: str | os.PathLike | None = None, *,
                 pattern: str = "*", complete_when: CompleteWhen = "renamed", stable_seconds: float = 5,
                 min_age_seconds: float = 0, outbound: str | os.PathLike | None = None, name: str | None = None) -> None:
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
        self.min_age_seconds = min_age_seconds
        self._seen: dict[str, tuple[int, int, float]] = {}  # stable mode: name -> (size, mtime_ns, since)
        self._observer: Any = None

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
        """The complete files in name order, with the stat they were judged by."""
        files: dict[str, os.stat_result] = {}
        with os.scandir(self.inbound) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False):
                        files[entry.name] = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
        now = time.monotonic()
        if self.complete_when == "stable":
            self._seen = {n: s for n, s in self._seen.items() if n in files}
        ready = []
        for name in sorted(files):
            if is_temporary(name) or name.endswith(MARKER_SUFFIX) or not fnmatch.fnmatchcase(name, self.pattern):
                continue
            st = files[name]
            if self.complete_when == "marker":
                ok = name + MARKER_SUFFIX in files
            elif self.complete_when == "stable":
                ok = self._stable(name, st, now)
            else:
                ok = self.min_age_seconds <= 0 or time.time() - st.st_mtime >= self.min_age_seconds
            if ok:
                ready.append((name, st))
        return ready

    def _stable(self, name: str, st: os.stat_result, now: float) -> bool:
        seen = self._seen.get(name)
        if seen is None or seen[:2] != (st.st_size, st.st_mtime_ns):
            self._seen[name] = (st.st_size, st.st_mtime_ns, now)
            return False
        return now - seen[2] >= self.stable_seconds

    def _offer(self, name: str, st: os.stat_result, accept: Accept) -> int:
        claimed = self._claim(name)
        if claimed is None:
            return 0
        try:
            with open(claimed, "rb") as f:
                data = f.read()
                now = os.fstat(f.fileno())
        except FileNotFoundError:  # a poller elsewhere judged our claim stale and took it back
            return 0
        except OSError as exc:
            log.warning("%s: cannot read %s, left in place: %s", self.name, name, exc.strerror or exc)
            self._unclaim(claimed, name)
            return 0
        if (now.st_size, now.st_mtime_ns) != (st.st_size, st.st_mtime_ns) or len(data) != now.st_size:
            # a writer is still at it, in place against the convention: wait for it to stop
            self._seen.pop(name, None)
            self._unclaim(claimed, name)
            return 0
        inbound = Inbound(name, data, "drop_folder", self.partner_id, meta={
            "path": str(self.inbound / name),
            "size": len(data),
            "mtime": st.st_mtime,
            "mtime_ns": st.st_mtime_ns,  # with name and content, tells a file offered again after a crash from a resend
            "sha256": hashlib.sha256(data).hexdigest(),
        })
        try:
            accept(inbound)
        except Exception as exc:
            log.warning("%s: %s not stored, left in place for the next poll: %s", self.name, name, exc, exc_info=True)
            self._unclaim(claimed, name)
            return 0
        except BaseException:
            self._unclaim(claimed, name)
            raise
        self._seen.pop(name, None)
        self._acknowledge(claimed, name)
        return 1

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

    def _unclaim(self, claimed: Path, name: str) -> None:
        """Put a claimed file back into the folder (under another name if a new file took its name)."""
        try:
            back = _place(claimed, self.inbound, name)
        except FileNotFoundError:
            return
        except OSError as exc:
            log.error("%s: cannot put %s back from %s: %s", self.name, name, claimed, exc)
            return
        if back.name != name:
            log.warning("%s: %s put back as %s (a new file has its name)", self.name, name, back.name)
        if self.complete_when == "marker":
            _touch(self.inbound / (back.name + MARKER_SUFFIX))  # it was complete when claimed; stays so

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

    def _acknowledge(self, claimed: Path, name: str) -> None:
        """Stored: remove the marker (first, so a crash here leaves no orphan marker), then archive or delete."""
        try:
            if self.complete_when == "marker":
                (self.inbound / (name + MARKER_SUFFIX)).unlink(missing_ok=True)
            if self.archive is None:
                claimed.unlink()
            else:
                day = datetime.now(UTC)
                folder = self.archive / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
                _place(claimed, folder, name)
        except FileNotFoundError:  # taken back by a poller that judged our claim stale: it offers it again
            return
        except OSError as exc:
            # stored but not archived: back to the folder, to be offered (and deduplicated) and archived again
            log.error("%s: %s stored but not archived: %s", self.name, name, exc)
            self._unclaim(claimed, name)

    # -- watch -----------------------------------------------------------------------------------

    def watch(self, wake: Callable[[], None]) -> None:
        """Wake on renames into the folder, closes after writing and creations; falls back to polling alone."""
        if self._observer is not None:
            return
        from watchdog.observers import Observer  # imported here: polling needs no watchdog

        try:
            self.inbound.mkdir(parents=True, exist_ok=True)
            observer = Observer()
            observer.schedule(_Waker(self.inbound, wake, self.name), str(self.inbound), recursive=False)
            observer.start()
        except OSError as exc:  # inotify limits (ENOSPC, EMFILE), a vanished mount
            log.warning("%s: cannot watch %s, polling only: %s", self.name, self.inbound, exc)
            return
        self._observer = observer

    def waiting(self) -> int:
        """Files seen but not yet complete (stable mode): ``serve --once`` waits for them."""
        return len(self._seen)

    def close(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join()
        for folder in (self._claims, self._claims.parent):  # tidy up after ourselves: only when empty
            try:
                folder.rmdir()
            except OSError:
                break


class _Waker:
    """A watchdog handler: wakes the poller when a file under a final name may have arrived."""

    def __init__(self, folder: Path, wake: Callable[[], None], name: str) -> None:
        self.folder = os.path.normpath(os.path.abspath(folder))
        self.wake = wake
        self.name = name

    def dispatch(self, event: Any) -> None:
        if event.is_directory:
            return
        if event.event_type == "moved":
            path = event.dest_path
        elif event.event_type in ("created", "closed"):
            path = event.src_path
        else:
            return
        path = os.path.abspath(os.fsdecode(path))
        if os.path.dirname(path) != self.folder or is_temporary(os.path.basename(path)):
            return  # our own claims move into .claimed/, which must not wake us again
        try:
            self.wake()
        except Exception:  # keep the observer thread alive
            log.exception("%s: wake failed", self.name)


# -- helpers ---------------------------------------------------------------------------------------


def drop_folders(home: Any, profiles: Iterable[Any]) -> list[DropFolder]:
    """A drop folder for every partner: its ``channels.drop_folder`` settings, or ``DIR/inbound/<id>/``.

    ``home`` is a ``gateway.home.Home``; ``profiles`` are partner profiles (anything with ``.id``
    and ``.channels.drop_folder``, None when the profile configures none). Relative folders are
    resolved against the home; the archive is the configured one or ``DIR/archive/<id>/``.
    """
    folders = []
    for profile in profiles:
        pid = profile.id
        cfg = getattr(getattr(profile, "channels", None), "drop_folder", None)
        default_archive = home.root / "archive" / pid
        if cfg is None:
            folders.append(DropFolder(pid, home.inbound_dir(pid), default_archive, outbound=home.outbound_dir(pid)))
            continue
        folders.append(DropFolder(
            pid,
            home.resolve(cfg.inbound),
            home.resolve(cfg.archive) if cfg.archive else default_archive,
            pattern=cfg.pattern,
            complete_when=cfg.complete_when,
            stable_seconds=cfg.stable_seconds,
            outbound=home.resolve(cfg.outbound) if cfg.outbound else home.outbound_dir(pid),
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
