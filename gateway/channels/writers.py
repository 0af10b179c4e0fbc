"""Is a file in a drop folder still being written? Two witnesses, each used when it can speak.

- **The kernel** (Linux): a *read lease* (``fcntl F_SETLEASE F_RDLCK``) is granted only while no
  process on this host has the file open for writing, whoever it is and whatever its pid namespace;
  while held, a process opening the file for writing breaks it (and waits, at most
  ``/proc/sys/fs/lease-break-time``, for us to let go). It costs an ``open`` and two ``fcntl`` calls.
  It is refused for a file another user owns unless we have ``CAP_LEASE`` (root has it), and by
  filesystems without leases (NFSv3, most FUSE mounts): then it cannot tell (``None``). Scanning
  ``/proc/*/fd`` instead would cost a ``readlink`` per open descriptor on the host per look, sees only
  our own user's processes unless we are root, and nothing in other pid namespaces: not used.
- **The watcher** (inotify through watchdog): per name, what happened last. A rename into the folder
  (``moved``) means a complete file; a write (``modified``) not yet followed by a close after writing
  (``closed``: IN_CLOSE_WRITE) means a writer at work. Only what happens on this host is seen, and
  only while watching; lost events (a queue overflow) forget everything.

Neither witness alone decides: the drop folder adds its quiet period and re-checks what it read.
"""

from __future__ import annotations

import fcntl
import os
import signal
import threading
import time
from dataclasses import dataclass

_LEASES = all(hasattr(fcntl, n) for n in ("F_SETLEASE", "F_GETLEASE", "F_SETSIG"))
# A lease break is signalled to the holder, by default with SIGIO, whose default action ends the
# process. SIGURG is ignored by default: a break during our short hold must not kill the gateway.
_BREAK_SIGNAL = getattr(signal, "SIGURG", 0)
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def open_readonly(path: str | os.PathLike) -> int:
    """A descriptor to read ``path`` with: never blocks on another holder's lease (``BlockingIOError``
    instead), never follows a symlink."""
    return os.open(path, _OPEN_FLAGS)


def take_read_lease(fd: int) -> bool | None:
    """True: granted, no process has the file open for writing (release with ``drop_lease``);
    False: a process has it open for writing; None: leases cannot tell here."""
    if not _LEASES:
        return None
    try:
        fcntl.fcntl(fd, fcntl.F_SETSIG, _BREAK_SIGNAL)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except BlockingIOError:  # EAGAIN: open for writing somewhere on this host
        return False
    except OSError:  # EACCES (another owner, no CAP_LEASE), EINVAL (no leases on this filesystem), ENOLCK
        return None
    return True


def lease_intact(fd: int) -> bool:
    """Whether our read lease still stands: no process has tried to open the file for writing since."""
    try:
        return fcntl.fcntl(fd, fcntl.F_GETLEASE) == fcntl.F_RDLCK
    except OSError:
        return False


def drop_lease(fd: int) -> None:
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    except OSError:  # closing the descriptor releases it anyway
        pass


def open_for_writing(path: str | os.PathLike) -> bool | None:
    """True: a process has ``path`` open for writing (or holds a lease on it); False: none on this
    host; None: cannot tell (no leases here, not ours to lease, unreadable or gone)."""
    try:
        fd = open_readonly(path)
    except BlockingIOError:  # another process holds a lease on it: it is in use
        return True
    except OSError:
        return None
    try:
        granted = take_read_lease(fd)
        if granted:
            drop_lease(fd)
        return None if granted is None else not granted
    finally:
        os.close(fd)


# -- the watcher's account -------------------------------------------------------------------------

RENAMED = "renamed"  # arrived by a rename into the folder: complete, while its inode is the same and unwritten since
CREATED = "created"  # created, or moved in from elsewhere (watchdog does not tell these apart): no verdict
WRITING = "writing"  # written to, and no close after writing yet: a writer is at it
CLOSED = "closed"  # a writer closed it after writing


@dataclass(slots=True)
class Sighting:
    state: str
    ino: int | None  # for RENAMED: the inode that arrived (a later file of that name is another story)
    at: float  # time.monotonic() of the event


class Activity:
    """What the watcher saw happen to each name in one folder, for the poller to consult (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, Sighting] = {}

    def event(self, kind: str, name: str, ino: int | None = None) -> None:
        """Record a watchdog event type (``moved`` for the destination name) for ``name``."""
        now = time.monotonic()
        with self._lock:
            last = self._names.get(name)
            if kind == "moved":
                self._names[name] = Sighting(RENAMED, ino, now)
            elif kind == "created":
                self._names[name] = Sighting(CREATED, None, now)
            elif kind == "modified":
                self._names[name] = Sighting(WRITING, None, now)
            elif kind == "closed":
                if last is None or last.state != RENAMED:  # closed after the rename, unwritten since: still complete
                    self._names[name] = Sighting(CLOSED, None, now)
            elif kind == "deleted":
                self._names.pop(name, None)

    def lost(self) -> None:
        """Events were dropped (inotify queue overflow): nothing we knew can be trusted."""
        with self._lock:
            self._names.clear()

    def get(self, name: str) -> Sighting | None:
        with self._lock:
            return self._names.get(name)

    def forget(self, name: str) -> None:
        with self._lock:
            self._names.pop(name, None)

    def prune(self, present: set[str] | dict, older_than: float = 60.0) -> None:
        """Forget names no longer in the folder (after a while: an event may be ahead of the listing)."""
        cutoff = time.monotonic() - older_than
        with self._lock:
            for name in [n for n, s in self._names.items() if n not in present and s.at < cutoff]:
                del self._names[name]


# -- a third witness: the content ------------------------------------------------------------------

_BLANK = b" \t\r\n\x00"


def unfinished_x12(path: str | os.PathLike) -> bool:
    """True when ``path`` starts like an X12 interchange (an ISA, after a BOM and white space) but does not end
    with an IEA segment: a writer that closes the file and reopens it to append (some do, seconds apart) has
    not finished. A file that is not X12, or whose ISA does not give its terminator, is not judged here."""
    try:
        fd = open_readonly(path)
    except OSError:
        return False
    try:
        head = os.pread(fd, 256, 0)
        size = os.fstat(fd).st_size
        tail = os.pread(fd, 256, max(0, size - 256))
    except OSError:
        return False
    finally:
        os.close(fd)
    start = len(head) - len(head.removeprefix(b"\xef\xbb\xbf").lstrip(_BLANK))
    isa = head[start:]
    if not isa.startswith(b"ISA") or len(isa) < 106:
        return False
    element, terminator = isa[3:4], isa[105:106]
    if terminator.isalnum() or terminator in (b" ", element):
        return False  # not a fixed-width ISA: the validator says what is wrong with it
    body = tail.rstrip(_BLANK)
    if terminator not in _BLANK:
        if not body.endswith(terminator):
            return True  # the last segment is cut short
        body = body[:-1]
    last = body.rsplit(terminator, 1)[-1].lstrip(_BLANK)
    return not last.startswith(b"IEA" + element)
