"""The inbound seam: a channel finds complete partner files and hands them over.

Contract (every channel):

- ``poll(accept)`` makes one pass over what is waiting: for every *complete* file it calls
  ``accept(Inbound)`` and returns how many it handed over. ``accept`` stores the bytes durably
  (committed) and returns a receipt id; only after it returns does the channel acknowledge the file
  (move it to the archive, delete it). If ``accept`` raises, the file stays where it is and is
  offered again on a later pass: nothing is lost, and the store deduplicates what was offered twice.
- A file still being written is never handed over (each channel documents how it knows).
- ``watch(wake)`` starts whatever notices new files early (inotify through watchdog) and calls
  ``wake()`` when something may be waiting; it returns at once. Channels that cannot watch do
  nothing: the caller polls on a timer anyway, as a reconciliation sweep.
- ``close()`` stops watching; it is called once at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Inbound:
    """A complete file from a partner."""

    name: str  # the file's name as the partner gave it
    data: bytes
    channel: str  # drop_folder, sftp, as2, api
    partner_id: str | None  # the partner the channel belongs to, when it knows
    meta: dict[str, Any] = field(default_factory=dict)  # e.g. path, size, mtime


Accept = Callable[[Inbound], Any]


class Channel(Protocol):
    name: str

    def poll(self, accept: Accept) -> int: ...

    def watch(self, wake: Callable[[], None]) -> None: ...

    def close(self) -> None: ...
